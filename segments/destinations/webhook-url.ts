import { z } from 'zod';

/** The URL a webhook (a destination's, an alert's) is POSTed to, as the API takes it; url-guard.ts checks where it points. */
export const webhookUrl = z
  .string()
  .max(2048, 'must be at most 2048 characters')
  .refine((raw) => {
    try {
      const url = new URL(raw);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '' && url.username === '' && url.password === '';
    } catch {
      return false;
    }
  }, 'must be an absolute http:// or https:// URL without user name or password');
