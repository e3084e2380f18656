import { createHmac } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { deliveryId } from '../../segments/destinations/webhook-queue.js';
import { signWebhook } from '../../segments/destinations/webhook-signature.js';

const secret = 'whsec_0123456789abcdef0123456789abcdef';
const body = '{"delivery_id":"dst_1.2.0","changes":[{"profile_id":"p1","change":"entered"}]}';

describe('webhook signature', () => {
  test('is sha256= and the hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the secret', () => {
    const header = signWebhook(secret, '1767225600', body);
    expect(header).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(header).toBe(`sha256=${createHmac('sha256', secret).update(`1767225600.${body}`).digest('hex')}`);
  });

  test('changes with the secret, the timestamp and any byte of the body', () => {
    const header = signWebhook(secret, '1767225600', body);
    expect(signWebhook(secret, '1767225600', body)).toBe(header);
    expect(signWebhook(`${secret}x`, '1767225600', body)).not.toBe(header);
    expect(signWebhook(secret, '1767225601', body)).not.toBe(header);
    expect(signWebhook(secret, '1767225600', body.replace('entered', 'exited'))).not.toBe(header);
  });
});

describe('delivery id', () => {
  test('is a function of destination, run and batch only, and has no ":" (BullMQ refuses it in job ids)', () => {
    expect(deliveryId('dst_00ff', 12, 3)).toBe('dst_00ff.12.3');
    expect(deliveryId('dst_00ff', 12, 3)).toBe(deliveryId('dst_00ff', 12, 3));
    expect(new Set([deliveryId('dst_a', 1, 12), deliveryId('dst_a', 11, 2), deliveryId('dst_a', 1, 2)]).size).toBe(3);
    expect(deliveryId('dst_a', 1, 0)).not.toContain(':');
  });
});
