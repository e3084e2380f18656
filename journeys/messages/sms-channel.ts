import type { ChannelResult } from './channel-result.js';

// SMS through an HTTP provider (SMS_WEBHOOK_URL): POST {"to", "body", "message_id"}; any 2xx is accepted,
// its JSON `id` (when given) kept as the provider's id. The message id lets the provider drop a resend.

const TIMEOUT_MS = 10_000;

export interface SmsMessage {
  messageId: string;
  to: string;
  body: string;
}

/** 408, 429 and 5xx (and no answer) may pass on a retry; other refusals will not. */
const retryableStatus = (status: number) => status === 408 || status === 429 || status >= 500;

export function smsChannel(url: string | undefined): (message: SmsMessage) => Promise<ChannelResult> {
  return async (m) => {
    if (url === undefined) return { ok: false, reason: 'SMS_WEBHOOK_URL is not set', retryable: false };
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ to: m.to, body: m.body, message_id: m.messageId }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      const text = await res.text();
      if (!res.ok) return { ok: false, reason: `sms provider answered ${res.status}: ${text.slice(0, 200)}`, retryable: retryableStatus(res.status) };
      let providerId = '';
      try {
        const id = (JSON.parse(text) as { id?: unknown }).id;
        if (typeof id === 'string' || typeof id === 'number') providerId = String(id);
      } catch {
        // an answer that is not JSON names no id
      }
      return { ok: true, providerId };
    } catch (err) {
      return { ok: false, reason: `sms provider unreachable: ${(err as Error).message}`, retryable: true };
    }
  };
}
