import type { Logger } from '../core/logger.js';
import { followAnnouncements } from '../redis/announcements.js';
import { API_KEY_NAMES } from '../redis/key-names.js';
import type { RedisClient } from '../redis/connection.js';

// Keys are shared by every process through Redis, and so is this channel.
const CHANNEL = API_KEY_NAMES.changed;

/** Tells every process that a key was created or revoked (the message is the key's id, for the logs). */
export async function announceKeyChange(redis: RedisClient, id: string): Promise<void> {
  await redis.publish(CHANNEL, id);
}

export interface KeyChangeFollower {
  close(): Promise<void>;
}

/**
 * Calls `onChange` whenever any process announces a key change, and after a reconnect (announcements sent
 * meanwhile are lost; one lost without a reconnect is bounded by the cache's own time-to-live). Closes the
 * subscribed connection on `close`.
 */
export async function followKeyChanges(subscriber: RedisClient, onChange: () => void, log: Logger): Promise<KeyChangeFollower> {
  await followAnnouncements(subscriber, CHANNEL, (id) => {
    onChange();
    if (id !== undefined) log.info({ key_id: id }, 'keys changed; cached write keys dropped');
  });
  return { close: async () => void (await subscriber.quit()) };
}
