import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../../pipeline/redis/connection.js';
import { consentAllows } from '../../identity/consent/consent-preferences.js';
import type { ProfileStore } from '../../identity/profile-store.js';
import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import type { Config } from '../../pipeline/core/config.js';
import type { Logger } from '../../pipeline/core/logger.js';
import type { EventDestinationStore } from '../../pipeline/destinations/event-destination-store.js';
import type { EventQueue } from '../../pipeline/destinations/event-queue.js';
import type { MessageKeys } from '../../pipeline/redis/key-names.js';
import type { ChannelResult } from './channel-result.js';
import { emailChannel } from './email-channel.js';
import { frequencyCap } from './frequency-cap.js';
import type { JsonHashStore } from './json-hash-store.js';
import { renderTemplate, type RenderedTemplate } from './liquid-templates.js';
import { localDay } from './local-clock.js';
import type { MessageLinks } from './message-links.js';
import { messageRecords } from './message-records.js';
import type { MessageSender, SendOutcome, SendRequest } from './message-sender.js';
import type { TemplateInput } from './message-template.js';
import { quietUntil } from './quiet-hours.js';
import { smsChannel } from './sms-channel.js';
import type { SubscriptionGroupInput } from './subscription-group.js';
import { subscriptionStatus } from './subscription-status.js';
import { templateScope, traitText } from './template-scope.js';
import { templateOrigins, trackedHtml } from './tracked-html.js';
import { webhookChannel } from './webhook-channel.js';

export interface MessageSenderDeps {
  config: Pick<Config, 'SMTP_URL' | 'EMAIL_FROM' | 'SMS_WEBHOOK_URL' | 'MESSAGES_MAX_PER_DAY' | 'MESSAGES_QUIET_HOURS' | 'JOURNEYS_TIME_ZONE' | 'SEGMENTS_TIME_ZONE'>;
  redis: RedisClient;
  keys: MessageKeys;
  clickhouse: ClickHouseClient;
  database: string;
  profiles: Pick<ProfileStore, 'get'>;
  templates: JsonHashStore<Omit<TemplateInput, 'id'>>;
  groups: JsonHashStore<Omit<SubscriptionGroupInput, 'id'>>;
  links: MessageLinks;
  destinations: EventDestinationStore;
  queueOf(destinationId: string): EventQueue;
  log: Logger;
}

// Longer than a channel may take (SMTP and the SMS provider time out sooner): a process that dies while
// sending lets the message id go after this, and the retried step sends it.
const SENDING_LEASE_MS = 5 * 60_000;

/**
 * The MessageSender of the journey engine (journeys/messages/message-sender.ts). One send, in order: a message
 * id recorded `sent` answers sent at once; the template and the subscription group must exist for the
 * channel; then the profile (deleted: suppressed), its address (no_address), the group's consent category
 * (consent_denied) and the customer's subscription (unsubscribed); quiet hours hold it; the frequency cap
 * (frequency_cap) is claimed last, by message id. It is recorded `sending`, handed to the channel, and
 * recorded `sent` (or `failed`, giving the cap's place back). One attempt per message id at a time (a Redis
 * lease), so a step retried while its first attempt still runs does not send twice.
 */
export function createMessageSender(deps: MessageSenderDeps): MessageSender & { close(): void } {
  const { config, links } = deps;
  const timeZone = config.JOURNEYS_TIME_ZONE ?? config.SEGMENTS_TIME_ZONE;
  const records = messageRecords(deps.clickhouse, deps.database);
  const cap = frequencyCap(deps.redis, deps.keys, config.MESSAGES_MAX_PER_DAY);
  const email = emailChannel(config.SMTP_URL, config.EMAIL_FROM);
  const sms = smsChannel(config.SMS_WEBHOOK_URL);
  const webhook = webhookChannel(deps.destinations, deps.queueOf);

  async function sendOnce(r: SendRequest): Promise<SendOutcome> {
    const before = await records.latest(r.messageId);
    if (before?.status === 'sent') return { status: 'sent', ...(before.provider_id ? { providerId: before.provider_id } : {}) };
    const attempts = before?.attempts ?? 0;
    /** Records an outcome reached before the channel is called, and answers it. */
    const finish = async (outcome: SendOutcome): Promise<SendOutcome> => {
      await records.record(r, {
        status: outcome.status,
        attempts,
        ...('reason' in outcome ? { reason: outcome.reason } : {}),
        ...(outcome.status === 'held' ? { heldUntil: outcome.until } : {}),
      });
      return outcome;
    };
    const refuse = (reason: string) => finish({ status: 'failed', reason, retryable: false });

    const template = await deps.templates.get(r.templateId);
    if (!template) return refuse(`no template "${r.templateId}"`);
    if (template.channel !== r.channel) return refuse(`template "${r.templateId}" is for ${template.channel}, not ${r.channel}`);
    const group = r.subscriptionGroup === undefined ? undefined : await deps.groups.get(r.subscriptionGroup);
    if (r.subscriptionGroup !== undefined && !group) return refuse(`no subscription group "${r.subscriptionGroup}"`);
    if (group && group.channel !== r.channel) return refuse(`subscription group "${group.id}" is for ${group.channel}, not ${r.channel}`);

    const profile = await deps.profiles.get(r.profileId, 0);
    if (!profile) return finish({ status: 'suppressed', reason: 'profile_deleted' });
    const survivor = profile.profile_id;
    const address = r.channel === 'email' ? traitText(profile, 'email') : r.channel === 'sms' ? traitText(profile, 'phone') : survivor;
    if (address === undefined) return finish({ status: 'suppressed', reason: 'no_address' });
    if (group?.consent_category !== undefined) {
      const preferences = Object.fromEntries(Object.entries(profile.consent).map(([category, s]) => [category, s.granted]));
      if (!consentAllows([group.consent_category], undefined, preferences)) return finish({ status: 'suppressed', reason: 'consent_denied' });
    }
    if (group) {
      const said = await subscriptionStatus(deps.clickhouse, deps.database, survivor, group.id);
      if (group.type === 'opt_in' ? said !== true : said === false) return finish({ status: 'suppressed', reason: 'unsubscribed' });
    }
    const now = Date.now();
    const until = quietUntil(now, config.MESSAGES_QUIET_HOURS, timeZone);
    if (until !== undefined) return finish({ status: 'held', reason: 'quiet_hours', until });

    const claims = { m: r.messageId, p: survivor };
    const unsubscribeUrl = group ? links.url('unsubscribe', { ...claims, g: group.id }) : undefined;
    let content: RenderedTemplate;
    try {
      content = await renderTemplate(template, templateScope(profile, r.entryEvent, unsubscribeUrl ?? ''));
    } catch (err) {
      return refuse(`template "${template.id}" failed to render: ${(err as Error).message}`);
    }
    if (!(await cap.claim(survivor, r.channel, r.messageId, localDay(now, timeZone)))) return finish({ status: 'suppressed', reason: 'frequency_cap' });

    // Recorded before the channel is called: a crash from here on leaves `sending`, and the retried step resends.
    const attempt = attempts + 1;
    await records.record(r, { status: 'sending', attempts: attempt });
    let result: ChannelResult;
    if (r.channel === 'email') {
      result = await email.send({ messageId: r.messageId, to: address, content: { ...content, body: trackedHtml(content.body, links, claims, templateOrigins(template.body)) }, unsubscribeUrl });
    } else if (r.channel === 'sms') {
      result = await sms({ messageId: r.messageId, to: address, body: content.body });
    } else {
      result = await webhook({
        messageId: r.messageId,
        destinationId: r.destinationId,
        profileId: survivor,
        content,
        about: { journey_id: r.journeyId, journey_version: r.journeyVersion, step: r.step, template_id: r.templateId },
      });
    }
    if (result.ok) {
      await records.record(r, { status: 'sent', attempts: attempt, providerId: result.providerId, sentAt: Date.now() });
      return { status: 'sent', ...(result.providerId ? { providerId: result.providerId } : {}) };
    }
    await cap.release(survivor, r.channel, r.messageId);
    deps.log.warn({ messageId: r.messageId, channel: r.channel, reason: result.reason, retryable: result.retryable }, 'message not sent');
    await records.record(r, { status: 'failed', attempts: attempt, reason: result.reason });
    return { status: 'failed', reason: result.reason, retryable: result.retryable };
  }

  return {
    async send(r) {
      const lease = deps.keys.sending(r.messageId);
      const token = randomUUID();
      if ((await deps.redis.set(lease, token, 'PX', SENDING_LEASE_MS, 'NX')) === null) {
        return { status: 'failed', reason: 'another attempt is sending this message', retryable: true };
      }
      try {
        return await sendOnce(r);
      } finally {
        if ((await deps.redis.get(lease)) === token) await deps.redis.del(lease);
      }
    },
    templateChannel: async (id) => (await deps.templates.get(id))?.channel,
    subscriptionGroupExists: async (id) => (await deps.groups.get(id)) !== undefined,
    close: () => email.close(),
  };
}
