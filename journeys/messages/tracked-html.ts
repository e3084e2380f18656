import type { LinkClaims, MessageLinks } from './message-links.js';

// An email's rendered HTML made to report back: its http(s) links go through the signed click redirect, and
// a 1×1 pixel reports the open. Only the links of this body are signed, so only they can be redirected to;
// and of those only links to a site the template itself names (`https://shop.example/p/{{ sku }}` names
// https://shop.example): a link made of a customer's or an event's data to another site is left as it is,
// so that nobody can have the product sign a redirect to a site of their choosing.

const HREF = /(\bhref\s*=\s*)(["'])(https?:\/\/[^"'\s<>]+)\2/gi;
const ENTITIES: Record<string, string> = { '&amp;': '&', '&#38;': '&', '&quot;': '"', '&#34;': '"', '&#39;': "'", '&lt;': '<', '&gt;': '>' };

/** An attribute's value as the browser reads it (the entities Liquid's escaping writes). */
const unescape = (value: string) => value.replace(/&(amp|quot|lt|gt|#38|#34|#39);/g, (e) => ENTITIES[e]!);

const ORIGIN = /https?:\/\/[^/\s"'<>{}?#]+/gi;

const originOf = (url: string) => {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
};

/** The sites a template's source names literally (before Liquid). */
export function templateOrigins(source: string): Set<string> {
  return new Set([...source.matchAll(ORIGIN)].map((m) => originOf(unescape(m[0]))).filter((o): o is string => o !== undefined));
}

export function trackedHtml(html: string, links: MessageLinks, claims: LinkClaims, origins: ReadonlySet<string>): string {
  const wrapped = html.replace(HREF, (whole, attr: string, quote: string, href: string) => {
    const target = unescape(href);
    const origin = originOf(target);
    if (links.isOwn(target) || origin === undefined || !origins.has(origin)) return whole;
    return `${attr}${quote}${links.url('click', { ...claims, u: target })}${quote}`;
  });
  const pixel = `<img src="${links.url('open', claims)}" width="1" height="1" alt="" style="display:none">`;
  const end = wrapped.search(/<\/body\s*>/i);
  return end < 0 ? `${wrapped}${pixel}` : `${wrapped.slice(0, end)}${pixel}${wrapped.slice(end)}`;
}
