import type { Redis } from 'ioredis';
import type { Logger } from '../core/logger.js';
import { API_KEY_NAMES } from '../redis/key-names.js';

// Keys are shared by every process through Redis, and so is this channel.
const CHANNEL = API_KEY_NAMES.changed;

/** Tells every process that a key was created or revoked (the message is the key's id, for the logs). */
export async function announceKeyChange(redis: Redis, id: string): Promise<void> {
  await redis.publish(CHANNEL, id);
}

export interface KeyChangeFollower {
  close(): Promise<void>;
}

/**
 * Calls `onChange` whenever any process announces a key change. Takes a connection of its own (a subscribed
 * connection can do nothing else) and closes it on `close`. After a reconnect, messages sent meanwhile are
 * lost, so a reconnect counts as a change too; a message lost without a reconnect is bounded by the cache's
 * own time-to-live.
 */
export async function followKeyChanges(subscriber: Redis, onChange: () => void, log: Logger): Promise<KeyChangeFollower> {
  subscriber.on('message', (channel: string, id: string) => {
    if (channel !== CHANNEL) return;
    onChange();
    log.info({ key_id: id }, 'keys changed; cached write keys dropped');
  });
  subscriber.on('ready', onChange);
  await subscriber.subscribe(CHANNEL);
  return { close: async () => void (await subscriber.quit()) };
}
