import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { PrivateAddressError } from './errors/private-address-error.js';
import { isPrivateAddress } from './private-address.js';
import { guardedLookup, urlHost } from './url-guard.js';

export interface OutboundAnswer {
  status: number;
  /** The Retry-After header, as sent. */
  retryAfter?: string;
  /** The start of the answer's body (at most BODY_START bytes), for dead letters. */
  bodyStart: string;
}

export interface OutboundRequest {
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** Check the address connected to (the destination was created through the API and private addresses are not allowed). */
  guarded: boolean;
}

const BODY_START = 512;

/**
 * One POST to a destination. Redirects are answers, not followed: a signed body is not sent on elsewhere. With
 * `guarded`, the connection goes only to a public address, checked after the lookup the socket uses. Rejects on
 * a timeout, a connection error or a private address.
 */
export function postOutbound(raw: string, req: OutboundRequest): Promise<OutboundAnswer> {
  const url = new URL(raw);
  const host = urlHost(url);
  if (req.guarded && isIP(host) && isPrivateAddress(host)) return Promise.reject(new PrivateAddressError(host, host));
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<OutboundAnswer>((resolve, reject) => {
    const request = client.request(
      url,
      {
        method: 'POST',
        headers: { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) },
        ...(req.guarded ? { lookup: guardedLookup } : {}),
        signal: AbortSignal.timeout(req.timeoutMs),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          const retryAfter = res.headers['retry-after'];
          resolve({ status: res.statusCode ?? 0, ...(retryAfter === undefined ? {} : { retryAfter: String(retryAfter) }), bodyStart: Buffer.concat(chunks).toString('utf8').slice(0, BODY_START) });
        };
        res.on('data', (chunk: Buffer) => {
          if (size < BODY_START) chunks.push(chunk);
          size += chunk.length;
          // Enough of the answer is read: the rest of a large one is not waited for.
          if (size >= BODY_START) {
            res.destroy();
            done();
          }
        });
        res.on('end', done);
        res.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(req.body);
  });
}
