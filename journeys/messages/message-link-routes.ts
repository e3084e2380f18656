import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ProfileNotAddressableError } from '../../ingest/errors/profile-not-addressable-error.js';
import { recordProfileEvent, type ProfileEvent, type ProfileEventDeps } from '../../ingest/profile-event.js';
import { failures, file } from '../../pipeline/core/reply-schemas.js';
import { InvalidLinkError } from './errors/invalid-link-error.js';
import { clickEventId, EMAIL_LINK_CLICKED, EMAIL_OPENED, openEventId, unsubscribeEventId } from './link-events.js';
import { linkPath, type LinkClaims, type MessageLinks } from './message-links.js';
import { SUBSCRIPTION_CHANGED } from './subscription-status.js';
import { MESSAGE_TAGS } from './template-routes.js';

export interface MessageLinkDeps {
  links: MessageLinks;
  events: ProfileEventDeps;
  /** The profile a link's profile now reads as (it may have been merged since the message was sent); where ClickHouse is held. */
  survivorOf?: (profileId: string) => Promise<string>;
}

const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const tokenQuery = z.object({ t: z.string().optional().describe('the signed token the message carries') });

const page = (title: string, inner: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${title}</title>` +
  `<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}button{font-size:1rem;padding:.6rem 1.2rem}</style></head><body>${inner}</body></html>`;

/**
 * The links in messages, for customers (no API key; the signature is the check, a bad one 400 or 403 and
 * never a redirect): `GET /m/unsubscribe` shows a page that asks to confirm (mail scanners follow
 * GET links; only the POST, from the page or a mail client's one-click List-Unsubscribe, unsubscribes) and
 * `POST` records `Subscription Changed` (subscribed false); `GET /m/open` answers the pixel and
 * records `Email Opened`; `GET /m/click` records `Email Link Clicked` and redirects (302) to the
 * link the message held.
 */
export async function messageLinkRoutes(app: FastifyInstance, deps: MessageLinkDeps): Promise<void> {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  // The confirmation form and one-click unsubscribes (RFC 8058: urlencoded or multipart) post a form; its
  // fields are not needed, the token is in the URL.
  app.addContentTypeParser(['application/x-www-form-urlencoded', 'multipart/form-data'], { parseAs: 'string' }, (_request, _body, done) => done(null, {}));

  /** Records an event of the link's customer; false when there is no live profile to record it for (deleted since). */
  async function record(claims: LinkClaims, e: ProfileEvent, request: FastifyRequest): Promise<boolean> {
    const profileId = deps.survivorOf ? await deps.survivorOf(claims.p) : claims.p;
    try {
      await recordProfileEvent(deps.events, profileId, e);
      return true;
    } catch (err) {
      if (!(err instanceof ProfileNotAddressableError)) throw err;
      request.log.info({ messageId: claims.m, event: e.event }, 'message link of a profile that no longer exists: nothing recorded');
      return false;
    }
  }

  const confirmRoute = { tags: MESSAGE_TAGS, querystring: tokenQuery, response: { 200: file('An HTML page', 'text/html'), ...failures(400, 403) } };
  typed.get(
    linkPath('unsubscribe'),
    { config: { scope: 'public' }, schema: { ...confirmRoute, summary: 'Unsubscribe page', description: 'Asks the customer to confirm; nothing changes until the POST.' } },
    async (request, reply) => {
      deps.links.verify('unsubscribe', request.query.t);
      return html(reply, page('Unsubscribe', `<h1>Unsubscribe</h1><p>You will no longer receive these messages.</p><form method="post" action="${linkPath('unsubscribe')}?t=${request.query.t}"><button type="submit">Unsubscribe</button></form>`));
    },
  );

  typed.post(
    linkPath('unsubscribe'),
    { config: { scope: 'public' }, schema: { ...confirmRoute, summary: 'Unsubscribe', description: "Records `Subscription Changed` (group, subscribed false) for the message's customer; the same link again records nothing more." } },
    async (request, reply) => {
      const claims = deps.links.verify('unsubscribe', request.query.t);
      if (claims.g === undefined) return html(reply, page('Unsubscribe', '<h1>Nothing to unsubscribe from</h1>'));
      await record(claims, { event: SUBSCRIPTION_CHANGED, properties: { group: claims.g, subscribed: false, message_id: claims.m }, messageId: unsubscribeEventId(claims.m, claims.g) }, request);
      return html(reply, page('Unsubscribed', '<h1>You are unsubscribed</h1><p>You will no longer receive these messages.</p>'));
    },
  );

  typed.get(
    linkPath('open'),
    { config: { scope: 'public' }, schema: { tags: MESSAGE_TAGS, summary: 'Open pixel', description: 'A 1×1 GIF; records `Email Opened` once per message.', querystring: tokenQuery, response: { 200: file('A 1×1 GIF', 'image/gif'), ...failures(400, 403) } } },
    async (request, reply) => {
      const claims = deps.links.verify('open', request.query.t);
      await record(claims, { event: EMAIL_OPENED, properties: { message_id: claims.m }, messageId: openEventId(claims.m) }, request);
      return reply.header('cache-control', 'no-store').type('image/gif').send(PIXEL);
    },
  );

  typed.get(
    linkPath('click'),
    {
      config: { scope: 'public' },
      schema: {
        tags: MESSAGE_TAGS,
        summary: 'Tracked link',
        description: "Records `Email Link Clicked` (once per message and link) and redirects to the link the message's body held; the target is in the signed token, so no other target is possible.",
        querystring: tokenQuery,
        response: { 302: z.null().describe('to the link'), ...failures(400, 403) },
      },
    },
    async (request, reply) => {
      const claims = deps.links.verify('click', request.query.t);
      const target = claims.u;
      if (target === undefined || !/^https?:\/\//i.test(target)) throw new InvalidLinkError();
      await record(claims, { event: EMAIL_LINK_CLICKED, properties: { message_id: claims.m, url: target }, messageId: clickEventId(claims.m, target) }, request);
      return reply.header('cache-control', 'no-store').redirect(target, 302);
    },
  );
}

function html(reply: FastifyReply, text: string): FastifyReply {
  return reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(text);
}
