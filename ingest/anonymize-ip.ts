import { isIPv4, isIPv6 } from 'node:net';

// IP_ANONYMIZE: an address is cut to its network before it is stored, as analytics tools do: IPv4 keeps
// its /24 (the last octet zeroed), IPv6 its /48 (the first three groups). Enough for a country or a
// provider, not for a household. Pure: no I/O.

/** The first three groups of an IPv6 address, or undefined when it is not one. */
function ipv6Prefix(ip: string): number[] | undefined {
  const zoneless = ip.split('%')[0]!;
  if (!isIPv6(zoneless)) return undefined;
  const [head, tail] = zoneless.split('::') as [string, string | undefined];
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  // An embedded IPv4 tail (::ffff:1.2.3.4) counts as two groups.
  const width = (g: string[]) => g.reduce((n, x) => n + (x.includes('.') ? 2 : 1), 0);
  const zeros = tail === undefined ? [] : Array.from({ length: 8 - width(left) - width(right) }, () => '0');
  const all = [...left, ...zeros, ...right];
  return all.slice(0, 3).map((g) => (g.includes('.') ? 0 : parseInt(g, 16)));
}

/**
 * The address cut to its network: `203.0.113.77` → `203.0.113.0`, `2001:db8:85a3:8d3:1319:8a2e:370:7348`
 * → `2001:db8:85a3::`; an IPv4-mapped IPv6 address (`::ffff:203.0.113.77`) as its IPv4 part. A value that is
 * not an IP address (a client may send anything as `context.ip`) becomes '' rather than be kept whole.
 */
export function anonymizeIp(ip: string): string {
  const v = ip.trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(v);
  const v4 = mapped ? mapped[1]! : v;
  if (isIPv4(v4)) return `${v4.slice(0, v4.lastIndexOf('.'))}.0`;
  const prefix = ipv6Prefix(v);
  if (!prefix) return '';
  // Zero groups at the end of the prefix are written by the '::' that follows it.
  while (prefix.length > 0 && prefix[prefix.length - 1] === 0) prefix.pop();
  return `${prefix.map((g) => g.toString(16)).join(':')}::`;
}
