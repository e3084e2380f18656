import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { EMBEDDED_ALLOCATOR_CONF } from '../../pipeline/clickhouse/embedded-allocator.js';

// chDB's jemalloc reads JE_MALLOC_CONF once, when the library loads: the option must be in the environment
// before anything loads chdb, which only the built client module does (pipeline/clickhouse/client.ts).
// Each case runs in a fresh Node process that loads the built client (dist/, made by `npm test`'s pretest)
// and runs a query on an embedded engine, as `cdp start` does.

const exec = promisify(execFile);
const client = pathToFileURL(path.resolve('dist/pipeline/clickhouse/client.js')).href;
const dir = mkdtempSync(path.join(tmpdir(), 'cdp-allocator-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function confSeenByEngine(env: Record<string, string | undefined>): Promise<{ before: string | null; after: string | null }> {
  const script = `
const before = process.env.JE_MALLOC_CONF ?? null;
const { createClickHouse } = await import(${JSON.stringify(client)});
const ch = createClickHouse({ CLICKHOUSE_URL: '', dataDir: ${JSON.stringify(dir)} });
await (await ch.query({ query: 'SELECT 1', format: 'JSONEachRow' })).json();
await ch.close();
console.log(JSON.stringify({ before, after: process.env.JE_MALLOC_CONF ?? null }));`;
  const childEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  const { stdout } = await exec(process.execPath, ['--input-type=module', '-e', script], { env: childEnv, timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

describe('the embedded engine allocator', () => {
  it('is tuned before chDB loads when the operator set nothing', async () => {
    expect(await confSeenByEngine({ JE_MALLOC_CONF: undefined })).toEqual({ before: null, after: EMBEDDED_ALLOCATOR_CONF });
  });

  it("keeps the operator's own JE_MALLOC_CONF", async () => {
    expect(await confSeenByEngine({ JE_MALLOC_CONF: 'dirty_decay_ms:1000' })).toEqual({ before: 'dirty_decay_ms:1000', after: 'dirty_decay_ms:1000' });
  });

  it('comes before chdb among the client module imports', async () => {
    const { readFileSync } = await import('node:fs');
    const source = readFileSync(path.resolve('pipeline/clickhouse/client.ts'), 'utf8');
    const allocator = source.indexOf("import './embedded-allocator.js';");
    const chdb = source.indexOf("from 'chdb/connection'");
    expect(allocator).toBeGreaterThan(-1);
    expect(allocator).toBeLessThan(chdb);
  });
});
