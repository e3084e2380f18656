import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClickHouse } from '../pipeline/clickhouse/client.js';
import { loadConfig } from '../pipeline/core/config.js';
import { chTime } from '../pipeline/clickhouse/ch-time.js';
import { createLogger } from '../pipeline/core/logger.js';
import { migrate } from '../pipeline/clickhouse/migrations.js';
import { round, seconds } from './figures.js';
import { sqlRows } from './sql-api.js';
import type { BenchOptions } from './options.js';
import { removeDir, startProductChild, stopChild } from './server-children.js';

// The audience API over generated segments of 100 k and 1 M members (BENCH_AUDIENCE_PROFILES), beside
// baselines read from the same server in the same run:
//   - data: written straight into ClickHouse by a generator child process (INSERT … SELECT FROM numbers()):
//     per size, a segment whose run 1 enters N profiles and whose run 2 lets 5 % leave and 5 % others enter
//     (so segment_membership holds superseded rows, as after real runs), and three traits per profile
//     (email, first_name, city);
//   - the server: `node bin/cdp.js start --roles workers` on that data folder, a child process, so that its
//     peak RSS can be read from /proc (VmHWM, reset through clear_refs before each phase);
//   - ours: every member through GET /members (10,000 per page, cursor to cursor), without and with traits
//     (email hashed), then the CSV export with traits, read as a stream and counted;
//   - baselines through POST /v1/sql on the same server: one scan of the membership (count and max
//     profile_id of segment_members_current), and the same rows read in one query without and with the
//     traits (one JSON answer: what a client would do without pagination or streaming).
// Walks check that ids arrive strictly increasing and that their count is the segment's size.

const ADMIN_KEY = 'ak_bench_audience';
const PAGE = 10_000;
const TRAITS = ['email', 'first_name'];
const DEFAULT_SIZES = [100_000, 1_000_000];
const segmentFor = (n: number) => `bench-audience-${n}`;

export interface PhaseFigure {
  rows: number;
  seconds: number;
  rowsPerSec: number;
  /** Server RSS when the phase started and its peak during the phase (MB). */
  rssStartMb: number;
  peakRssMb: number;
  pages?: number;
  bytes?: number;
}

export interface AudienceSizeReport {
  profiles: number;
  /** The server's RSS once ready, before any phase (MB). */
  serverRssAfterStartMb: number;
  segment: string;
  members: number;
  generateSeconds: number;
  ours: { members: PhaseFigure; membersWithTraits: PhaseFigure; exportCsv: PhaseFigure };
  baselines: { scan: PhaseFigure; readRows: PhaseFigure; readRowsWithTraits: PhaseFigure };
  /** rows/s of ours ÷ rows/s of the baseline named. */
  ratios: { membersVsReadRows: number; membersWithTraitsVsReadRowsWithTraits: number; exportVsReadRowsWithTraits: number; membersVsScan: number };
}

export interface AudienceReport {
  pageSize: number;
  traits: string[];
  sizes: AudienceSizeReport[];
  notes: string[];
}

const progress = (msg: string) => process.stderr.write(`bench: audience: ${msg}\n`);

function sizes(): number[] {
  const raw = process.env.BENCH_AUDIENCE_PROFILES;
  if (raw === undefined || raw.trim() === '') return DEFAULT_SIZES;
  const list = raw.split(',').map((s) => Number(s.trim().replaceAll('_', '')));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 100 || n % 20 !== 0)) {
    throw new Error(`BENCH_AUDIENCE_PROFILES must be a comma list of multiples of 20, at least 100; got "${raw}"`);
  }
  return list;
}

/** Generator (runs in a child process: only one process may open an embedded ClickHouse data folder). */
async function generate(dataDir: string, profileCounts: number[]): Promise<void> {
  const config = loadConfig({ CDP_DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
  const db = config.CLICKHOUSE_DATABASE;
  const client = createClickHouse(config);
  await migrate(client, db, createLogger(config));
  const pid = (expr: string) => `concat('p_', lower(hex(cityHash64(${expr}))))`;
  const asOf = (seq: number) => chTime(Date.UTC(2026, 5, seq));
  for (const n of profileCounts) {
    const started = performance.now();
    const params = { segment: segmentFor(n), n, extra: n / 20, as_of_1: asOf(1), as_of_2: asOf(2) };
    await client.insert({
      table: `${db}.segments`,
      format: 'JSONEachRow',
      values: [{ segment_id: segmentFor(n), version: 1, name: segmentFor(n), description: 'bench', kind: 'sql', definition: 'SELECT 1', every_minutes: 60, created_at: asOf(1), created_by: 'bench', deleted: 0 }],
    });
    const changes = `INSERT INTO ${db}.segment_changes (segment_id, seq, version, as_of, profile_id, change)`;
    await client.command({ query: `${changes} SELECT {segment:String}, 1, 1, {as_of_1:DateTime64(3)}, ${pid('number')}, 'entered' FROM numbers({n:UInt64})`, query_params: params });
    await client.command({ query: `${changes} SELECT {segment:String}, 2, 1, {as_of_2:DateTime64(3)}, ${pid('number')}, 'exited' FROM numbers({n:UInt64}) WHERE number % 20 = 0`, query_params: params });
    await client.command({ query: `${changes} SELECT {segment:String}, 2, 1, {as_of_2:DateTime64(3)}, ${pid('number')}, 'entered' FROM numbers({n:UInt64}, {extra:UInt64})`, query_params: params });
    await client.insert({
      table: `${db}.segment_runs`,
      format: 'JSONEachRow',
      values: [1, 2].map((seq) => ({ segment_id: segmentFor(n), seq, version: 1, run_id: `bench-${n}-${seq}`, as_of: asOf(seq), size: n, entered: seq === 1 ? n : n / 20, exited: seq === 1 ? 0 : n / 20, started_at: asOf(seq), finished_at: asOf(seq) })),
    });
    process.stderr.write(`bench: audience: generated segment of ${n} in ${round(seconds(started), 1)} s\n`);
  }
  const all = Math.max(...profileCounts) * 1.05;
  await client.command({
    query: `INSERT INTO ${db}.profile_traits (profile_id, trait, value, timestamp, message_id, received_at)
            SELECT ${pid('number')}, arrayJoin(['email', 'first_name', 'city']) AS trait,
                   multiIf(trait = 'email', concat('User', toString(number), '@Example.com'), trait = 'first_name', concat('Name ', toString(number)), 'Berlin'),
                   {as_of_1:DateTime64(3)}, concat('m', toString(number), trait), {as_of_1:DateTime64(3)}
            FROM numbers({all:UInt64})`,
    query_params: { all, as_of_1: asOf(1) },
  });
  await client.close();
}

/** The server's current and peak resident set (MB), from /proc. */
function rss(pid: number): { now: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { now: round(kb('VmRSS') / 1024), peak: round(kb('VmHWM') / 1024) };
}

/** Runs `work` with the server's peak RSS reset first (clear_refs 5), and reports it beside rows/s. */
async function phase(pid: number, work: () => Promise<{ rows: number; pages?: number; bytes?: number }>): Promise<PhaseFigure> {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
  const rssStartMb = rss(pid).now;
  const started = performance.now();
  const out = await work();
  const s = seconds(started);
  return { ...out, seconds: round(s, 3), rowsPerSec: round(out.rows / s), rssStartMb, peakRssMb: rss(pid).peak };
}

function startServer(dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  // The baselines read whole segments in one answer.
  return startProductChild(dataDir, 'workers', { CDP_ADMIN_KEY: ADMIN_KEY, SQL_MAX_RESULT_ROWS: '100000000', SQL_MAX_EXECUTION_SECONDS: '600' }, 120_000);
}

const auth = { authorization: `Bearer ${ADMIN_KEY}` };

async function walkMembers(url: string, segment: string, query: string): Promise<{ rows: number; pages: number }> {
  let cursor: string | null = null;
  let rows = 0;
  let pages = 0;
  let last = '';
  do {
    const res = await fetch(`${url}/v1/segments/${segment}/members?limit=${PAGE}${query}${cursor ? `&cursor=${cursor}` : ''}`, { headers: auth });
    if (res.status !== 200) throw new Error(`members page ${pages + 1}: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { members: { profile_id: string }[]; next_cursor: string | null };
    for (const m of body.members) {
      if (m.profile_id <= last) throw new Error(`members out of order or repeated at ${m.profile_id}`);
      last = m.profile_id;
    }
    rows += body.members.length;
    pages++;
    cursor = body.next_cursor;
  } while (cursor);
  return { rows, pages };
}

async function downloadCsv(url: string, segment: string): Promise<{ rows: number; bytes: number }> {
  const res = await fetch(`${url}/v1/segments/${segment}/export?format=csv&traits=${TRAITS.join(',')}&hash=sha256`, { headers: auth });
  if (res.status !== 200 || !res.body) throw new Error(`export: ${res.status} ${await res.text()}`);
  let lines = 0;
  let bytes = 0;
  for await (const chunk of res.body) {
    const buf = chunk as Uint8Array;
    bytes += buf.length;
    for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) lines++;
  }
  // The header line is not a member.
  return { rows: lines - 1, bytes };
}

async function measureSize(url: string, pid: number, n: number, generateSeconds: number): Promise<AudienceSizeReport> {
  const segment = segmentFor(n);
  const serverRssAfterStartMb = rss(pid).now;
  // The segment id is a constant of this bench ([a-z0-9-]); POST /v1/sql takes no query parameters.
  const where = `segment_id = '${segment}'`;
  progress(`${n}: members`);
  const members = await phase(pid, () => walkMembers(url, segment, ''));
  progress(`${n}: members with traits`);
  const membersWithTraits = await phase(pid, () => walkMembers(url, segment, `&traits=${TRAITS.join(',')}&hash=sha256`));
  progress(`${n}: CSV export`);
  const exportCsv = await phase(pid, () => downloadCsv(url, segment));
  progress(`${n}: baselines`);
  const scan = await phase(pid, async () => {
    const [row] = await sqlRows(url, ADMIN_KEY, `SELECT count() AS n, max(profile_id) AS last FROM cdp.segment_members_current WHERE ${where}`);
    return { rows: Number(row!.n) };
  });
  const readRows = await phase(pid, async () => ({ rows: (await sqlRows(url, ADMIN_KEY, `SELECT profile_id, since FROM cdp.segment_members_current WHERE ${where} ORDER BY profile_id`)).length }));
  const readRowsWithTraits = await phase(pid, async () => ({
    rows: (
      await sqlRows(
        url,
        ADMIN_KEY,
        `SELECT m.profile_id, m.since, t.traits FROM cdp.segment_members_current AS m
         LEFT JOIN (SELECT profile_id, groupArray((trait, value)) AS traits FROM cdp.profile_traits_current WHERE trait IN ('email', 'first_name') GROUP BY profile_id) AS t
         ON t.profile_id = m.profile_id WHERE m.${where} ORDER BY m.profile_id`,
      )
    ).length,
  }));
  for (const [name, f] of Object.entries({ members, membersWithTraits, exportCsv, readRows, readRowsWithTraits })) {
    if (f.rows !== scan.rows) throw new Error(`${name} read ${f.rows} members; the segment has ${scan.rows}`);
  }
  return {
    profiles: n,
    serverRssAfterStartMb,
    segment,
    members: scan.rows,
    generateSeconds: round(generateSeconds, 1),
    ours: { members, membersWithTraits, exportCsv },
    baselines: { scan, readRows, readRowsWithTraits },
    ratios: {
      membersVsReadRows: round(members.rowsPerSec / readRows.rowsPerSec, 3),
      membersWithTraitsVsReadRowsWithTraits: round(membersWithTraits.rowsPerSec / readRowsWithTraits.rowsPerSec, 3),
      exportVsReadRowsWithTraits: round(exportCsv.rowsPerSec / readRowsWithTraits.rowsPerSec, 3),
      membersVsScan: round(members.rowsPerSec / scan.rowsPerSec, 3),
    },
  };
}

export async function runAudienceBench(opts: BenchOptions): Promise<AudienceReport> {
  const profileCounts = sizes();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cdp-bench-aud-'));
  try {
    progress(`generating ${profileCounts.join(', ')} member segments in ${dataDir}`);
    const started = performance.now();
    const generator = fork(fileURLToPath(import.meta.url), ['generate', dataDir, profileCounts.join(',')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const code = await new Promise<number | null>((resolve) => generator.once('exit', resolve));
    if (code !== 0) throw new Error(`the data generator exited with ${code}`);
    const generateSeconds = seconds(started);
    const reports: AudienceSizeReport[] = [];
    // A fresh server per size: memory a process took for one size is not returned to the system, and would
    // hide the next size's peak.
    for (const n of profileCounts) {
      const { url, child } = await startServer(dataDir);
      try {
        reports.push(await measureSize(url, child.pid!, n, generateSeconds));
      } finally {
        await stopChild(child);
      }
    }
    return {
      pageSize: PAGE,
      traits: TRAITS,
      sizes: reports,
      notes: [
        'ours and baselines run on the same server child process, one per size; rows/s count members; RSS is the server process (VmRSS, VmHWM from /proc; the private Redis is another process)',
        'generateSeconds covers all sizes and the traits (one generator process)',
        'phases run in the order listed; the baselines read whole segments in one POST /v1/sql answer, so the server holds every row at once and their peak RSS grows with the audience, while the members walk and the export hold a page or two',
      ],
    };
  } finally {
    removeDir(dataDir, opts.keepData);
  }
}

// Forked by runAudienceBench as the data generator.
if (process.argv[2] === 'generate' && process.argv[1] === fileURLToPath(import.meta.url)) {
  generate(process.argv[3]!, process.argv[4]!.split(',').map(Number)).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`bench: audience generator: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
