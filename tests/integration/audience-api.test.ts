import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { diff, segmentFixtures, type Change, type SegmentFixtures } from '../helpers/segment-audience-fixtures.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// The audience API over segment runs written straight into ClickHouse: members (keyset pages over a
// snapshot), changes since a cursor, streamed exports, hashing, and what is refused.

let product: TestProduct;
let fx: SegmentFixtures;
let readKey: string;
const tag = randomUUID().slice(0, 8);
// The same four runs, committed up to where a test needs them. Tests that commit a run themselves get a
// segment of their own (segmentAt below), so that every test finds the state it reads whatever ran before.
/** Runs 1 and 2 committed. */
const vip = `vip-${tag}`;
/** Runs 1 to 3 committed; run 4's changes written, not committed. */
const vip3 = `vip3-${tag}`;
/** Runs 1 to 4 committed. */
const vip4 = `vip4-${tag}`;
const other = `other-${tag}`;
const gone = `gone-${tag}`;
const pid = (i: number) => `p-${String(i).padStart(6, '0')}`;
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);
const T0 = Date.parse('2026-03-01T00:00:00Z');
const HOUR = 3600_000;

// Run 1: 2,345 members (no page size used below divides it). Run 2: every 5th leaves, 256 join.
const s1 = new Set(range(0, 2345).map(pid));
const s2 = new Set([...range(0, 2345).filter((i) => i % 5 !== 0), ...range(2345, 2601)].map(pid));
// Run 3 commits while a listing is under way; run 4 is written and not committed, then committed.
const s3 = new Set([...s2].filter((p) => Number(p.slice(2)) % 7 !== 0).concat(range(3000, 3051).map(pid)));
const s4 = new Set([...s3].filter((p) => Number(p.slice(2)) % 3 !== 0));
const runs: Change[][] = [diff(new Set(), s1), diff(s1, s2), diff(s2, s3), diff(s3, s4)];
const sizes = [s1.size, s2.size, s3.size, s4.size];

const get = (path: string, key: string | null = readKey) => fetch(`${product.url}${path}`, { headers: key === null ? {} : { authorization: `Bearer ${key}` } });
async function json(path: string, key: string | null = readKey): Promise<{ status: number; body: any }> {
  const res = await get(path, key);
  return { status: res.status, body: await res.json() };
}

async function allMembers(segment: string, query: string): Promise<{ ids: string[]; pages: number; records: any[] }> {
  const records: any[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const { status, body } = await json(`/v1/segments/${segment}/members?${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(status, JSON.stringify(body)).toBe(200);
    records.push(...body.members);
    cursor = body.next_cursor;
    pages++;
  } while (cursor);
  return { ids: records.map((r) => r.profile_id), pages, records };
}

/** RFC 4180 reader, for checking the export byte for byte against the member set. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  expect(field).toBe('');
  expect(row).toEqual([]);
  return rows;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const ANN = pid(1);
const ANN_EMAIL = '  Ann.Lee@Example.COM ';
const ANN_PHONE = '+44 (0) 7700 900123';
const ANN_NAME = 'Ann "Annie", Jr.\nsecond line';

beforeAll(async () => {
  product = await startTestProduct();
  fx = segmentFixtures(product);
  readKey = await product.keys.create('read', 'ads-sync');
  await segmentAt(vip, 2);
  await segmentAt(vip3, 3, 4);
  await segmentAt(vip4, 4);
  await fx.defineSegment(other);
  await fx.defineSegment(gone);
  await fx.defineSegment(gone, { version: 2, deleted: true });
  await fx.writeChanges(other, 1, T0, diff(new Set(), new Set(range(0, 10).map(pid))));
  await fx.commitRun(other, 1, T0, diff(new Set(), new Set(range(0, 10).map(pid))), 10);
  await fx.setTraits([
    { profile_id: ANN, trait: 'email', value: ANN_EMAIL },
    { profile_id: ANN, trait: 'phone', value: ANN_PHONE },
    { profile_id: ANN, trait: 'first_name', value: ANN_NAME },
    ...range(2, 2601).filter((i) => i % 2 === 0).map((i) => ({ profile_id: pid(i), trait: 'email', value: `User${i}@Example.com` })),
    ...range(2, 2601).filter((i) => i % 10 === 0).map((i) => ({ profile_id: pid(i), trait: 'first_name', value: `Name ${i}` })),
  ]);
});

afterAll(async () => {
  await fx?.close();
  await product?.destroy();
});

/** Defines `segment` with runs 1 … `written` of `runs`, the first `committed` of them committed. */
async function segmentAt(segment: string, committed: number, written = committed): Promise<void> {
  await fx.defineSegment(segment);
  for (let seq = 1; seq <= written; seq++) {
    const at = T0 + (seq - 1) * HOUR;
    await fx.writeChanges(segment, seq, at, runs[seq - 1]!);
    if (seq <= committed) await fx.commitRun(segment, seq, at, runs[seq - 1]!, sizes[seq - 1]!);
  }
}

describe('members', () => {
  test('pages walk every member once, in profile_id order, whether or not the page size divides the count', async () => {
    const expected = [...s2].sort();
    for (const limit of [333, 1000, 2345, 10_000]) {
      const { ids, pages } = await allMembers(vip, `limit=${limit}`);
      expect(ids).toEqual(expected);
      expect(pages).toBe(Math.ceil(expected.length / limit));
    }
    const byDefault = await allMembers(vip, '');
    expect(byDefault.ids).toEqual(expected);
    expect(byDefault.pages).toBe(Math.ceil(expected.length / 1000));
  });

  test('a member carries the time it last entered and the traits asked for, null when missing', async () => {
    const { records } = await allMembers(vip, 'limit=10000&traits=first_name,email,loyalty_tier');
    const ann = records.find((r) => r.profile_id === ANN);
    expect(ann).toEqual({ profile_id: ANN, since: new Date(T0).toISOString(), traits: { first_name: ANN_NAME, email: ANN_EMAIL, loyalty_tier: null } });
    const newcomer = records.find((r) => r.profile_id === pid(2400));
    expect(newcomer).toEqual({ profile_id: pid(2400), since: new Date(T0 + HOUR).toISOString(), traits: { first_name: 'Name 2400', email: 'User2400@Example.com', loyalty_tier: null } });
    expect(records.find((r) => r.profile_id === pid(3))!.traits).toEqual({ first_name: null, email: null, loyalty_tier: null });
  });

  test('traits follow merges and take the latest value, as the profile_traits_current view does, for every member', async () => {
    const survivor = pid(13);
    const merged = `zz-old-${tag}`;
    await fx.setTraits([
      { profile_id: survivor, trait: 'first_name', value: 'Thirteen', at: T0 + 2 * HOUR },
      { profile_id: merged, trait: 'first_name', value: 'Older name', at: T0 },
      { profile_id: merged, trait: 'email', value: 'merged@example.com', at: T0 },
    ]);
    await fx.mergeProfile(merged, survivor);
    const { records } = await allMembers(vip, 'limit=1000&traits=email,first_name');
    expect(records.find((r) => r.profile_id === survivor)!.traits).toEqual({ email: 'merged@example.com', first_name: 'Thirteen' });
    const view = await product.sql<{ profile_id: string; trait: string; value: string }>(
      "SELECT profile_id, trait, value FROM profile_traits_current WHERE trait IN ('email', 'first_name')",
    );
    const fromView = new Map<string, Record<string, string | null>>();
    for (const v of view) fromView.set(v.profile_id, { ...(fromView.get(v.profile_id) ?? { email: null, first_name: null }), [v.trait]: v.value });
    for (const r of records) expect(r.traits, r.profile_id).toEqual(fromView.get(r.profile_id) ?? { email: null, first_name: null });
  });

  test('hash=sha256 replaces email and phone by the SHA-256 of their normalised value, and leaves other traits alone', async () => {
    const { records } = await allMembers(vip, 'limit=10000&traits=email,phone,first_name&hash=sha256');
    const ann = records.find((r) => r.profile_id === ANN)!;
    expect(ann.traits).toEqual({ email: sha256('ann.lee@example.com'), phone: sha256('+447700900123'), first_name: ANN_NAME });
    expect(records.find((r) => r.profile_id === pid(2400))!.traits.email).toBe(sha256('user2400@example.com'));
  });

  test('a listing is a snapshot: a run committing mid-way does not change the pages that follow; a new listing sees it', async () => {
    const segment = `snapshot-${tag}`;
    await segmentAt(segment, 2);
    const first = await json(`/v1/segments/${segment}/members?limit=500`);
    expect(first.body.seq).toBe(2);
    await fx.writeChanges(segment, 3, T0 + 2 * HOUR, runs[2]!);
    await fx.commitRun(segment, 3, T0 + 2 * HOUR, runs[2]!, s3.size);
    const ids: string[] = first.body.members.map((m: any) => m.profile_id);
    let cursor = first.body.next_cursor;
    while (cursor) {
      const { body } = await json(`/v1/segments/${segment}/members?limit=500&cursor=${cursor}`);
      expect(body.seq).toBe(2);
      ids.push(...body.members.map((m: any) => m.profile_id));
      cursor = body.next_cursor;
    }
    expect(ids).toEqual([...s2].sort());
    expect((await allMembers(segment, 'limit=700')).ids).toEqual([...s3].sort());
  });

  test('changes of a run that is not committed are not visible', async () => {
    const segment = `uncommitted-${tag}`;
    await segmentAt(segment, 3);
    await fx.writeChanges(segment, 4, T0 + 3 * HOUR, runs[3]!);
    const { ids, records } = await allMembers(segment, 'limit=1000');
    expect(ids).toEqual([...s3].sort());
    expect(new Set(records.map((r) => r.since))).toEqual(new Set([T0, T0 + HOUR, T0 + 2 * HOUR].map((t) => new Date(t).toISOString())));
  });

  test('a segment with no committed run has no members; unknown and deleted segments are 404', async () => {
    const empty = `empty-${tag}`;
    await fx.defineSegment(empty);
    expect(await json(`/v1/segments/${empty}/members`)).toEqual({ status: 200, body: { success: true, segment_id: empty, seq: 0, members: [], next_cursor: null } });
    for (const id of [`nope-${tag}`, gone]) {
      const res = await json(`/v1/segments/${id}/members`);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('segment_not_found');
    }
  });

  test('bad cursors, limits, traits and parameters are refused with what is wrong', async () => {
    const otherCursor = (await json(`/v1/segments/${other}/members?limit=3`)).body.next_cursor;
    const changesCursor = (await json(`/v1/segments/${vip}/changes?limit=3`)).body.next_cursor;
    const cases: [string, string, RegExp][] = [
      ['cursor=not*base64', 'invalid_cursor', /base64url/],
      [`cursor=${Buffer.from('{"a":1}').toString('base64url')}`, 'invalid_cursor', /not a members cursor/],
      [`cursor=${otherCursor}`, 'invalid_cursor', new RegExp(`belongs to segment "${other}"`)],
      [`cursor=${changesCursor}`, 'invalid_cursor', /not a members cursor/],
      ['limit=0', 'invalid_request', /limit: must be from 1 to 10000/],
      ['limit=10001', 'invalid_request', /limit: must be from 1 to 10000/],
      ['limit=ten', 'invalid_request', /limit: must be a whole number/],
      ['traits=email,,first_name', 'invalid_traits', /"" is not a trait name/],
      ['traits=email,email', 'invalid_traits', /"email" is listed twice/],
      ['traits=first name', 'invalid_traits', /"first name" is not a trait name/],
      ['hash=md5', 'invalid_request', /hash: must be sha256/],
      ['page=2', 'invalid_request', /unknown parameter\(s\) page/],
    ];
    for (const [query, code, message] of cases) {
      const res = await json(`/v1/segments/${vip}/members?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.code, query).toBe(code);
      expect(res.body.message, query).toMatch(message);
    }
  });
});

describe('changes', () => {
  async function walk(segment: string, from: string | null, limit: number): Promise<{ rows: any[]; cursor: string }> {
    const rows: any[] = [];
    let cursor = from;
    for (;;) {
      const { status, body } = await json(`/v1/segments/${segment}/changes?limit=${limit}${cursor ? `&since=${cursor}` : ''}`);
      expect(status).toBe(200);
      rows.push(...body.changes);
      cursor = body.next_cursor;
      if (!body.has_more) return { rows, cursor: cursor! };
    }
  }
  const expectedRows = (seqs: number[]) =>
    seqs.flatMap((seq) => [...runs[seq - 1]!].sort((a, b) => a.profile_id.localeCompare(b.profile_id)).map((c) => ({ ...c, seq, as_of: new Date(T0 + (seq - 1) * HOUR).toISOString() })));

  test('from the beginning: every change of the committed runs, once, by (seq, profile_id); none of the uncommitted one', async () => {
    const { rows } = await walk(vip3, null, 97);
    expect(rows).toEqual(expectedRows([1, 2, 3]));
  });

  test('a sync resumes exactly where it stopped, and picks up the next run once it commits', async () => {
    const segment = `sync-${tag}`;
    await segmentAt(segment, 3, 4);
    const half = await walk(segment, null, 1000);
    const part = (await json(`/v1/segments/${segment}/changes?limit=1500`)).body;
    const rest = await walk(segment, part.next_cursor, 211);
    expect([...part.changes, ...rest.rows]).toEqual(half.rows);
    const idle = await json(`/v1/segments/${segment}/changes?since=${rest.cursor}`);
    expect(idle.body).toMatchObject({ changes: [], next_cursor: rest.cursor, has_more: false, committed_seq: 3 });
    await fx.commitRun(segment, 4, T0 + 3 * HOUR, runs[3]!, s4.size);
    const next = await walk(segment, rest.cursor, 50);
    expect(next.rows).toEqual(expectedRows([4]));
    expect((await allMembers(segment, 'limit=10000')).ids).toEqual([...s4].sort());
  });

  test('a bad since cursor is refused', async () => {
    const membersCursor = (await json(`/v1/segments/${vip}/members?limit=2`)).body.next_cursor;
    for (const since of ['%%%', membersCursor]) {
      const res = await json(`/v1/segments/${vip}/changes?since=${since}`);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_cursor');
    }
  });
});

describe('export', () => {
  test('CSV: a header, then every member once with its traits, quoted where needed', async () => {
    const res = await get(`/v1/segments/${vip4}/export?format=csv&traits=first_name,email`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="segment-${vip4}-4.csv"`);
    const rows = parseCsv(await res.text());
    expect(rows[0]).toEqual(['profile_id', 'since', 'first_name', 'email']);
    const body = rows.slice(1);
    expect(body.map((r) => r[0])).toEqual([...s4].sort());
    expect(body.find((r) => r[0] === ANN)).toEqual([ANN, new Date(T0).toISOString(), ANN_NAME, ANN_EMAIL]);
    const members = (await allMembers(vip4, 'limit=10000&traits=first_name,email')).records;
    expect(body).toEqual(members.map((m) => [m.profile_id, m.since, m.traits.first_name ?? '', m.traits.email ?? '']));
  });

  test('NDJSON with hashing: the same records as the members endpoint', async () => {
    const res = await get(`/v1/segments/${vip4}/export?format=ndjson&traits=email,phone&hash=sha256`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    const lines = (await res.text()).split('\n');
    expect(lines.pop()).toBe('');
    const records = lines.map((l) => JSON.parse(l));
    expect(records).toEqual((await allMembers(vip4, 'limit=10000&traits=email,phone&hash=sha256')).records);
    expect(records.find((r) => r.profile_id === ANN).traits.email).toBe(sha256('ann.lee@example.com'));
  });

  test('bad format or traits are refused; unknown segments are 404', async () => {
    expect((await json(`/v1/segments/${vip}/export?format=xlsx`)).body).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/format: must be csv or ndjson/) });
    expect((await json(`/v1/segments/${vip}/export?traits=a;b`)).body.code).toBe('invalid_traits');
    expect((await json(`/v1/segments/nope-${tag}/export`)).status).toBe(404);
  });
});

describe('auth', () => {
  test('members, changes and export need a read or admin key', async () => {
    for (const path of [`/v1/segments/${vip}/members`, `/v1/segments/${vip}/changes`, `/v1/segments/${vip}/export`]) {
      expect((await get(path, null)).status).toBe(401);
      expect((await get(path, 'rk_not_a_key')).status).toBe(401);
      expect((await get(path, readKey)).status).toBe(200);
      expect((await get(path, ADMIN_KEY)).status).toBe(200);
    }
  });

  test("an audience key reads its own segments' audiences and nothing else", async () => {
    const vipOnly = await product.keys.create('audience', 'ads-tool', { segments: [vip] });
    const everySegment = await product.keys.create('audience', 'crm-tool');
    for (const path of [`/v1/segments/${vip}/members`, `/v1/segments/${vip}/changes`, `/v1/segments/${vip}/export`]) {
      expect((await get(path, vipOnly)).status).toBe(200);
      expect((await get(path, everySegment)).status).toBe(200);
    }
    for (const path of [`/v1/segments/${other}/members`, `/v1/segments/${other}/changes`, `/v1/segments/${other}/export`]) {
      const res = await json(path, vipOnly);
      expect(res.status).toBe(403);
      expect(res.body.message).toMatch(new RegExp(`may read segments ${vip} only`));
      expect((await get(path, everySegment)).status).toBe(200);
    }
    // Nothing beyond the audience API: not the segment definitions, profiles, SQL or destinations.
    for (const key of [vipOnly, everySegment]) {
      expect((await get('/v1/segments', key)).status).toBe(403);
      expect((await get(`/v1/profiles/${ANN}`, key)).status).toBe(403);
      expect((await get('/v1/destinations', key)).status).toBe(403);
      const sql = await fetch(`${product.url}/v1/sql`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ query: 'SELECT 1' }) });
      expect(sql.status).toBe(403);
    }
  });

  test('destinations need an admin key', async () => {
    expect((await get('/v1/destinations', null)).status).toBe(401);
    const res = await json('/v1/destinations', readKey);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('forbidden');
    const created = await fetch(`${product.url}/v1/destinations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${readKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ segment_id: vip, url: 'https://example.com/hook', secret: 'x'.repeat(40) }),
    });
    expect(created.status).toBe(403);
    expect((await json('/v1/destinations', ADMIN_KEY)).body).toEqual({ success: true, destinations: [] });
  });
});
