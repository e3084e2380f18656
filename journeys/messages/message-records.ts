import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import type { SendRequest } from './message-sender.js';

// The `messages` table (migration 0021): each message's latest status, recorded before and after the channel
// is called. Versions order one message's rows; the status rank breaks a tie within a millisecond, so that
// `sent` recorded in the same millisecond as `sending` still comes after it.

export type MessageStatus = 'sending' | 'sent' | 'suppressed' | 'held' | 'failed';

const RANK: Record<MessageStatus, number> = { held: 0, sending: 1, sent: 2, suppressed: 2, failed: 2 };

export interface RecordedMessage {
  status: MessageStatus;
  provider_id: string;
  attempts: number;
}

export interface StatusChange {
  status: MessageStatus;
  reason?: string;
  providerId?: string;
  attempts: number;
  heldUntil?: number;
  sentAt?: number;
}

export interface MessageRecords {
  latest(messageId: string): Promise<RecordedMessage | undefined>;
  record(request: SendRequest, change: StatusChange): Promise<void>;
}

export function messageRecords(clickhouse: ClickHouseClient, database: string): MessageRecords {
  return {
    async latest(messageId) {
      const rs = await clickhouse.query({
        query: `SELECT status, provider_id, attempts FROM ${database}.messages WHERE message_id = {id:String} ORDER BY version DESC LIMIT 1`,
        query_params: { id: messageId },
        format: 'JSONEachRow',
      });
      const [row] = await rs.json<RecordedMessage>();
      return row && { ...row, attempts: Number(row.attempts) };
    },
    async record(r, change) {
      const now = Date.now();
      await clickhouse.insert({
        table: `${database}.messages`,
        format: 'JSONEachRow',
        values: [{
          message_id: r.messageId,
          journey_id: r.journeyId,
          journey_version: r.journeyVersion,
          step: r.step,
          instance_id: r.instanceId,
          profile_id: r.profileId,
          channel: r.channel,
          template_id: r.templateId,
          subscription_group: r.subscriptionGroup ?? '',
          status: change.status,
          reason: change.reason ?? '',
          provider_id: change.providerId ?? '',
          attempts: change.attempts,
          held_until: change.heldUntil === undefined ? null : chTime(change.heldUntil),
          sent_at: change.sentAt === undefined ? null : chTime(change.sentAt),
          updated_at: chTime(now),
          version: now * 10 + RANK[change.status],
        }],
      });
    },
  };
}
