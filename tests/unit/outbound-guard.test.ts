import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { postOutbound } from '../../segments/destinations/outbound-post.js';
import { isPrivateAddress } from '../../segments/destinations/private-address.js';
import { startReceiver, type HttpReceiver } from '../helpers/http-receiver.js';

// The check at every connection (DNS can change after a destination is created): a guarded POST connects
// only to the public address its own lookup checked. Here every address is local, so guarded POSTs must fail
// and unguarded ones (destinations stored before the check, or DESTINATIONS_ALLOW_PRIVATE) reach the receiver.

let receiver: HttpReceiver;
beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
});

const post = (url: string, guarded: boolean) => postOutbound(url, { headers: { 'content-type': 'application/json' }, body: '{}', timeoutMs: 2000, guarded });

describe('isPrivateAddress', () => {
  test.each(['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:10.0.0.1', '224.0.0.1'])('%s is private', (a) => {
    expect(isPrivateAddress(a)).toBe(true);
  });
  test.each(['8.8.8.8', '93.184.216.34', '2606:4700::1111', '::ffff:8.8.8.8', '172.32.0.1'])('%s is public', (a) => {
    expect(isPrivateAddress(a)).toBe(false);
  });
});

describe('postOutbound', () => {
  test('guarded: an IP literal and a name resolving to loopback are not connected to', async () => {
    const before = receiver.received.length;
    await expect(post(`${receiver.url}/a`, true)).rejects.toThrow(/private or link-local address: not connected/);
    await expect(post(`http://localhost:${receiver.port}/b`, true)).rejects.toThrow(/localhost resolved to .* not connected/);
    const ok = await post(`${receiver.url}/marker`, false);
    expect(ok.status).toBe(200);
    expect(receiver.received.slice(before).map((r) => r.path)).toEqual(['/marker']);
  });

  test('answers carry the status, Retry-After and the start of the body', async () => {
    receiver.answer('/busy', () => ({ status: 429, headers: { 'retry-after': '7' }, body: 'x'.repeat(5000) }));
    const answer = await post(`${receiver.url}/busy`, false);
    expect(answer).toMatchObject({ status: 429, retryAfter: '7' });
    expect(answer.bodyStart.length).toBe(512);
  });
});
