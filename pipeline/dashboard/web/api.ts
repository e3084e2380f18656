import { CdpError } from '../../core/errors/cdp-error.js';
import type { DashboardError } from '../dashboard-types.js';

/** The server refused the admin key (401: missing or unknown; 403: not an admin key). */
export class KeyRefusedError extends CdpError {
  constructor(message: string, status: number, code: string | undefined) {
    super(code ?? 'key_refused', status, message);
  }
}

/** Any other failed request, with the server's code when it sent one. */
export class ApiError extends CdpError {
  constructor(message: string, status: number, code: string | undefined) {
    super(code ?? 'request_failed', status, message);
  }
}

/** GET a dashboard endpoint with the admin key as a Bearer token. */
export async function getJson<T>(path: string, key: string): Promise<T> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${key}`, accept: 'application/json' } });
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const err = body as Partial<DashboardError> | undefined;
  if (res.status === 401 || res.status === 403) {
    const why = res.status === 403 ? 'this key is not an admin key' : err?.code === 'missing_key' ? 'no key was sent' : 'this key is unknown to the server';
    throw new KeyRefusedError(`The server refused the key: ${why}.`, res.status, err?.code);
  }
  if (!res.ok) throw new ApiError(err?.message ?? `${res.status} ${res.statusText}`, res.status, err?.code);
  return body as T;
}
