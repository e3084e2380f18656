import { createHmac, timingSafeEqual } from 'node:crypto';
import { ForgedLinkError } from './errors/forged-link-error.js';
import { InvalidLinkError } from './errors/invalid-link-error.js';

// The links a message carries to the customer: unsubscribe, the open pixel, and each link of an email's body
// wrapped for click tracking. Each is `PUBLIC_URL/m/<kind>?t=<token>`, the token its claims as
// base64url JSON and an HMAC of kind and claims under a key derived from the installation secret: the routes
// take no API key, so the signature is what makes a link the product's. A click's target URL is inside the
// signed claims, and only the links found in a rendered body are signed: the redirect cannot be pointed
// anywhere else (no open redirect).

export const LINK_KINDS = ['unsubscribe', 'open', 'click'] as const;
export type LinkKind = (typeof LINK_KINDS)[number];

/** What a link says: the message and its profile; the group of an unsubscribe link, the target of a click. */
export interface LinkClaims {
  /** The message id. */
  m: string;
  /** The profile the message was sent to (its survivor at the time). */
  p: string;
  /** unsubscribe: the subscription group. */
  g?: string;
  /** click: the URL the link goes to. */
  u?: string;
}

export const linkPath = (kind: LinkKind) => `/m/${kind}`;

const TOKEN = /^[A-Za-z0-9_-]{1,8000}\.[A-Za-z0-9_-]{43}$/;

export interface MessageLinks {
  url(kind: LinkKind, claims: LinkClaims): string;
  /** The claims of a token for `kind`: InvalidLinkError (400) for a malformed one, ForgedLinkError (403) for a bad signature. */
  verify(kind: LinkKind, token: string | undefined): LinkClaims;
  /** Whether a URL is one of these links (not to be wrapped again). */
  isOwn(url: string): boolean;
}

/** `secret`: the installation secret; `publicUrl`: where customers reach the product (read on each link: it may be known only once listening). */
export function messageLinks(secret: Buffer, publicUrl: () => string): MessageLinks {
  const key = createHmac('sha256', secret).update('cdp message links').digest();
  const sign = (kind: LinkKind, payload: string) => createHmac('sha256', key).update(`${kind}.${payload}`).digest('base64url');
  return {
    url(kind, claims) {
      const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
      return `${publicUrl()}${linkPath(kind)}?t=${payload}.${sign(kind, payload)}`;
    },
    verify(kind, token) {
      if (token === undefined || !TOKEN.test(token)) throw new InvalidLinkError();
      const [payload, signature] = token.split('.') as [string, string];
      if (!timingSafeEqual(Buffer.from(signature), Buffer.from(sign(kind, payload)))) throw new ForgedLinkError();
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as LinkClaims;
      if (typeof claims.m !== 'string' || typeof claims.p !== 'string') throw new InvalidLinkError();
      return claims;
    },
    isOwn: (url) => url.startsWith(`${publicUrl()}/m/`),
  };
}
