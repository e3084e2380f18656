import { z } from 'zod';
import { CONSENT_CATEGORY, CONSENT_CATEGORY_MAX, CONSENT_CATEGORY_RULE } from '../../identity/consent/consent-category.js';
import { resourceId } from '../../pipeline/core/resource-id.js';
import { MESSAGE_CHANNELS } from './message-template.js';
import type { MessageChannel } from './message-sender.js';

// A subscription group: the list a send step sends under, such as "marketing email". A customer is in it or
// not by their latest `Subscription Changed` event for the group (`subscribed` true or false); an opt_in
// group sends only to customers who said yes, an opt_out group to everyone who did not say no.

export const SUBSCRIPTION_TYPES = ['opt_in', 'opt_out'] as const;

export const subscriptionGroupInput = z
  .strictObject({
    id: resourceId.optional(),
    channel: z.enum(MESSAGE_CHANNELS),
    type: z.enum(SUBSCRIPTION_TYPES).describe('opt_in: sends only after a `Subscription Changed` with subscribed true; opt_out: sends unless the latest says false'),
    consent_category: z.string().min(1).max(CONSENT_CATEGORY_MAX).regex(CONSENT_CATEGORY, CONSENT_CATEGORY_RULE).optional()
      .describe("a consent category the customer must have granted (their latest preference), e.g. marketing"),
  });
export type SubscriptionGroupInput = z.infer<typeof subscriptionGroupInput>;

export interface SubscriptionGroup {
  id: string;
  channel: MessageChannel;
  type: (typeof SUBSCRIPTION_TYPES)[number];
  consent_category?: string;
  created_at: string;
  updated_at: string;
  updated_by: string;
}

export function groupContent(g: Omit<SubscriptionGroupInput, 'id'>): Pick<SubscriptionGroup, 'channel' | 'type' | 'consent_category'> {
  return { channel: g.channel, type: g.type, consent_category: g.consent_category };
}
