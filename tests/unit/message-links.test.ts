import { expect, test } from 'vitest';
import { ForgedLinkError } from '../../journeys/messages/errors/forged-link-error.js';
import { InvalidLinkError } from '../../journeys/messages/errors/invalid-link-error.js';
import { messageLinks } from '../../journeys/messages/message-links.js';
import { trackedHtml } from '../../journeys/messages/tracked-html.js';

// Signed links in messages: what the product signs it reads back; anything else is refused.

const links = messageLinks(Buffer.from('s'.repeat(64)), () => 'https://cdp.example');
const other = messageLinks(Buffer.from('t'.repeat(64)), () => 'https://cdp.example');
const token = (url: string) => new URL(url).searchParams.get('t')!;

test('a link carries its claims, signed for its kind and installation', () => {
  const url = links.url('click', { m: 'm1', p: 'p1', u: 'https://shop.example/a?b=1&c=2' });
  expect(url).toMatch(/^https:\/\/cdp\.example\/m\/click\?t=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  expect(links.verify('click', token(url))).toEqual({ m: 'm1', p: 'p1', u: 'https://shop.example/a?b=1&c=2' });
  expect(() => links.verify('open', token(url))).toThrow(ForgedLinkError);
  expect(() => other.verify('click', token(url))).toThrow(ForgedLinkError);
  for (const bad of [undefined, '', 'x', 'a.b', `${token(url)}x`, `${token(url)}.x`]) expect(() => links.verify('click', bad)).toThrow(InvalidLinkError);
});

test("an email's links go through the click redirect (entities read as the browser reads them), except the product's own; a pixel before </body>", () => {
  const claims = { m: 'm1', p: 'p1' };
  const unsubscribe = links.url('unsubscribe', { ...claims, g: 'news' });
  const html = `<body><a href="https://shop.example/x?a=1&amp;b=2">x</a> <a href='http://shop.example/y'>y</a> <a href="mailto:help@shop.example">m</a> <a href="${unsubscribe}">u</a></body>`;
  const out = trackedHtml(html, links, claims);
  const hrefs = [...out.matchAll(/href=["']([^"']+)["']/g)].map((m) => m[1]!);
  expect(hrefs.slice(0, 2).map((h) => links.verify('click', token(h)).u)).toEqual(['https://shop.example/x?a=1&b=2', 'http://shop.example/y']);
  expect(hrefs.slice(2)).toEqual(['mailto:help@shop.example', unsubscribe]);
  expect(out).toMatch(/<img src="https:\/\/cdp\.example\/m\/open\?t=[^"]+" width="1" height="1" alt="" style="display:none"><\/body>$/);
});
