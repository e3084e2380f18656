import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { file as fileReply } from '../pipeline/core/reply-schemas.js';
import { WEB_DIR } from '../pipeline/core/web-dir.js';

export interface SnippetDeps {
  /** The built script; dist/web/cdp.js by default. */
  file?: string;
}

/**
 * `GET /cdp.js`: the browser tracking script, read once at start. Shops load it from their own pages, so it
 * is open to any origin. The address never changes; the ETag does with the content, and the cache lifetime is
 * short so that a new version reaches visitors within minutes while revalidation stays cheap (304).
 */
export async function snippetRoutes(app: FastifyInstance, deps: SnippetDeps = {}): Promise<void> {
  const file = deps.file ?? path.join(WEB_DIR, 'cdp.js');
  let code: Buffer;
  try {
    code = readFileSync(file);
  } catch (err) {
    throw new Error(`the browser tracking script ${file} is missing: run npm run build`, { cause: err });
  }
  const gzipped = gzipSync(code, { level: 9 });
  const etag = `"${createHash('sha256').update(code).digest('base64url').slice(0, 22)}"`;

  const schema = {
    tags: ['tracking spec'],
    summary: 'The browser tracking script',
    description: 'cdp.js for shop pages: sends tracking spec calls to this server. Open to any origin; revalidate with If-None-Match.',
    response: { 200: fileReply('The script (gzip when accepted)', 'application/javascript'), 304: z.undefined().describe('Not modified') },
  };
  app.withTypeProvider<ZodTypeProvider>().get('/cdp.js', { config: { scope: 'public' }, schema }, async (request, reply) => {
    reply
      .header('content-type', 'application/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=300, stale-while-revalidate=86400')
      .header('etag', etag)
      .header('vary', 'accept-encoding')
      .header('access-control-allow-origin', '*')
      // Shops that isolate their pages (Cross-Origin-Embedder-Policy) may still load it.
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('x-content-type-options', 'nosniff');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    if (/\bgzip\b/.test(request.headers['accept-encoding'] ?? '')) return reply.header('content-encoding', 'gzip').send(gzipped);
    return reply.send(code);
  });
}
