import { InvalidCursorError } from './errors/invalid-cursor-error.js';

// Page cursors are opaque to clients: base64url of a small JSON array. They carry the segment they were made
// for, so a cursor cannot be replayed against another segment (whose committed seq may be lower).

/** A members page: the committed seq the listing is a snapshot of, and the last profile id served. */
export interface MembersCursor {
  segmentId: string;
  seq: number;
  after: string;
}

/** A changes position: the (seq, profile_id) of the last change served. */
export interface ChangesCursor {
  segmentId: string;
  seq: number;
  profileId: string;
}

const encode = (parts: unknown[]): string => Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');

function decode(raw: string, kind: 'm' | 'c', segmentId: string): [number, string] {
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(raw)) throw new InvalidCursorError('the cursor is not a base64url string');
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('the cursor is not one this API issued');
  }
  if (!Array.isArray(parts) || parts.length !== 4 || parts[0] !== kind) {
    throw new InvalidCursorError(kind === 'm' ? 'the cursor is not a members cursor' : 'the cursor is not a changes cursor');
  }
  const [, segment, seq, id] = parts as [unknown, unknown, unknown, unknown];
  if (typeof segment !== 'string' || typeof id !== 'string' || typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
    throw new InvalidCursorError('the cursor is not one this API issued');
  }
  if (segment !== segmentId) throw new InvalidCursorError(`the cursor belongs to segment "${segment}", not "${segmentId}"`);
  return [seq, id];
}

export function encodeMembersCursor(c: MembersCursor): string {
  return encode(['m', c.segmentId, c.seq, c.after]);
}

export function decodeMembersCursor(raw: string, segmentId: string): MembersCursor {
  const [seq, after] = decode(raw, 'm', segmentId);
  return { segmentId, seq, after };
}

export function encodeChangesCursor(c: ChangesCursor): string {
  return encode(['c', c.segmentId, c.seq, c.profileId]);
}

export function decodeChangesCursor(raw: string, segmentId: string): ChangesCursor {
  const [seq, profileId] = decode(raw, 'c', segmentId);
  return { segmentId, seq, profileId };
}
