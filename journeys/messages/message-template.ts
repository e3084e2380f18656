import { z } from 'zod';
import { resourceId } from '../../pipeline/core/resource-id.js';
import type { MessageChannel } from './message-sender.js';

// A message template: what a send step says, in Liquid, per channel. Email has a subject, an HTML body and an
// optional plain-text part; SMS and webhook messages a body (a webhook's subject and text are carried along).

export const MESSAGE_CHANNELS = ['email', 'sms', 'webhook'] as const satisfies readonly MessageChannel[];

const TEXT_MAX = 100_000;

export const templateInput = z
  .strictObject({
    id: resourceId.optional(),
    channel: z.enum(MESSAGE_CHANNELS).describe('email (SMTP to the `email` trait), sms (SMS_WEBHOOK_URL to the `phone` trait) or webhook (an event destination)'),
    subject: z.string().min(1).max(1000).optional().describe('Liquid; required for email'),
    body: z.string().min(1).max(TEXT_MAX).describe('Liquid; for email the HTML body (output HTML-escaped; `| raw` to keep markup)'),
    text: z.string().min(1).max(TEXT_MAX).optional().describe('Liquid; the plain-text part of an email'),
  })
  .refine((t) => t.channel !== 'email' || t.subject !== undefined, { path: ['subject'], message: 'an email template needs a subject' });
export type TemplateInput = z.infer<typeof templateInput>;

export interface MessageTemplate {
  id: string;
  channel: MessageChannel;
  subject?: string;
  body: string;
  text?: string;
  created_at: string;
  updated_at: string;
  updated_by: string;
}

/** The fields that make a template what it is (the rest is bookkeeping): an unchanged PUT compares these. */
export function templateContent(t: Omit<TemplateInput, 'id'>): Pick<MessageTemplate, 'channel' | 'subject' | 'body' | 'text'> {
  return { channel: t.channel, subject: t.subject, body: t.body, text: t.text };
}
