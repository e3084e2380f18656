import { describe, expect, test } from 'vitest';
import { campaignFromSearch, pageProperties, withoutHash } from '../../ingest/snippet/context.js';

describe('campaignFromSearch: UTM parameters as context.campaign', () => {
  test('the five standard parameters, utm_campaign as name', () => {
    expect(campaignFromSearch('?utm_source=newsletter&utm_medium=email&utm_campaign=spring&utm_term=shoes&utm_content=hero')).toEqual({
      source: 'newsletter',
      medium: 'email',
      name: 'spring',
      term: 'shoes',
      content: 'hero',
    });
  });

  test('values are decoded, custom utm_ parameters kept, others ignored', () => {
    expect(campaignFromSearch('?q=boots&utm_source=Google%20Ads&utm_id=42&utm_medium=cpc+search')).toEqual({ source: 'Google Ads', id: '42', medium: 'cpc search' });
  });

  test('none, empty values and a bare utm_ give no campaign', () => {
    expect(campaignFromSearch('')).toBeUndefined();
    expect(campaignFromSearch('?page=2&sort=price')).toBeUndefined();
    expect(campaignFromSearch('?utm_source=&utm_=x')).toBeUndefined();
  });
});

test('withoutHash: an in-page anchor is the same page', () => {
  expect(withoutHash('https://shop.example/p/1?x=1#reviews')).toBe('https://shop.example/p/1?x=1');
  expect(withoutHash('https://shop.example/p/1')).toBe('https://shop.example/p/1');
});

test('pageProperties: path, referrer, search, title, url (without the fragment)', () => {
  const loc = new URL('https://shop.example/boots?utm_source=x#sizes');
  expect(pageProperties(loc, 'Boots', 'https://google.com/')).toEqual({
    path: '/boots',
    referrer: 'https://google.com/',
    search: '?utm_source=x',
    title: 'Boots',
    url: 'https://shop.example/boots?utm_source=x',
  });
});
