import { createHmac } from 'node:crypto';

/**
 * `X-CDP-Signature` of a delivery: `sha256=` and the hex HMAC-SHA256, keyed with the destination secret, of
 * `<X-CDP-Timestamp>.<raw body>`. Signing the timestamp lets a receiver refuse old replays of a request.
 * (Receivers verify it with their own code; README § Webhook destinations has an example.)
 */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}
