import type { RedisClient } from './connection.js';

// What one process announces to the others through Redis (a key revoked, a tracking plan changed), and how a
// process follows it. Pub/sub delivers only to connected subscribers: after a reconnect, announcements sent
// meanwhile are lost, so a reconnect counts as a change too. A follower still needs a bound of its own on a
// message lost without a reconnect (a cache time, a periodic re-read).

/**
 * Calls `onChange` on every announcement on `channel` (with its message) and on every (re)connect (with
 * none). Takes a connection of its own: a subscribed connection can do nothing else.
 */
export async function followAnnouncements(subscriber: RedisClient, channel: string, onChange: (message?: string) => void): Promise<void> {
  subscriber.on('message', (from: string, message: string) => {
    if (from === channel) onChange(message);
  });
  subscriber.on('ready', () => onChange());
  await subscriber.subscribe(channel);
}
