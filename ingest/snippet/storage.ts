// First-party storage: localStorage and cookies, each failing quietly (private modes, blocked storage, quota).

// Values localStorage refused to keep (quota, disabled storage): they live as long as the page.
const memory: Record<string, string> = {};

export function getItem(key: string): string | null {
  if (key in memory) return memory[key]!;
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function setItem(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
    delete memory[key];
  } catch {
    memory[key] = value;
  }
}

export function removeItem(key: string): void {
  delete memory[key];
  try {
    localStorage.removeItem(key);
  } catch {
    // storage disabled: nothing was kept there
  }
}

export function getCookie(name: string): string | null {
  try {
    for (const part of document.cookie.split('; ')) {
      const eq = part.indexOf('=');
      if (part.slice(0, eq) === name) return decodeURIComponent(part.slice(eq + 1));
    }
  } catch {
    // cookies disabled
  }
  return null;
}

const YEAR_SECONDS = 365 * 24 * 3600;

/** A first-party cookie for a year (a max-age of 0 deletes it); Secure on https pages. */
export function setCookie(name: string, value: string, domain: string | undefined, maxAge = YEAR_SECONDS): void {
  try {
    document.cookie = `${name}=${encodeURIComponent(value)}; path=/; max-age=${maxAge}${domain ? `; domain=${domain}` : ''}; SameSite=Lax${location.protocol === 'https:' ? '; Secure' : ''}`;
  } catch {
    // cookies disabled
  }
}

/**
 * The widest domain this page may set cookies on (shop.example.co.uk → example.co.uk), found as analytics.js
 * does: the browser refuses public suffixes, so the shortest candidate it accepts is the site's own domain.
 * Host-only (undefined) for IP addresses and single-label hosts such as localhost.
 */
export function widestCookieDomain(hostname: string): string | undefined {
  if (/^[\d.]+$/.test(hostname) || hostname.includes(':')) return undefined;
  const parts = hostname.split('.');
  for (let i = parts.length - 2; i >= 0; i--) {
    const domain = parts.slice(i).join('.');
    setCookie('cdp_domain_probe', '1', domain);
    if (getCookie('cdp_domain_probe')) {
      setCookie('cdp_domain_probe', '', domain, 0);
      return domain;
    }
  }
  return undefined;
}
