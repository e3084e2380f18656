import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { projectRoot } from '../../pipeline/core/project-root.js';
import { spawnCdp, stopCdp, type CdpProcess } from '../helpers/cdp-process.js';
import { ADMIN_KEY, basicAuth, tempDir, testEnv } from '../helpers/test-product.js';
import { waitFor } from '../helpers/wait-for.js';

// The `cdp` CLI as users run it: a real process, real data folder, real private Redis.

const bin = path.join(projectRoot(), 'bin', 'cdp.js');

function cdp(args: string[], env: Record<string, string>) {
  const res = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('without a server', () => {
  const dataDir = tempDir();
  const env = testEnv(dataDir);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  test('cdp sql opens the data folder directly', () => {
    const res = cdp(['sql', 'SELECT 1 + 1 AS two, count() AS n FROM events', '--format', 'json'], env);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual([{ two: 2, n: '0' }]);
  });

  test('cdp sql refuses writes', () => {
    const res = cdp(['sql', 'DROP TABLE events'], env);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/only one SELECT is allowed; this is DropQuery/);
    expect(cdp(['sql', 'SELECT count() AS n FROM events', '--format', 'csv'], env).stdout.trim().split('\n')[1]).toBe('0');
  });

  test('cdp sql reads the product database only, and cannot lift its limits', () => {
    for (const [query, refusal] of [
      ["SELECT file('/etc/passwd')", /function file\(\) is not allowed/],
      ["SELECT * FROM file('/proc/self/environ', 'LineAsString')", /table function file\(\) is not allowed/],
      ['SELECT name FROM system.tables', /table system\.tables is not allowed/],
      ["SELECT 1 INTO OUTFILE '/tmp/cdp-cli-outfile'", /INTO OUTFILE is not allowed/],
      ['SELECT number FROM numbers(10) SETTINGS max_result_rows = 0', /SETTINGS is not allowed/],
    ] as const) {
      const res = cdp(['sql', query], env);
      expect(res.code, query).toBe(1);
      expect(res.stderr, query).toMatch(refusal);
      expect(res.stdout + res.stderr).not.toMatch(/root:x?:0:0|PATH=/);
    }
    const overLimit = cdp(['sql', 'SELECT number FROM numbers(10)'], { ...env, SQL_MAX_RESULT_ROWS: '5' });
    expect(overLimit.code).toBe(1);
    expect(overLimit.stderr).toMatch(/Limit for result exceeded/);
  });

  test('cdp migrate reports an up-to-date schema', () => {
    const res = cdp(['migrate'], env);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/up to date/);
  });

  test('a bad flag value exits 2 and names the flag', () => {
    const res = cdp(['sql', 'SELECT 1', '--format', 'xml'], env);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--format must be one of json, csv, table/);
  });

  test('a bad environment variable stops start-up with a message naming it', () => {
    const res = cdp(['start'], { ...env, PORT: 'eighty' });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/PORT/);
    const roles = cdp(['start', '--roles', 'api,cook'], env);
    expect(roles.code).toBe(1);
    expect(roles.stderr).toMatch(/CDP_ROLES: roles must be a comma list/);
  });

  test('cdp jobs run and cdp identity rebuild open the data folder directly', () => {
    const job = cdp(['jobs', 'run', 'orders', '--as-of', '2026-01-01T00:00:00Z'], env);
    expect(job.code, job.stderr).toBe(0);
    expect(JSON.parse(job.stdout)).toMatchObject({ job: 'orders', as_of: '2026-01-01T00:00:00.000Z', status: 'succeeded', rows: 0 });
    const rebuild = cdp(['identity', 'rebuild'], env);
    expect(rebuild.code, rebuild.stderr).toBe(0);
    expect(JSON.parse(rebuild.stdout)).toEqual({ success: true, events: 0, profiles: 0, identifiers: 0, suppressed: 0 });
  });

  test('cdp segments needs a running product', () => {
    const res = cdp(['segments', 'run', 'all'], env);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/no product is running/);
  });

  test('keys create refuses an empty --segments instead of making a key for every segment', () => {
    for (const segments of ['', ' , ']) {
      const res = cdp(['keys', 'create', '--source', 'ads', '--scope', 'audience', '--segments', segments], env);
      expect(res.code, JSON.stringify(segments)).toBe(2);
      expect(res.stderr).toMatch(/--segments needs at least one segment name/);
    }
    const bad = cdp(['keys', 'create', '--source', 'ads', '--scope', 'audience', '--segments', 'VIP'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--segments lower-case letters/);
    expect(JSON.parse(cdp(['keys', 'list', '--format', 'json'], env).stdout).filter((k: { scope: string }) => k.scope === 'audience')).toEqual([]);
  });

  test('keys revoke refuses a malformed or unknown id', () => {
    const none = cdp(['keys', 'revoke'], env);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/usage: cdp keys revoke <id>/);
    expect(cdp(['keys', 'revoke', 'wk_test_web'], env).stderr).toMatch(/got "wk_test_web"/);
    const unknown = cdp(['keys', 'revoke', 'key_000000000000'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no key key_000000000000/);
  });

  test('an unknown command exits 2 with the usage', () => {
    const res = cdp(['frobnicate'], env);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/unknown command "frobnicate"/);
  });
});

describe('with a running server', () => {
  const dataDir = tempDir();
  // The server trusts a write key it looked up for an hour: only the CLI's announcement can make it forget one.
  const env = testEnv(dataDir, { LOG_LEVEL: 'info', WRITE_KEY_CACHE_SECONDS: '3600' });
  let server: CdpProcess;
  beforeAll(async () => {
    server = await spawnCdp(env, 'api,workers,scheduler');
  });
  afterAll(async () => {
    await stopCdp(server);
    rmSync(dataDir, { recursive: true, force: true });
  });

  /**
   * One event tracked with a write key made by `cdp keys create`, once for the server whichever test asks
   * first: the tests below read it back (exactly one 'Via CLI Key' event).
   */
  let trackedWithCliKey: Promise<{ write: ReturnType<typeof cdp>; key: string; status: number }> | undefined;
  const trackWithCliKey = () =>
    (trackedWithCliKey ??= (async () => {
      const write = cdp(['keys', 'create', '--source', 'shop', '--scope', 'write'], env);
      const key = write.stdout.split('\n')[0]!;
      const res = await fetch(`${server.url}/v1/track`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basicAuth(key) },
        body: JSON.stringify({ userId: 'cli-user', event: 'Via CLI Key' }),
      });
      return { write, key, status: res.status };
    })());
  /** The event above, loaded into ClickHouse. */
  async function cliKeyedEventLoaded(): Promise<void> {
    expect((await trackWithCliKey()).status).toBe(200);
    const count = async () => {
      const res = await fetch(`${server.url}/v1/sql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
        body: JSON.stringify({ query: "SELECT count() AS n FROM events WHERE event = 'Via CLI Key'" }),
      });
      return ((await res.json()) as { rows: { n: string }[] }).rows[0]!.n;
    };
    await waitFor('the event tracked with the CLI key to load', async () => (await count()) === '1', 20_000);
  }

  test('keys create makes working write and admin keys', async () => {
    const { write, key, status } = await trackWithCliKey();
    expect(write.code).toBe(0);
    expect(key).toMatch(/^wk_/);
    expect(status).toBe(200);

    const admin = cdp(['keys', 'create', '--source', 'ops', '--scope', 'admin'], env);
    const adminKey = admin.stdout.split('\n')[0]!;
    const sql = await fetch(`${server.url}/v1/sql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ query: 'SELECT 1 AS ok' }),
    });
    expect(await sql.json()).toEqual({ success: true, rows: [{ ok: 1 }] });
  });

  test('keys create makes an audience key limited to the segments named', async () => {
    const res = cdp(['keys', 'create', '--source', 'ads', '--scope', 'audience', '--segments', 'vip,lapsed'], env);
    expect(res.code, res.stderr).toBe(0);
    const key = res.stdout.split('\n')[0]!;
    expect(key).toMatch(/^uk_/);
    expect(res.stdout).toMatch(/segments vip, lapsed/);
    const other = await fetch(`${server.url}/v1/segments/other/members`, { headers: { authorization: `Bearer ${key}` } });
    expect(other.status).toBe(403);
    const wrong = cdp(['keys', 'create', '--source', 'x', '--scope', 'read', '--segments', 'vip'], env);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/--segments applies to audience keys only/);
  });

  test('keys list shows ids and no keys; keys revoke stops a write key in the running server', async () => {
    const created = cdp(['keys', 'create', '--source', 'to-revoke', '--scope', 'write'], env);
    expect(created.code, created.stderr).toBe(0);
    const key = created.stdout.split('\n')[0]!;
    const id = /\((write key (key_[0-9a-f]{12}))/.exec(created.stdout)?.[2];
    expect(id).toBeDefined();
    const track = async () =>
      (await fetch(`${server.url}/v1/track`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basicAuth(key) }, body: JSON.stringify({ userId: 'cli-user', event: 'Before Revoke' }) })).status;
    expect(await track()).toBe(200);

    const list = cdp(['keys', 'list', '--format', 'json'], env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).not.toContain(key);
    const keys = JSON.parse(list.stdout) as { id: string; name: string; origin: string; hint: string | null }[];
    expect(keys.find((k) => k.id === id)).toMatchObject({ name: 'to-revoke', origin: 'redis', hint: key.slice(-4) });
    const table = cdp(['keys', 'list'], env);
    expect(table.stdout.split('\n')[0]).toMatch(/^id +\| scope +\| name/);
    expect(table.stdout).toContain(id);

    const fromEnv = keys.find((k) => k.origin === 'env')!;
    const refused = cdp(['keys', 'revoke', fromEnv.id], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/CDP_WRITE_KEYS or CDP_ADMIN_KEY/);
    const local = keys.find((k) => k.origin === 'local-cli')!;
    const notForced = cdp(['keys', 'revoke', local.id], env);
    expect(notForced.code).toBe(2);
    expect(notForced.stderr).toMatch(/cli\.key.*--force/);

    const revoked = cdp(['keys', 'revoke', id!], env);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toMatch(new RegExp(`revoked ${id} \\(write key "to-revoke"\\)`));
    const until = Date.now() + 15_000;
    let status = await track();
    while (status !== 401 && Date.now() < until) {
      await sleep(50);
      status = await track();
    }
    expect(status).toBe(401);
    expect(JSON.parse(cdp(['keys', 'list', '--format', 'json'], env).stdout).map((k: { id: string }) => k.id)).not.toContain(id);
  });

  test('keys create refuses an unknown scope', () => {
    const res = cdp(['keys', 'create', '--source', 'x', '--scope', 'root'], env);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--scope must be one of write, audience, read, admin/);
  });

  test('cdp sql goes through the server that holds the data folder', async () => {
    expect((await trackWithCliKey()).status).toBe(200);
    const until = Date.now() + 20_000;
    let out = '';
    while (Date.now() < until) {
      const res = cdp(['sql', "SELECT count() AS n FROM events WHERE event = 'Via CLI Key'", '--format', 'json'], env);
      expect(res.code).toBe(0);
      out = res.stdout;
      if (JSON.parse(out)[0].n === '1') break;
      await sleep(200);
    }
    expect(JSON.parse(out)).toEqual([{ n: '1' }]);
  });

  test('cdp sql through the server is checked as well', () => {
    const res = cdp(['sql', "SELECT file('/etc/passwd') AS x"], env);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/function file\(\) is not allowed/);
    expect(res.stdout + res.stderr).not.toMatch(/root:x?:0:0/);
  });

  test('a second cdp start on the same data folder says the folder is in use', () => {
    const res = cdp(['start', '--roles', 'workers'], { ...env, PORT: '0' });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/the data folder .* is in use by another cdp process/);
  });

  test('cdp segments list and run go through the server', async () => {
    await cliKeyedEventLoaded();
    const created = await fetch(`${server.url}/v1/segments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` },
      body: JSON.stringify({ id: 'cli-keyed', name: 'Tracked with the CLI key', conditions: { type: 'event', event: 'Via CLI Key' } }),
    });
    expect(created.status).toBe(201);
    const list = cdp(['segments', 'list'], env);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).map((s: { id: string }) => s.id)).toContain('cli-keyed');
    const run = cdp(['segments', 'run', 'cli-keyed', '--as-of', new Date(Date.now() + 60_000).toISOString()], env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ segment_id: 'cli-keyed', size: 1 });
    const unknown = cdp(['segments', 'run', 'nope'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no segment "nope"/);
  });

  test('cdp jobs run, cdp identity rebuild and cdp migrate go through the server (the folder is locked to them)', () => {
    const job = cdp(['jobs', 'run', 'orders'], env);
    expect(job.code, job.stderr).toBe(0);
    expect(JSON.parse(job.stdout)).toMatchObject({ job: 'orders', status: 'succeeded' });
    const rebuild = cdp(['identity', 'rebuild'], env);
    expect(rebuild.code, rebuild.stderr).toBe(0);
    expect(JSON.parse(rebuild.stdout)).toMatchObject({ success: true, profiles: expect.any(Number) });
    expect(JSON.parse(rebuild.stdout).events).toBeGreaterThan(0);
    const migrate = cdp(['migrate'], env);
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(migrate.stdout).toMatch(/applied the migrations when it started; nothing to do/);
  });

  test('POST /v1/sql: keys, scopes and read-only enforcement', async () => {
    await cliKeyedEventLoaded();
    const q = (auth: string | undefined, query: string) =>
      fetch(`${server.url}/v1/sql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
        body: JSON.stringify({ query }),
      });
    expect((await q(undefined, 'SELECT 1')).status).toBe(401);
    expect((await q('Bearer nope', 'SELECT 1')).status).toBe(401);
    const readKey = cdp(['keys', 'create', '--source', 'analyst', '--scope', 'read'], env).stdout.split('\n')[0]!;
    expect((await q(`Bearer ${readKey}`, 'SELECT 1')).status).toBe(403);
    const admin = `Bearer ${ADMIN_KEY}`;
    for (const write of ["INSERT INTO events (message_id) VALUES ('x')", 'DROP TABLE events', 'TRUNCATE TABLE events']) {
      const res = await q(admin, write);
      expect(res.status, write).toBe(403);
      expect((await res.json()).code).toBe('sql_not_allowed');
    }
    expect((await q(admin, 'SET readonly = 0')).status).toBeGreaterThanOrEqual(400);
    expect((await q(admin, 'DROP TABLE events')).status).toBe(403);
    const bad = await q(admin, 'SELEC nonsense');
    expect(bad.status).toBe(400);
    expect((await bad.json()).code).toBe('query_failed');
    expect((await q(admin, '')).status).toBe(400);
    const still = await q(admin, 'SELECT count() > 0 AS loaded FROM events');
    expect(still.status).toBe(200);
    expect((await still.json()).rows[0]).toEqual({ loaded: 1 });
  });

  test('SIGTERM stops gracefully, and a restart loads whatever was still queued', async () => {
    const batch = Array.from({ length: 500 }, (_, i) => ({ type: 'track', userId: `drain-${i}`, event: 'Drain' }));
    const res = await fetch(`${server.url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth('wk_test_web') },
      body: JSON.stringify({ batch }),
    });
    expect(res.status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.output()).toMatch(/"msg":"stopped"/);
    server = await spawnCdp(env, 'api,workers,scheduler');
    const until = Date.now() + 30_000;
    let n = '';
    while (Date.now() < until && n !== '500') {
      n = JSON.parse(cdp(['sql', "SELECT count() AS n FROM events WHERE event = 'Drain'", '--format', 'json'], env).stdout)[0].n;
      await sleep(200);
    }
    expect(n).toBe('500');
  });
});
