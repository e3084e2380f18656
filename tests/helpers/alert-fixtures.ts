import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClickHouse } from '../../pipeline/clickhouse/client.js';
import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import type { TestProduct } from './test-product.js';
import { readBody } from './http-receiver.js';

// What the alert tests share: a real HTTP receiver that checks every signature, and events written straight
// into ClickHouse with the times a test needs (received_at, the pipeline metrics' clock, included).

export interface Received {
  path: string;
  status: number;
  deliveryId: string;
  signatureValid: boolean;
  body: { delivery_id: string; alert: { id: string; name: string; metric: string; version: number }; state: string; previous_state: string; value: number | null; at: string; condition: unknown; baseline?: unknown };
}

export interface Receiver {
  url: string;
  received: Received[];
  /** How to answer the n-th request (from 1) of a delivery id on a path; 200 by default. */
  behaviour: Map<string, (attempt: number) => number>;
  close(): Promise<void>;
}

/** A receiver checking x-cdp-signature against `secret` itself (HMAC-SHA256 of `<timestamp>.<body>`). */
export async function startReceiver(secret: string): Promise<Receiver> {
  const received: Received[] = [];
  const behaviour = new Map<string, (attempt: number) => number>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const timestamp = String(req.headers['x-cdp-timestamp']);
      const signature = Buffer.from(String(req.headers['x-cdp-signature']));
      const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${raw}`).digest('hex')}`);
      const deliveryId = String(req.headers['x-cdp-delivery']);
      const path = req.url ?? '/';
      const attempt = received.filter((r) => r.path === path && r.deliveryId === deliveryId).length + 1;
      const status = behaviour.get(path)?.(attempt) ?? 200;
      received.push({ path, status, deliveryId, signatureValid: signature.length === expected.length && timingSafeEqual(signature, expected), body: JSON.parse(raw) });
      res.writeHead(status).end();
    })().catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    behaviour,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** An event row; `at` is its timestamp and its arrival (received_at). */
export interface EventRow {
  at: number;
  event?: string;
  type?: string;
  profile_id?: string;
  message_id?: string;
  order_id?: string;
  revenue?: number;
  currency?: string;
  properties?: Record<string, unknown>;
  /** loaded_at − received_at (default 500 ms). */
  lagMs?: number;
}

/** Writes events into ClickHouse as the loader would have, with the times given. */
export async function insertEvents(product: TestProduct, rows: EventRow[]): Promise<void> {
  const clickhouse = createClickHouse(product.config);
  try {
    await clickhouse.insert({
      table: `${product.config.CLICKHOUSE_DATABASE}.events`,
      format: 'JSONEachRow',
      values: rows.map((r) => ({
        message_id: r.message_id ?? randomUUID(),
        type: r.type ?? 'track',
        event: r.event ?? '',
        profile_id: r.profile_id ?? 'p-someone',
        timestamp: chTime(r.at),
        original_timestamp: chTime(r.at),
        received_at: chTime(r.at),
        loaded_at: chTime(r.at + (r.lagMs ?? 500)),
        source_id: 'web',
        order_id: r.order_id ?? '',
        revenue: r.revenue ?? null,
        currency: r.currency ?? '',
        properties: JSON.stringify(r.properties ?? {}),
      })),
    });
  } finally {
    await clickhouse.close();
  }
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const at = (iso: string) => Date.parse(iso);
