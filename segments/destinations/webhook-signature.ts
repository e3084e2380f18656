import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `X-CDP-Signature` of a delivery: `sha256=` and the hex HMAC-SHA256, keyed with the destination secret, of
 * `<X-CDP-Timestamp>.<raw body>`. Signing the timestamp lets a receiver refuse old replays of a request.
 */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

/** Constant-time check of a signature header against the secret, timestamp and raw body. */
export function verifyWebhookSignature(secret: string, timestamp: string, body: string, header: string): boolean {
  const expected = Buffer.from(signWebhook(secret, timestamp, body), 'utf8');
  const given = Buffer.from(header, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
