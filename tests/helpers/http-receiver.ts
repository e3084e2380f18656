import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got, with the answer it gave. */
export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: any;
  status: number;
  at: number;
}

/** How a path answers its n-th request (n from 1): a status, with headers and a body. */
export type Answerer = (n: number, req: ReceivedRequest) => { status: number; headers?: Record<string, string>; body?: string };

export interface HttpReceiver {
  url: string;
  port: number;
  received: ReceivedRequest[];
  /** Sets how `path` answers (default: 200). */
  answer(path: string, how: Answerer): void;
  /** Requests of a path answered 2xx. */
  accepted(path: string): ReceivedRequest[];
  close(): Promise<void>;
}

/** A request's whole body as text. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A real HTTP server on 127.0.0.1 (on `port`, or a free one) that records every request. */
export async function startReceiver(port = 0): Promise<HttpReceiver> {
  const received: ReceivedRequest[] = [];
  const answerers = new Map<string, Answerer>();
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    readBody(req).then((raw) => {
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        // not JSON: kept as text
      }
      const path = req.url ?? '';
      const n = (counts.get(path) ?? 0) + 1;
      counts.set(path, n);
      const r: ReceivedRequest = { path, headers: req.headers, raw, body, status: 200, at: Date.now() };
      const answerer: Answerer = answerers.get(path) ?? (() => ({ status: 200 }));
      const out = answerer(n, r);
      r.status = out.status;
      received.push(r);
      res.writeHead(out.status, out.headers).end(out.body ?? '');
    }, () => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    received,
    answer: (path, how) => void answerers.set(path, how),
    accepted: (path) => received.filter((r) => r.path === path && r.status >= 200 && r.status < 300),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
