import { createHash } from 'node:crypto';

// The events a message's links record about the customer, with deterministic message ids, so that the
// tracking's dedupe loads a fact once (and `count(DISTINCT message_id)` counts it once after the dedupe window):
// - `Email Opened`: once per message. A pixel loads again at every opening, and mail providers and privacy
//   proxies fetch it by themselves; "was it opened" is what an open can tell, not how often.
// - `Email Link Clicked`: once per message and link; another link of the same message is another click.
// - `Subscription Changed` (subscribed false): once per message and group, however often the page is posted.

const hash = (...parts: string[]) => createHash('sha256').update(parts.join('\n')).digest('base64url').slice(0, 32);

export const EMAIL_OPENED = 'Email Opened';
export const EMAIL_LINK_CLICKED = 'Email Link Clicked';

export const openEventId = (messageId: string) => `cdp-open-${hash(messageId)}`;
export const clickEventId = (messageId: string, url: string) => `cdp-click-${hash(messageId, url)}`;
export const unsubscribeEventId = (messageId: string, group: string) => `cdp-unsubscribe-${hash(messageId, group)}`;
