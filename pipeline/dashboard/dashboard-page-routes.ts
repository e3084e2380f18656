import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { failures, file } from '../core/reply-schemas.js';
import { WEB_DIR } from '../core/web-dir.js';
import { projectRoot } from '../core/project-root.js';

// The page loads only its own script and stylesheet and talks only to this server (no CDN, no third party).
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const STATIC: Record<string, { file: string; type: string }> = {
  '/dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
};

const TAGS = ['dashboard'];

/**
 * The dashboard page: `GET /` (an HTML shell with no data in it), its script and stylesheet. Served by every
 * process: the JSON it draws from (dashboard-routes.ts) says so where this process cannot answer it. A browser
 * cannot send a Bearer header when it navigates, so the page asks for the admin key and sends it with each fetch.
 */
export async function dashboardPageRoutes(app: FastifyInstance): Promise<void> {
  const page = readFileSync(path.join(projectRoot(), 'pipeline', 'dashboard', 'web', 'dashboard.html'), 'utf8');
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const config = { scope: 'public' as const };

  typed.get(
    '/',
    { config, schema: { tags: TAGS, summary: 'The dashboard page', description: 'An HTML shell with no data in it; it asks for an admin key.', response: { 200: file('The page', 'text/html') } } },
    async (_request, reply) => reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).header('cache-control', 'no-cache').send(page),
  );

  for (const [route, asset] of Object.entries(STATIC)) {
    typed.get(
      route,
      { config, schema: { tags: TAGS, summary: `The dashboard's ${asset.file}`, response: { 200: file(asset.file, asset.type.split(';')[0]!), ...failures(503) } } },
      async (request, reply) => {
        let body: Buffer;
        try {
          body = await readFile(path.join(WEB_DIR, asset.file));
        } catch (err) {
          request.log.error({ err, file: asset.file }, 'dashboard bundle missing');
          return reply.code(503).send({ success: false, code: 'not_built', message: `dist/web/${asset.file} is missing: run npm run build` });
        }
        return reply.type(asset.type).header('cache-control', 'no-cache').send(body);
      },
    );
  }
}
