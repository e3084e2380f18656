import type { LinkClaims, MessageLinks } from './message-links.js';

// An email's rendered HTML made to report back: each http(s) link of the body goes through the signed click
// redirect, and a 1×1 pixel reports the open. Only the links of this body are wrapped, so only they can be
// redirected to.

const HREF = /(\bhref\s*=\s*)(["'])(https?:\/\/[^"'\s<>]+)\2/gi;
const ENTITIES: Record<string, string> = { '&amp;': '&', '&#38;': '&', '&quot;': '"', '&#34;': '"', '&#39;': "'", '&lt;': '<', '&gt;': '>' };

/** An attribute's value as the browser reads it (the entities Liquid's escaping writes). */
const unescape = (value: string) => value.replace(/&(amp|quot|lt|gt|#38|#34|#39);/g, (e) => ENTITIES[e]!);

export function trackedHtml(html: string, links: MessageLinks, claims: LinkClaims): string {
  const wrapped = html.replace(HREF, (whole, attr: string, quote: string, href: string) => {
    const target = unescape(href);
    return links.isOwn(target) ? whole : `${attr}${quote}${links.url('click', { ...claims, u: target })}${quote}`;
  });
  const pixel = `<img src="${links.url('open', claims)}" width="1" height="1" alt="" style="display:none">`;
  const end = wrapped.search(/<\/body\s*>/i);
  return end < 0 ? `${wrapped}${pixel}` : `${wrapped.slice(0, end)}${pixel}${wrapped.slice(end)}`;
}
