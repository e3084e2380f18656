import type { EventDestinationStore } from '../../pipeline/destinations/event-destination-store.js';
import { FAN_OUT_DEDUPE_MS, type EventQueue } from '../../pipeline/destinations/event-queue.js';
import type { ChannelResult } from './channel-result.js';
import type { RenderedTemplate } from './liquid-templates.js';

// Webhook messages go through an event destination: the rendered message joins the destination's queue, and
// its delivery loop sends it like any event (in order, batched, signed, retried, dead-lettered, replayable).
// Sent here means queued. The job id is made from the message id, so a resend queues it once. The
// destination's filter, consent categories and transform are for loaded events and do not apply: the send
// step checked its subscription group and consent.

export interface WebhookMessage {
  messageId: string;
  destinationId: string | undefined;
  profileId: string;
  content: RenderedTemplate;
  /** What the receiver learns of where the message comes from. */
  about: { journey_id: string; journey_version: number; step: string; template_id: string };
}

export function webhookChannel(destinations: EventDestinationStore, queueOf: (id: string) => EventQueue): (message: WebhookMessage) => Promise<ChannelResult> {
  return async (m) => {
    if (m.destinationId === undefined) return { ok: false, reason: 'a webhook message needs an event destination', retryable: false };
    const destination = await destinations.get(m.destinationId);
    if (!destination) return { ok: false, reason: `no event destination "${m.destinationId}"`, retryable: false };
    if (destination.disabled_at !== null) return { ok: false, reason: `event destination "${m.destinationId}" is disabled (${destination.disabled_reason ?? 'gone'}); resume it`, retryable: true };
    const body = {
      type: 'message',
      messageId: m.messageId,
      channel: 'webhook',
      profile_id: m.profileId,
      ...m.about,
      ...m.content,
      sentAt: new Date().toISOString(),
    };
    const jobId = `message-${Buffer.from(m.messageId).toString('base64url')}`;
    await queueOf(m.destinationId).add('events', { events: [{ m: m.messageId, p: m.profileId, r: Date.now(), body }] }, { jobId, deduplication: { id: jobId, ttl: FAN_OUT_DEDUPE_MS } });
    return { ok: true, providerId: jobId };
  };
}
