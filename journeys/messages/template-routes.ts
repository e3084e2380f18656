import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ProfileStore } from '../../identity/profile-store.js';
import { InvalidRequestError } from '../../pipeline/core/errors/invalid-request-error.js';
import { failures, success } from '../../pipeline/core/reply-schemas.js';
import { resourceId } from '../../pipeline/core/resource-id.js';
import { resourceWrites } from '../../pipeline/core/resource-routes.js';
import { TemplateNotFoundError } from './errors/template-not-found-error.js';
import type { JsonHashStore } from './json-hash-store.js';
import { checkTemplate, renderTemplate } from './liquid-templates.js';
import { linkPath } from './message-links.js';
import { MESSAGE_CHANNELS, templateContent, templateInput, type TemplateInput } from './message-template.js';
import { templateScope } from './template-scope.js';

export const MESSAGE_TAGS = ['messages'];

const idParams = z.object({ id: resourceId });
const templateReply = z
  .object({
    id: z.string(),
    channel: z.enum(MESSAGE_CHANNELS),
    subject: z.string().optional(),
    body: z.string(),
    text: z.string().optional(),
    created_at: z.string(),
    updated_at: z.string(),
    updated_by: z.string(),
  })
  .meta({ id: 'MessageTemplate' });
const previewBody = z.strictObject({
  profile_id: z.string().min(1).max(200),
  event: z.record(z.string(), z.unknown()).optional().describe('the entry event the template may read as `event`'),
});

/**
 * Message templates: `POST /v1/templates`, `PUT|GET|DELETE /v1/templates/:id`, `GET /v1/templates` (admin
 * writes, read key reads), and `POST /v1/templates/:id/preview` rendering one for a profile. Every Liquid
 * field is parsed at a write: bad syntax and unknown filters are 400 `invalid_template` with the position.
 */
export async function templateRoutes(app: FastifyInstance, deps: { templates: JsonHashStore<Omit<TemplateInput, 'id'>>; profiles: Pick<ProfileStore, 'get'>; publicUrl(): string }): Promise<void> {
  const { templates } = deps;
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const content = ({ id: _id, ...t }: TemplateInput) => {
    checkTemplate(t);
    return templateContent(t);
  };

  resourceWrites(app, {
    path: '/v1/templates',
    kind: 'template',
    tags: MESSAGE_TAGS,
    id: resourceId,
    input: templateInput,
    reply: templateReply,
    mismatch: (bodyId, id) => new InvalidRequestError(`id: the body's id "${bodyId}" is not the template's ("${id}")`),
    newId: () => `tpl_${randomBytes(6).toString('hex')}`,
    create: (id, input, request) => templates.create(id, content(input), request.keyName ?? 'admin'),
    put: (id, input, request) => templates.put(id, content(input), request.keyName ?? 'admin'),
  });

  typed.get(
    '/v1/templates',
    { config: { scope: 'read' }, schema: { tags: MESSAGE_TAGS, summary: 'List templates', response: { 200: success({ templates: z.array(templateReply) }) } } },
    async () => ({ success: true as const, templates: await templates.list() }),
  );

  typed.get(
    '/v1/templates/:id',
    { config: { scope: 'read' }, schema: { tags: MESSAGE_TAGS, summary: 'Read a template', params: idParams, response: { 200: success({ template: templateReply }), ...failures(400, 404) } } },
    async (request) => {
      const template = await templates.get(request.params.id);
      if (!template) throw new TemplateNotFoundError(request.params.id);
      return { success: true as const, template };
    },
  );

  typed.delete(
    '/v1/templates/:id',
    { config: { scope: 'admin' }, schema: { tags: MESSAGE_TAGS, summary: 'Delete a template', params: idParams, response: { 200: success({ deleted: z.string() }), ...failures(400, 404) } } },
    async (request) => {
      if (!(await templates.remove(request.params.id))) throw new TemplateNotFoundError(request.params.id);
      return { success: true as const, deleted: request.params.id };
    },
  );

  typed.post(
    '/v1/templates/:id/preview',
    {
      config: { scope: 'read' },
      schema: {
        tags: MESSAGE_TAGS,
        summary: 'Render a template for a profile',
        description: 'What the template says to this customer, as a send would render it (links not wrapped for tracking; `unsubscribe_url` a sample that does not work).',
        params: idParams,
        body: previewBody,
        response: { 200: success({ preview: z.object({ channel: z.enum(MESSAGE_CHANNELS), subject: z.string().optional(), body: z.string(), text: z.string().optional() }) }), ...failures(400, 404, 503) },
      },
    },
    async (request, reply) => {
      const template = await templates.get(request.params.id);
      if (!template) throw new TemplateNotFoundError(request.params.id);
      const profile = await deps.profiles.get(request.body.profile_id, 0);
      if (!profile) return reply.code(404).send({ success: false, code: 'not_found', message: `no profile ${request.body.profile_id}` });
      const rendered = await renderTemplate(template, templateScope(profile, request.body.event, `${deps.publicUrl()}${linkPath('unsubscribe')}?t=preview`));
      return { success: true as const, preview: { channel: template.channel, ...rendered } };
    },
  );
}
