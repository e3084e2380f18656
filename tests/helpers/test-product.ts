import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, type Config, type Role } from '../../pipeline/core/config.js';
import { createLogger } from '../../pipeline/core/logger.js';
import { startProduct, type Product, type StartOptions } from '../../pipeline/process/start.js';

export const WRITE_KEY = 'wk_test_web';
export const SOURCE_ID = 'web';
export const ADMIN_KEY = 'ak_test_admin';

export function tempDir(prefix = 'cdp-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Environment of a test product: its own data folder (chDB + private Redis), a free port, quiet logs. */
export function testEnv(dataDir: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    CDP_DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    CDP_WRITE_KEYS: `${WRITE_KEY}:${SOURCE_ID}`,
    CDP_ADMIN_KEY: ADMIN_KEY,
    // A fresh queue namespace per product, as BullMQ's own tests do.
    QUEUE_PREFIX: `{t${randomBytes(4).toString('hex')}}`,
    LOAD_BATCH_MAX_WAIT_MS: '50',
    ...overrides,
  };
}

/** `auth`: the authorization header; default a write key's Basic auth, null for none. */
export interface RequestOptions {
  auth?: string | null;
  headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

export interface TestProduct extends Product {
  dataDir: string;
  /** POST JSON (or a raw string/Buffer) to the product. */
  post(route: string, body: unknown, opts?: RequestOptions): Promise<Answer>;
  /** Any method; a body (JSON, or a raw string/Buffer) only when given. The answer's body is its JSON, or its text. */
  request(method: string, route: string, body?: unknown, opts?: RequestOptions): Promise<Answer>;
  /** A read-only query through POST /v1/sql. */
  sql<T = Record<string, unknown>>(query: string): Promise<T[]>;
  /** Polls `sql` until `done(rows)` holds (or throws after the timeout with the last rows). */
  waitForRows<T = Record<string, unknown>>(query: string, done: (rows: T[]) => boolean, timeoutMs?: number): Promise<T[]>;
  /** Stops the product and removes its data folder. */
  destroy(): Promise<void>;
}

export function basicAuth(key: string): string {
  return `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
}

export async function startTestProduct(opts: { roles?: Role[]; env?: Record<string, string>; dataDir?: string; start?: StartOptions } = {}): Promise<TestProduct> {
  const dataDir = opts.dataDir ?? tempDir();
  const config: Config = loadConfig(testEnv(dataDir, opts.env));
  const product = await startProduct(config, opts.roles ?? ['api', 'workers'], createLogger(config), opts.start);
  const request: TestProduct['request'] = async (method, route, body, o = {}) => {
    const headers: Record<string, string> = { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...o.headers };
    if (o.auth !== null) headers.authorization = o.auth ?? basicAuth(WRITE_KEY);
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body);
    const res = await fetch(`${product.url}${route}`, { method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  const post: TestProduct['post'] = (route, body, o) => request('POST', route, body, o);
  const sql = async <T,>(query: string): Promise<T[]> => {
    const res = await post('/v1/sql', { query }, { auth: `Bearer ${ADMIN_KEY}` });
    if (res.status !== 200) throw new Error(`sql failed (${res.status}): ${JSON.stringify(res.body)}`);
    return res.body.rows as T[];
  };
  return {
    ...product,
    dataDir,
    post,
    request,
    sql,
    async waitForRows<T>(query: string, done: (rows: T[]) => boolean, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      let rows: T[] = [];
      while (Date.now() < until) {
        rows = await sql<T>(query);
        if (done(rows)) return rows;
        await sleep(100);
      }
      throw new Error(`timed out waiting on "${query}"; last rows: ${JSON.stringify(rows).slice(0, 500)}`);
    },
    async destroy() {
      await product.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
