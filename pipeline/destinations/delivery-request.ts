import { signWebhook } from '../../segments/destinations/webhook-signature.js';
import type { EventDestinationWithSecret } from './event-destination.js';

/** What one delivery POSTs, and where: the format's body and headers. */
export interface DeliveryRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * `webhook`: `{delivery_id, destination_id, events}` to the URL, signed exactly like the audience webhooks
 * (x-cdp-delivery, x-cdp-timestamp, x-cdp-signature). `segment`: `{batch, sentAt}` to `<url>/v1/batch` with
 * the write key as Basic user, as Segment's and RudderStack's HTTP APIs (and this product's) take it.
 */
export function deliveryRequest(d: EventDestinationWithSecret, deliveryId: string, events: unknown[], now = new Date()): DeliveryRequest {
  if (d.format === 'segment') {
    return {
      url: `${d.url.replace(/\/+$/, '')}/v1/batch`,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'cdp-destinations',
        authorization: `Basic ${Buffer.from(`${d.credential}:`).toString('base64')}`,
        'x-cdp-delivery': deliveryId,
      },
      body: JSON.stringify({ batch: events, sentAt: now.toISOString() }),
    };
  }
  const body = JSON.stringify({ delivery_id: deliveryId, destination_id: d.id, events });
  const timestamp = String(Math.floor(now.getTime() / 1000));
  return {
    url: d.url,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'cdp-destinations',
      'x-cdp-delivery': deliveryId,
      'x-cdp-timestamp': timestamp,
      'x-cdp-signature': signWebhook(d.credential, timestamp, body),
    },
    body,
  };
}
