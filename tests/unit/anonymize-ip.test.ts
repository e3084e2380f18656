import { describe, expect, test } from 'vitest';
import { anonymizeIp } from '../../ingest/anonymize-ip.js';

describe('anonymizeIp', () => {
  test('IPv4 keeps its /24', () => {
    expect(anonymizeIp('203.0.113.77')).toBe('203.0.113.0');
    expect(anonymizeIp(' 10.1.2.255 ')).toBe('10.1.2.0');
  });

  test('an IPv4-mapped IPv6 address (a dual-stack socket) is cut as IPv4', () => {
    expect(anonymizeIp('::ffff:203.0.113.77')).toBe('203.0.113.0');
    expect(anonymizeIp('::FFFF:127.0.0.1')).toBe('127.0.0.0');
  });

  test('IPv6 keeps its /48, however it is written', () => {
    expect(anonymizeIp('2001:db8:85a3:8d3:1319:8a2e:370:7348')).toBe('2001:db8:85a3::');
    expect(anonymizeIp('2001:0DB8:85A3:08D3::1')).toBe('2001:db8:85a3::');
    expect(anonymizeIp('2001:db8::1')).toBe('2001:db8::');
    expect(anonymizeIp('2001:0:5::1')).toBe('2001:0:5::');
    expect(anonymizeIp('::1')).toBe('::');
    expect(anonymizeIp('fe80::1%eth0')).toBe('fe80::');
    expect(anonymizeIp('2001:db8:1:2:3:4:198.51.100.7')).toBe('2001:db8:1::');
  });

  test('a value that is not an address is not kept', () => {
    for (const junk of ['', 'unknown', '203.0.113.77:8080', '203.0.113', '2001:db8::g', '<script>']) expect(anonymizeIp(junk), junk).toBe('');
  });
});
