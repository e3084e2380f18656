import { expect, test } from 'vitest';
import { ForgedLinkError } from '../../journeys/messages/errors/forged-link-error.js';
import { InvalidLinkError } from '../../journeys/messages/errors/invalid-link-error.js';
import { messageLinks } from '../../journeys/messages/message-links.js';
import { templateOrigins, trackedHtml } from '../../journeys/messages/tracked-html.js';

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
  const out = trackedHtml(html, links, claims, templateOrigins('<a href="https://shop.example/x?a=1&amp;b=2">x</a> <a href=\'http://shop.example/{{ path }}\'>y</a>'));
  const hrefs = [...out.matchAll(/href=["']([^"']+)["']/g)].map((m) => m[1]!);
  expect(hrefs.slice(0, 2).map((h) => links.verify('click', token(h)).u)).toEqual(['https://shop.example/x?a=1&b=2', 'http://shop.example/y']);
  expect(hrefs.slice(2)).toEqual(['mailto:help@shop.example', unsubscribe]);
  expect(out).toMatch(/<img src="https:\/\/cdp\.example\/m\/open\?t=[^"]+" width="1" height="1" alt="" style="display:none"><\/body>$/);
});

test("a link to a site the template does not name (made of a customer's or an event's data) is not wrapped: no redirect to it can be signed", () => {
  const origins = templateOrigins('<a href="https://shop.example/p/{{ event.properties.sku }}">p</a> <a href="{{ event.properties.url }}">u</a>');
  expect([...origins]).toEqual(['https://shop.example']);
  const out = trackedHtml('<a href="https://shop.example/p/42">p</a> <a href="https://evil.example/login">u</a> <a href="https://shop.example.evil.example/">v</a>', links, { m: 'm1', p: 'p1' }, origins);
  const hrefs = [...out.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!);
  expect(links.verify('click', token(hrefs[0]!)).u).toBe('https://shop.example/p/42');
  expect(hrefs.slice(1)).toEqual(['https://evil.example/login', 'https://shop.example.evil.example/']);
});
