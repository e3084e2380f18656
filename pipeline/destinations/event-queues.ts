import type { Logger } from '../core/logger.js';
import { createEventQueue, type EventQueue } from './event-queue.js';
import type { RedisClient } from '../redis/connection.js';

/** The event destinations' queues of one process, opened once each on the shared connection. */
export interface EventQueues {
  of(destinationId: string): EventQueue;
  /** Removes a deleted destination's queue: its waiting events and dead letters. */
  remove(destinationId: string): Promise<void>;
  close(): Promise<void>;
}

export function eventQueues(connection: RedisClient, prefix: string, log: Logger): EventQueues {
  const open = new Map<string, EventQueue>();
  const of = (id: string) => {
    let queue = open.get(id);
    if (!queue) {
      queue = createEventQueue(connection, prefix, id);
      queue.on('error', (err) => log.warn({ destinationId: id, err: err.message }, 'destination queue error'));
      open.set(id, queue);
    }
    return queue;
  };
  return {
    of,
    async remove(id) {
      await of(id).obliterate({ force: true });
      await open.get(id)?.close();
      open.delete(id);
    },
    async close() {
      await Promise.all([...open.values()].map((q) => q.close()));
      open.clear();
    },
  };
}
