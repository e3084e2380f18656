import type { RedisClient } from '../../pipeline/redis/connection.js';
import type { MessageKeys } from '../../pipeline/redis/key-names.js';
import { loadLuaScript } from '../../pipeline/redis/lua-script.js';
import { MESSAGE_CHANNELS } from './message-template.js';
import type { MessageChannel } from './message-sender.js';

// The frequency cap (MESSAGES_MAX_PER_DAY): at most so many messages per customer and channel per local day,
// across journeys. Counted in Redis, atomically, by message id, so that a resent message counts once and two
// journeys sending at the same moment cannot both pass the last place.

const SCRIPT = { file: 'journeys/messages/lua/frequency-cap.lua', keys: 1 };
// Two days: a local day is at most 25 hours long, and a claim is only counted on its own day.
const KEEP_SECONDS = 2 * 24 * 3600;

export interface FrequencyCap {
  /** Claims a place for the message today; false when the customer had `max` messages on the channel today. */
  claim(profileId: string, channel: MessageChannel, messageId: string, day: string): Promise<boolean>;
  /** Gives the place back (the send failed). */
  release(profileId: string, channel: MessageChannel, messageId: string): Promise<void>;
}

export function frequencyCap(redis: RedisClient, keys: MessageKeys, max: number): FrequencyCap {
  const script = loadLuaScript<number>(redis, SCRIPT);
  return {
    claim: async (profileId, channel, messageId, day) => (await script([keys.sentToday(profileId, channel)], [messageId, day, max, KEEP_SECONDS])) === 1,
    async release(profileId, channel, messageId) {
      await redis.hdel(keys.sentToday(profileId, channel), messageId);
    },
  };
}

/** A deleted customer's counts (every channel, each of their profile ids). */
export async function forgetFrequencyCounts(redis: RedisClient, keys: MessageKeys, profileIds: readonly string[]): Promise<void> {
  const names = profileIds.flatMap((id) => MESSAGE_CHANNELS.map((channel) => keys.sentToday(id, channel)));
  if (names.length > 0) await redis.del(...names);
}
