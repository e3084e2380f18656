import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';

// The baseline of the ingest bench: a bare Fastify app with the same routes and body limits as the tracking
// API, which parses the same JSON bodies and answers {"success":true} — no auth, validation, enrichment or
// queue. Our API's req/s is reported as a fraction of this one's, measured in the same run.
// Runs as a child process (started by ingest-bench.ts with fork), so that it does not share an event loop
// with the load generator, exactly as our API does not. It listens on a free port and sends it to its parent.

const MAX_EVENT_BYTES = 32 * 1024; // INGEST_MAX_EVENT_BYTES default
const MAX_BATCH_BYTES = 500 * 1024; // INGEST_MAX_BATCH_BYTES default

export async function startBareServer(port = 0, host = '127.0.0.1'): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify({ logger: false, bodyLimit: MAX_BATCH_BYTES });
  const ok = async () => ({ success: true });
  app.post('/v1/track', { bodyLimit: MAX_EVENT_BYTES }, ok);
  app.post('/v1/batch', { bodyLimit: MAX_BATCH_BYTES }, ok);
  app.get('/ready', async () => ({ status: 'ready' }));
  const url = await app.listen({ port, host });
  return { url, close: () => app.close() };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;

if (isMain && process.send) {
  // Started by ingest-bench.ts (fork gives an IPC channel): listen on a free port, report the URL.
  const server = await startBareServer(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1');
  process.send({ url: server.url });
  process.on('SIGTERM', () => {
    void server.close().then(() => process.exit(0));
  });
  // The parent going away (crash, Ctrl-C) must not leave a server behind.
  process.on('disconnect', () => process.exit(0));
} else if (isMain) {
  // Run by hand (e.g. as the baseline of bench/k6/ingest.js): `PORT=8081 node dist/bench/bare-server.js`.
  const server = await startBareServer(Number(process.env.PORT ?? 8081), process.env.HOST ?? '127.0.0.1');
  process.stdout.write(`bare server listening on ${server.url}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
