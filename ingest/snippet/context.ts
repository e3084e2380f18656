// What a browser knows about an event: the library, the page, the campaign, the device.

export const LIBRARY = { name: 'cdp.js', version: '0.1.0' };

export interface PageProperties {
  path: string;
  referrer: string;
  search: string;
  title: string;
  url: string;
}

/**
 * UTM parameters as Segment's context.campaign: utm_campaign → name, utm_source → source, and every other
 * utm_X → X (medium, term, content, and custom ones). Undefined when the URL has none.
 */
export function campaignFromSearch(search: string): Record<string, string> | undefined {
  let campaign: Record<string, string> | undefined;
  new URLSearchParams(search).forEach((value, key) => {
    if (key.slice(0, 4) !== 'utm_' || key.length === 4 || value === '') return;
    const name = key.slice(4);
    (campaign ??= {})[name === 'campaign' ? 'name' : name] = value;
  });
  return campaign;
}

/** The URL without its #fragment: an in-page anchor is not a new page, and referrers never carry one. */
export function withoutHash(url: string): string {
  const hash = url.indexOf('#');
  return hash < 0 ? url : url.slice(0, hash);
}

export function pageProperties(loc: { href: string; pathname: string; search: string }, title: string, referrer: string): PageProperties {
  return { path: loc.pathname, referrer, search: loc.search, title, url: withoutHash(loc.href) };
}

/** The device part of context, the same for every event of the page. */
export function deviceContext(): Record<string, unknown> {
  let timezone: string | undefined;
  try {
    timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    // Intl without time zone data
  }
  return {
    library: LIBRARY,
    userAgent: navigator.userAgent,
    locale: navigator.language,
    timezone,
    screen: { width: screen.width, height: screen.height, density: devicePixelRatio },
  };
}
