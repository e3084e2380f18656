import type { Config } from '../../core/config.js';
import { redisKeyNames } from '../../redis/key-names.js';
import { createDestinationStore } from '../../../segments/destinations/destination-store.js';
import { listDeadLetters, replayDeadLetters } from '../../../segments/destinations/webhook-dead-letters.js';
import { createWebhookQueue } from '../../../segments/destinations/webhook-queue.js';
import { withRedis } from './with-redis.js';

/** `cdp webhooks failed [--destination ID]`: webhook deliveries that used up their attempts, with why. */
export async function webhooksFailedCommand(config: Config, destinationId?: string): Promise<string> {
  return withRedis(config, async (redis) => {
    const queue = createWebhookQueue(redis, config);
    try {
      const deliveries = await listDeadLetters(queue, destinationId);
      return JSON.stringify({ count: deliveries.length, deliveries }, null, 2);
    } finally {
      await queue.close();
    }
  });
}

/**
 * `cdp webhooks replay [--destination ID] [--id DELIVERY_ID]`: puts dead-lettered deliveries back in the
 * queue with fresh attempts, under their own delivery ids (deliveries of deleted or disabled destinations are
 * skipped). A process with the scheduler role delivers them.
 */
export async function webhooksReplayCommand(config: Config, filter: { destinationId?: string; deliveryId?: string }): Promise<string> {
  return withRedis(config, async (redis) => {
    const queue = createWebhookQueue(redis, config);
    try {
      if (filter.deliveryId !== undefined && !(await queue.getJob(filter.deliveryId))) throw new Error(`no webhook delivery with id ${filter.deliveryId}`);
      return JSON.stringify(await replayDeadLetters(queue, createDestinationStore(redis, redisKeyNames(config.QUEUE_PREFIX).destinations), filter));
    } finally {
      await queue.close();
    }
  });
}
