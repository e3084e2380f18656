import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createClickHouse, type ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import { chTime } from '../../pipeline/clickhouse/ch-time.js';
import { ALLOWED_FUNCTIONS, ALLOWED_TABLE_FUNCTIONS } from '../../pipeline/clickhouse/sql-allowed-functions.js';
import { isAllowedFunction } from '../../pipeline/clickhouse/sql-guard.js';
import { ADMIN_KEY, startTestProduct, type TestProduct } from '../helpers/test-product.js';

// What analyst SQL may do, through the real product: the console (POST /v1/sql) and analyst SQL segments
// (save with PUT /v1/segments/:id, POST /v1/segments/preview, a run) share one check. Each refused function,
// table function, database, clause and spelling is its own test on both; ordinary analyst queries keep
// working; the limits hold and a query cannot lift them.

let product: TestProduct;
let clickhouse: ClickHouseClient;
const profile = new Map<string, string>();
const T = Date.parse('2026-05-01T10:00:00Z');
const DAY = 86_400_000;

async function api(method: string, route: string, body?: unknown) {
  const res = await fetch(`${product.url}${route}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const consoleQuery = (query: string) => api('POST', '/v1/sql', { query });

// What the host would give away: /etc/passwd's first line, and any process environment.
const LEAK = /root:x?:0:0|PATH=|HOME=/;
// Where a refused INTO OUTFILE would have written.
const OUTFILE = path.join(tmpdir(), `cdp-sql-guard-${randomBytes(4).toString('hex')}`);

beforeAll(async () => {
  product = await startTestProduct({
    env: { SQL_MAX_RESULT_ROWS: '1000', SQL_MAX_EXECUTION_SECONDS: '3', SQL_MAX_MEMORY_BYTES: '100000000' },
  });
  const at = (days: number) => new Date(T - days * DAY).toISOString();
  const batch = [
    { type: 'identify', userId: 'obrien', timestamp: at(30), traits: { last_name: "O'Brien", email: 'sean@example.com', city: 'Dublin' } },
    { type: 'identify', userId: 'ada', timestamp: at(30), traits: { last_name: 'Lovelace', email: 'ada@example.com', city: 'London' } },
    { type: 'track', userId: 'obrien', event: 'Order Completed', timestamp: at(10), properties: { order_id: 'o1', revenue: 30, currency: 'EUR', products: [{ sku: 'tea' }] } },
    { type: 'track', userId: 'obrien', event: 'Order Completed', timestamp: at(2), properties: { order_id: 'o2', revenue: 12.5, currency: 'EUR', products: [{ sku: 'cup' }] } },
    { type: 'track', userId: 'ada', event: 'Order Completed', timestamp: at(5), properties: { order_id: 'o3', revenue: 99, currency: 'GBP', products: [{ sku: 'loom' }] } },
    { type: 'page', userId: 'ada', name: 'Home', timestamp: at(1), context: { page: { url: 'https://shop.example.com/?utm_source=news', path: '/' } } },
  ];
  expect((await product.post('/v1/batch', { batch })).status).toBe(200);
  await product.waitForRows(`SELECT count() AS n FROM events`, (r) => Number((r[0] as { n: string }).n) === batch.length);
  for (const row of await product.sql<{ identifier: string; profile_id: string }>(`SELECT identifier, profile_id FROM profile_identifiers WHERE identifier_type = 'user_id'`)) {
    profile.set(row.identifier, row.profile_id);
  }
  const saved = await api('POST', '/v1/segments', { id: 'analyst', name: 'Analyst SQL', sql: 'SELECT profile_id FROM profiles' });
  expect(saved.status, JSON.stringify(saved.body)).toBe(201);
  clickhouse = createClickHouse(product.config);
});

afterAll(async () => {
  await clickhouse?.close();
  await product?.destroy();
});

const FN = (name: string) => new RegExp(`function ${name}\\(\\) is not allowed`);
const TABLE_FN = (name: string) => new RegExp(`table function ${name}\\(\\) is not allowed`);
const TABLE = (name: string) => new RegExp(`table ${name.replace('.', '\\.')} is not allowed`);
const SETTINGS = /SETTINGS is not allowed/;
const NOT_SELECT = /only one SELECT is allowed/;

// [what, query, the refusal]: each is refused by the console and by analyst SQL segments alike.
const REFUSED: [string, string, RegExp][] = [
  // Scalar functions that reach outside the product database.
  ['file() reading /etc/passwd', `SELECT file('/etc/passwd') AS profile_id`, FN('file')],
  ['file() reading the process environment', `SELECT file('/proc/self/environ') AS profile_id`, FN('file')],
  ['dictGet()', `SELECT dictGet('d', 'a', toUInt64(1)) AS profile_id`, FN('dictGet')],
  ['dictGetString()', `SELECT dictGetString('d', 'a', toUInt64(1)) AS profile_id`, FN('dictGetString')],
  ['dictHas()', `SELECT dictHas('d', toUInt64(1)) AS profile_id`, FN('dictHas')],
  ['joinGet()', `SELECT joinGet('cdp.events', 'user_id', 'x') AS profile_id`, FN('joinGet')],
  ['getSetting()', `SELECT getSetting('max_memory_usage') AS profile_id`, FN('getSetting')],
  ['getServerSetting()', `SELECT getServerSetting('path') AS profile_id`, FN('getServerSetting')],
  ['hasColumnInTable()', `SELECT hasColumnInTable('system', 'users', 'name') AS profile_id`, FN('hasColumnInTable')],
  ['hostName()', `SELECT hostName() AS profile_id`, FN('hostName')],
  ['currentUser()', `SELECT currentUser() AS profile_id`, FN('currentUser')],
  ['version()', `SELECT version() AS profile_id`, FN('version')],
  ['filesystemAvailable()', `SELECT filesystemAvailable() AS profile_id`, FN('filesystemAvailable')],
  ['sleep()', `SELECT sleep(3) AS profile_id`, FN('sleep')],
  ['aiGenerate()', `SELECT aiGenerate('hello') AS profile_id`, FN('aiGenerate')],
  ['catboostEvaluate()', `SELECT catboostEvaluate('/tmp/model.bin', 1) AS profile_id`, FN('catboostEvaluate')],
  ['regionToName()', `SELECT regionToName(toUInt32(1)) AS profile_id`, FN('regionToName')],
  ['addressToSymbol()', `SELECT addressToSymbol(toUInt64(1)) AS profile_id`, FN('addressToSymbol')],
  ['showCertificate()', `SELECT showCertificate() AS profile_id`, FN('showCertificate')],
  ['arrayReduce() naming a function in a string', `SELECT arrayReduce('max', [1]) AS profile_id`, FN('arrayReduce')],
  ['formatRow() naming a format in a string', `SELECT formatRow('CSV', 1) AS profile_id`, FN('formatRow')],
  ['initializeAggregation()', `SELECT initializeAggregation('sumState', 1) AS profile_id`, FN('initializeAggregation')],
  ['an aggregate combinator on a refused function', `SELECT fileIf('/etc/passwd', 1) AS profile_id`, FN('fileIf')],
  // Table functions.
  ['table function file()', `SELECT line AS profile_id FROM file('/etc/passwd', 'LineAsString', 'line String')`, TABLE_FN('file')],
  ['table function url()', `SELECT * FROM url('http://127.0.0.1:9/x', 'LineAsString')`, TABLE_FN('url')],
  ['table function urlCluster()', `SELECT * FROM urlCluster('default', 'http://127.0.0.1:9/x', 'LineAsString')`, TABLE_FN('urlCluster')],
  ['table function s3()', `SELECT * FROM s3('http://127.0.0.1:9/bucket/x.csv', 'CSV')`, TABLE_FN('s3')],
  ['table function s3Cluster()', `SELECT * FROM s3Cluster('default', 'http://127.0.0.1:9/bucket/x.csv', 'CSV')`, TABLE_FN('s3Cluster')],
  ['table function gcs()', `SELECT * FROM gcs('http://127.0.0.1:9/bucket/x.csv', 'CSV')`, TABLE_FN('gcs')],
  ['table function azureBlobStorage()', `SELECT * FROM azureBlobStorage('http://127.0.0.1:9', 'c', 'x.csv')`, TABLE_FN('azureBlobStorage')],
  ['table function hdfs()', `SELECT * FROM hdfs('hdfs://127.0.0.1:9/x', 'CSV', 'a String')`, TABLE_FN('hdfs')],
  ['table function remote()', `SELECT * FROM remote('127.0.0.1:9', cdp.events)`, TABLE_FN('remote')],
  ['table function remoteSecure()', `SELECT * FROM remoteSecure('127.0.0.1:9', cdp.events)`, TABLE_FN('remoteSecure')],
  ['table function cluster()', `SELECT * FROM cluster('default', cdp.events)`, TABLE_FN('cluster')],
  ['table function clusterAllReplicas()', `SELECT * FROM clusterAllReplicas('default', cdp.events)`, TABLE_FN('clusterAllReplicas')],
  ['table function executable()', `SELECT * FROM executable('id', 'TSV', 'x String')`, TABLE_FN('executable')],
  ['table function input()', `SELECT * FROM input('x String')`, TABLE_FN('input')],
  ['table function mysql()', `SELECT * FROM mysql('127.0.0.1:9', 'db', 't', 'u', 'p')`, TABLE_FN('mysql')],
  ['table function postgresql()', `SELECT * FROM postgresql('127.0.0.1:9', 'db', 't', 'u', 'p')`, TABLE_FN('postgresql')],
  ['table function mongodb()', `SELECT * FROM mongodb('127.0.0.1:9', 'db', 'c', 'u', 'p', 'x String')`, TABLE_FN('mongodb')],
  ['table function redis()', `SELECT * FROM redis('127.0.0.1:9', 'k', 'k String')`, TABLE_FN('redis')],
  ['table function sqlite()', `SELECT * FROM sqlite('/etc/passwd', 't')`, TABLE_FN('sqlite')],
  ['table function jdbc()', `SELECT * FROM jdbc('jdbc:mysql://127.0.0.1:9/db', 't')`, TABLE_FN('jdbc')],
  ['table function odbc()', `SELECT * FROM odbc('DSN=x', 't')`, TABLE_FN('odbc')],
  ['table function iceberg()', `SELECT * FROM iceberg('http://127.0.0.1:9/t')`, TABLE_FN('iceberg')],
  ['table function deltaLake()', `SELECT * FROM deltaLake('http://127.0.0.1:9/t')`, TABLE_FN('deltaLake')],
  ['table function merge()', `SELECT * FROM merge('system', '.*')`, TABLE_FN('merge')],
  ['table function dictionary()', `SELECT * FROM dictionary('d')`, TABLE_FN('dictionary')],
  ['table function filesystem()', `SELECT * FROM filesystem('/')`, TABLE_FN('filesystem')],
  ['table function format()', `SELECT * FROM format('CSV', 'a')`, TABLE_FN('format')],
  ['table function generateRandom()', `SELECT * FROM generateRandom('x String')`, TABLE_FN('generateRandom')],
  ['table function loop()', `SELECT * FROM loop(cdp.events)`, TABLE_FN('loop')],
  ['table function viewIfPermitted()', `SELECT * FROM viewIfPermitted(SELECT 1 ELSE null('x UInt8'))`, TABLE_FN('viewIfPermitted')],
  ['table function mergeTreeIndex()', `SELECT * FROM mergeTreeIndex('cdp', 'events')`, TABLE_FN('mergeTreeIndex')],
  // Other databases.
  ['system.tables', `SELECT name AS profile_id FROM system.tables`, TABLE('system.tables')],
  ['system.processes', `SELECT query AS profile_id FROM system.processes`, TABLE('system.processes')],
  ['system.one', `SELECT dummy AS profile_id FROM system.one`, TABLE('system.one')],
  ['INFORMATION_SCHEMA.TABLES', `SELECT table_name AS profile_id FROM INFORMATION_SCHEMA.TABLES`, TABLE('INFORMATION_SCHEMA.TABLES')],
  ['information_schema.tables', `SELECT table_name AS profile_id FROM information_schema.tables`, TABLE('information_schema.tables')],
  ['the default database', `SELECT * FROM default.t`, TABLE('default.t')],
  ['a table of another database on the right of IN', `SELECT profile_id FROM profiles WHERE profile_id IN system.one`, TABLE('system.one')],
  // Clauses.
  ['SETTINGS lifting the limits', `SELECT profile_id FROM profiles SETTINGS max_execution_time = 0, max_result_rows = 0`, SETTINGS],
  ['SETTINGS readonly = 0', `SELECT profile_id FROM profiles SETTINGS readonly = 0`, SETTINGS],
  ['SETTINGS in a subquery', `SELECT profile_id FROM (SELECT profile_id FROM profiles SETTINGS max_memory_usage = 0)`, SETTINGS],
  ['SETTINGS after FORMAT', `SELECT profile_id FROM profiles FORMAT JSON SETTINGS max_result_rows = 0`, SETTINGS],
  ['INTO OUTFILE', `SELECT profile_id FROM profiles INTO OUTFILE '${OUTFILE}'`, /INTO OUTFILE is not allowed/],
  ['INTO OUTFILE ... AND STDOUT', `SELECT profile_id FROM profiles INTO OUTFILE '${OUTFILE}' AND STDOUT`, /INTO OUTFILE is not allowed/],
  ['FORMAT', `SELECT profile_id FROM profiles FORMAT JSON`, /FORMAT is not allowed/],
  ['APPLY, which calls a function by name', `SELECT * APPLY (toString) FROM profiles`, /APPLY is not allowed/],
  // Statements other than SELECT.
  ['INSERT', `INSERT INTO events (message_id) VALUES ('x')`, NOT_SELECT],
  ['DROP', 'DROP TABLE events', NOT_SELECT],
  ['TRUNCATE', 'TRUNCATE TABLE events', NOT_SELECT],
  ['ALTER ... DELETE', 'ALTER TABLE events DELETE WHERE 1', NOT_SELECT],
  ['SET', 'SET max_result_rows = 0', NOT_SELECT],
  ['SHOW', 'SHOW TABLES', NOT_SELECT],
  ['DESCRIBE of a table function', `DESCRIBE file('/etc/passwd', 'CSV')`, NOT_SELECT],
  ['EXPLAIN', 'EXPLAIN SELECT 1', NOT_SELECT],
  ['SYSTEM', 'SYSTEM FLUSH LOGS', NOT_SELECT],
  ['CREATE', 'CREATE TABLE x (a String) ENGINE = Memory', NOT_SELECT],
  // Spellings: none of them gets past the check.
  ['a backquoted function name', 'SELECT `file`(\'/etc/passwd\') AS profile_id', FN('file')],
  ['a double-quoted function name', `SELECT "file"('/etc/passwd') AS profile_id`, FN('file')],
  ['upper case FILE', `SELECT FILE('/etc/passwd') AS profile_id`, FN('FILE')],
  ['mixed case File', `SELECT File('/etc/passwd') AS profile_id`, FN('File')],
  ['upper case table function FILE', `SELECT * FROM FILE('/etc/passwd', 'LineAsString')`, TABLE_FN('FILE')],
  ['comments and line breaks', `SELECT /* x */ file -- y\n (\n'/etc/passwd'\t) AS profile_id`, FN('file')],
  ['backquoted database and table', 'SELECT * FROM `system`.`one`', TABLE('system.one')],
  ['double-quoted database and table', `SELECT * FROM "system"."one"`, TABLE('system.one')],
  ['a quoted name holding a dot', 'SELECT * FROM `system.one`', /quoted name `system\.one` is not allowed/],
  ['a quoted alias holding a line break', 'SELECT 1 AS `a\n    Function file`', /quoted name .* is not allowed/],
  ['a subquery in FROM', `SELECT * FROM (SELECT file('/etc/passwd') AS profile_id)`, FN('file')],
  ['a scalar subquery', `SELECT (SELECT file('/etc/passwd')) AS profile_id`, FN('file')],
  ['a CTE', `WITH x AS (SELECT file('/etc/passwd') AS profile_id) SELECT profile_id FROM x`, FN('file')],
  ['a WITH expression', `WITH file('/etc/passwd') AS f SELECT f AS profile_id`, FN('file')],
  ['a CTE over another database', `WITH x AS (SELECT * FROM system.one) SELECT dummy AS profile_id FROM x`, TABLE('system.one')],
  ['a UNION ALL branch', `SELECT profile_id FROM profiles UNION ALL SELECT file('/etc/passwd')`, FN('file')],
  ['an INTERSECT branch', `SELECT profile_id FROM profiles INTERSECT SELECT toString(dummy) FROM system.one`, TABLE('system.one')],
  ['an EXCEPT branch', `SELECT profile_id FROM profiles EXCEPT SELECT line FROM file('/etc/passwd', 'LineAsString', 'line String')`, TABLE_FN('file')],
  ['a JOIN of a table function', `SELECT p.profile_id FROM profiles AS p INNER JOIN url('http://127.0.0.1:9/x', 'LineAsString') AS u ON 1`, TABLE_FN('url')],
  ['a JOIN of another database', `SELECT p.profile_id FROM profiles AS p CROSS JOIN system.one`, TABLE('system.one')],
  ['an IN subquery', `SELECT profile_id FROM profiles WHERE profile_id IN (SELECT line FROM file('/etc/passwd', 'LineAsString', 'line String'))`, TABLE_FN('file')],
  ['a lambda', `SELECT arrayMap(x -> file(x), ['/etc/passwd']) AS profile_id`, FN('file')],
  ['a function argument', `SELECT concat('x', lower(file('/etc/passwd'))) AS profile_id`, FN('file')],
  ['WHERE', `SELECT profile_id FROM profiles WHERE file('/etc/passwd') != ''`, FN('file')],
  ['ORDER BY', `SELECT profile_id FROM profiles ORDER BY file('/etc/passwd')`, FN('file')],
  ['a window', `SELECT profile_id, row_number() OVER (PARTITION BY file('/etc/passwd')) AS n FROM profiles`, FN('file')],
  ['ARRAY JOIN', `SELECT profile_id FROM profiles ARRAY JOIN [file('/etc/passwd')] AS x`, FN('file')],
  ['view() over a table function', `SELECT * FROM view(SELECT line AS profile_id FROM file('/etc/passwd', 'LineAsString', 'line String'))`, TABLE_FN('file')],
  ['view() over another database', `SELECT * FROM view(SELECT name AS profile_id FROM system.tables)`, TABLE('system.tables')],
  ['view() calling file()', `SELECT * FROM view(SELECT file('/etc/passwd') AS profile_id)`, FN('file')],
];

describe('POST /v1/sql refuses', () => {
  test.each(REFUSED)('%s', async (_what, query, refusal) => {
    const res = await consoleQuery(query);
    expect(res.status, JSON.stringify(res.body)).toBe(403);
    expect(res.body).toMatchObject({ success: false, code: 'sql_not_allowed' });
    expect(res.body.message).toMatch(refusal);
    expect(JSON.stringify(res.body)).not.toMatch(LEAK);
  });
});

describe('analyst SQL segments refuse, on save and on preview', () => {
  test.each(REFUSED)('%s', async (_what, sql, refusal) => {
    for (const res of [await api('PUT', '/v1/segments/analyst', { name: 'Analyst SQL', sql }), await api('POST', '/v1/segments/preview', { sql })]) {
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.code).toBe('CDP_SEGMENT_INVALID');
      expect(res.body.problems).toHaveLength(1);
      expect(res.body.problems[0].path).toBe('sql');
      expect(res.body.problems[0].message).toMatch(refusal);
      expect(JSON.stringify(res.body)).not.toMatch(LEAK);
    }
    expect((await api('GET', '/v1/segments/analyst')).body.segment.sql).toBe('SELECT profile_id FROM profiles');
  });
});

test('no refused INTO OUTFILE wrote its file', async () => {
  const outfiles = REFUSED.filter(([, query]) => query.includes(OUTFILE));
  expect(outfiles.length).toBeGreaterThan(0);
  for (const [what, query] of outfiles) {
    expect((await consoleQuery(query)).status, what).toBe(403);
    expect((await api('PUT', '/v1/segments/analyst', { name: 'Analyst SQL', sql: query })).status, what).toBe(400);
    expect((await api('POST', '/v1/segments/preview', { sql: query })).status, what).toBe(400);
  }
  expect(existsSync(OUTFILE)).toBe(false);
});

describe('text ClickHouse cannot read as one statement', () => {
  test.each([
    ['two statements', `SELECT profile_id FROM profiles; SELECT file('/etc/passwd')`],
    ['breaking out of a wrapper', `SELECT profile_id FROM profiles) UNION ALL (SELECT file('/etc/passwd') AS profile_id`],
  ])('%s fails to parse in the console and in a segment', async (_what, query) => {
    const res = await consoleQuery(query);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('query_failed');
    expect(JSON.stringify(res.body)).not.toMatch(LEAK);
    const saved = await api('PUT', '/v1/segments/analyst', { name: 'Analyst SQL', sql: query });
    expect(saved.status).toBe(400);
    expect(saved.body.problems[0]).toMatchObject({ path: 'sql', message: expect.stringMatching(/cannot parse/) });
  });
});

describe('a stored segment is checked again when it runs', () => {
  test('an analyst SQL segment saved before the check refuses to run', async () => {
    await clickhouse.insert({
      table: `${product.config.CLICKHOUSE_DATABASE}.segments`,
      values: [{ segment_id: 'old-file', version: 1, name: 'Saved before the check', description: '', kind: 'sql', definition: `SELECT file('/etc/passwd') AS profile_id`, every_minutes: 0, created_at: chTime(Date.now()), created_by: 'test', deleted: 0 }],
      format: 'JSONEachRow',
    });
    const res = await api('POST', '/v1/segments/old-file/run', {});
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.problems[0]).toMatchObject({ path: 'sql', message: expect.stringMatching(FN('file')) });
    const members = await product.sql(`SELECT profile_id FROM segment_members_current WHERE segment_id = 'old-file'`);
    expect(members).toEqual([]);
  });
});

// Ordinary analyst queries over the product's tables and views.
const CONSOLE_QUERIES: [string, string, (rows: Record<string, unknown>[]) => void][] = [
  ['the README example', 'SELECT type, event, user_id, revenue, timestamp FROM events ORDER BY received_at DESC LIMIT 10', (r) => expect(r).toHaveLength(6)],
  ['a string with an apostrophe', `SELECT profile_id FROM profile_traits_current WHERE trait = 'last_name' AND value = 'O''Brien'`, (r) => expect(r).toEqual([{ profile_id: profile.get('obrien') }])],
  ['a backslash-escaped apostrophe', `SELECT count() AS n FROM profile_traits_current WHERE value = 'O\\'Brien'`, (r) => expect(r).toEqual([{ n: '1' }])],
  ['a join of events_resolved and profiles with aggregates', `SELECT p.profile_id AS profile_id, count() AS orders, sum(e.revenue) AS revenue FROM events_resolved AS e INNER JOIN profiles AS p ON p.profile_id = e.profile_id WHERE e.event = 'Order Completed' GROUP BY p.profile_id ORDER BY revenue DESC`, (r) => expect(r.map((x) => x.orders)).toEqual(['1', '2'])],
  ['the database named', 'SELECT count() AS n FROM cdp.events', (r) => expect(r).toEqual([{ n: '6' }])],
  ['the database backquoted', 'SELECT count() AS n FROM `cdp`.`events`', (r) => expect(r).toEqual([{ n: '6' }])],
  ['a CTE', `WITH buyers AS (SELECT DISTINCT profile_id FROM events_resolved WHERE event = 'Order Completed') SELECT count() AS n FROM buyers`, (r) => expect(r).toEqual([{ n: '2' }])],
  ['window functions', `SELECT profile_id, timestamp, row_number() OVER (PARTITION BY profile_id ORDER BY timestamp) AS n, lagInFrame(timestamp) OVER (PARTITION BY profile_id ORDER BY timestamp ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS previous FROM events_resolved WHERE event = 'Order Completed' ORDER BY profile_id, n`, (r) => expect(r).toHaveLength(3)],
  ['a named window and QUALIFY', `SELECT profile_id, event FROM events_resolved WINDOW w AS (PARTITION BY profile_id ORDER BY timestamp DESC) QUALIFY row_number() OVER w = 1`, (r) => expect(r).toHaveLength(2)],
  ['JSON functions', `SELECT JSONExtractString(properties, 'order_id') AS order_id, JSONExtractFloat(properties, 'revenue') AS revenue, JSONExtractString(JSONExtractArrayRaw(properties, 'products')[1], 'sku') AS sku, JSONHas(properties, 'currency') AS has_currency FROM events WHERE event = 'Order Completed' ORDER BY order_id`, (r) => expect(r.map((x) => x.sku)).toEqual(['tea', 'cup', 'loom'])],
  ['arrays and lambdas on profiles', `SELECT profile_id, arrayMap(x -> x.2, arrayFilter(x -> x.1 = 'email', identifiers)) AS emails, length(identifiers) AS n FROM profiles ORDER BY profile_id`, (r) => expect(r.flatMap((x) => x.emails as string[]).sort()).toEqual(['ada@example.com', 'sean@example.com'])],
  ['a map of traits', `SELECT traits['city'] AS city, count() AS n FROM profiles GROUP BY city ORDER BY city`, (r) => expect(r).toEqual([{ city: 'Dublin', n: '1' }, { city: 'London', n: '1' }])],
  ['date functions and intervals', `SELECT toStartOfMonth(timestamp) AS month, toYYYYMM(timestamp) AS ym, dateDiff('day', min(timestamp), max(timestamp)) AS span, formatDateTime(max(timestamp), '%Y-%m-%d') AS last FROM events WHERE timestamp >= toDateTime('2026-01-01 00:00:00') - INTERVAL 30 DAY AND toDayOfWeek(timestamp) BETWEEN 1 AND 7 GROUP BY month, ym`, (r) => expect(r.length).toBeGreaterThan(0)],
  ['aggregate combinators', `SELECT countIf(event = 'Order Completed') AS orders, uniqExact(profile_id) AS people, sumIf(revenue, currency = 'EUR') AS eur, quantile(0.5)(revenue) AS median, avgOrNull(revenue) AS mean, argMax(event, timestamp) AS last_event, groupUniqArray(type) AS types, uniqIf(profile_id, revenue > 20) AS big FROM events`, (r) => expect(r[0]).toMatchObject({ orders: '3', people: '2', big: '2' })],
  ['UNION ALL, IN (subquery) and EXISTS', `SELECT profile_id FROM events_resolved WHERE event = 'Order Completed' AND profile_id IN (SELECT profile_id FROM profile_identifiers WHERE identifier_type = 'email') UNION ALL SELECT profile_id FROM profiles WHERE EXISTS (SELECT 1 FROM events WHERE type = 'page')`, (r) => expect(r).toHaveLength(5)],
  ['strings, URLs and conditionals', `SELECT lower(user_id) AS u, concat(upper(substring(user_id, 1, 1)), '.') AS initial, domain(url) AS host, extractURLParameter(url, 'utm_source') AS utm, multiIf(revenue > 50, 'big', revenue > 0, 'small', 'none') AS size, CASE type WHEN 'page' THEN 'view' ELSE type END AS kind, coalesce(revenue, 0) AS r, user_id ILIKE 'A%' AS a, match(user_id, '^o') AS o, replaceRegexpAll(user_id, '[aeiou]', '') AS consonants, splitByChar('b', user_id) AS parts FROM events ORDER BY timestamp`, (r) => expect(r.find((x) => x.kind === 'view')).toMatchObject({ host: 'shop.example.com', utm: 'news' })],
  ['casts', `SELECT CAST(revenue AS Float64) AS f, toString(timestamp) AS t, revenue::String AS s, toDecimal64(revenue, 2) AS d FROM events WHERE revenue IS NOT NULL`, (r) => expect(r).toHaveLength(3)],
  ['segments and scores views', `SELECT (SELECT count() FROM segments_current) AS segments, (SELECT count() FROM rfm_current) AS rfm, (SELECT count() FROM churn_current) AS churn, (SELECT count() FROM segment_members_current) AS members`, (r) => expect(r[0]).toMatchObject({ segments: expect.any(String) })],
  ['SELECT * EXCEPT and a quoted alias with a space', `SELECT * EXCEPT (properties, traits, context, integrations), 1 AS "Total events" FROM events LIMIT 1`, (r) => expect(r[0]).toHaveProperty('Total events', 1)],
  ['view() of a checked SELECT', `SELECT count() AS n FROM view(SELECT profile_id FROM profiles)`, (r) => expect(r).toEqual([{ n: '2' }])],
  ['a day spine from numbers()', `SELECT toDate('2026-05-01') - number AS day FROM numbers(7) ORDER BY day`, (r) => expect(r).toHaveLength(7)],
  ['a LEFT JOIN with USING, ARRAY JOIN and LIMIT BY', `SELECT p.profile_id AS profile_id, id FROM profiles AS p LEFT JOIN (SELECT profile_id, count() AS n FROM events GROUP BY profile_id) AS c USING (profile_id) ARRAY JOIN identifiers AS id ORDER BY profile_id LIMIT 1 BY profile_id`, (r) => expect(r).toHaveLength(2)],
];

describe('ordinary analyst queries keep working in the console', () => {
  test.each(CONSOLE_QUERIES)('%s', async (_what, query, check) => {
    const res = await consoleQuery(query);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    check(res.body.rows);
  });
});

// Realistic analyst SQL segments: [what, sql, the users it selects].
const SEGMENT_QUERIES: [string, string, string[]][] = [
  ['a trait value with an apostrophe', `SELECT profile_id FROM profile_traits_current WHERE trait = 'last_name' AND value = 'O''Brien'`, ['obrien']],
  ['repeat buyers: a join, GROUP BY and HAVING', `SELECT e.profile_id AS profile_id FROM events_resolved AS e INNER JOIN profiles AS p ON p.profile_id = e.profile_id WHERE e.event = 'Order Completed' GROUP BY e.profile_id HAVING count() >= 2`, ['obrien']],
  ['big spenders from JSON properties', `SELECT profile_id FROM events_resolved WHERE event = 'Order Completed' GROUP BY profile_id HAVING sum(JSONExtractFloat(properties, 'revenue')) > 50`, ['ada']],
  ['last order per profile with a window function', `SELECT profile_id FROM (SELECT profile_id, JSONExtractString(properties, 'currency') AS currency, row_number() OVER (PARTITION BY profile_id ORDER BY timestamp DESC) AS n FROM events_resolved WHERE event = 'Order Completed') WHERE n = 1 AND currency = 'EUR'`, ['obrien']],
  ['a CTE and dates', `WITH recent AS (SELECT DISTINCT profile_id FROM events_resolved WHERE timestamp >= toDateTime('2026-05-01 10:00:00') - INTERVAL 3 DAY) SELECT profile_id FROM recent`, ['ada', 'obrien']],
  ['identifiers with arrays', `SELECT profile_id FROM profiles WHERE has(arrayMap(x -> x.2, identifiers), 'ada@example.com')`, ['ada']],
  ['a map of traits and a quoted alias', `SELECT profile_id AS "profile_id" FROM profiles WHERE traits['city'] IN ('Dublin', 'Paris')`, ['obrien']],
];

describe('ordinary analyst SQL segments keep working', () => {
  test.each(SEGMENT_QUERIES)('%s: saved and previewed', async (_what, sql, users) => {
    const saved = await api('PUT', '/v1/segments/analyst', { name: 'Analyst SQL', sql });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body.segment.sql).toBe(sql);
    const preview = await api('POST', '/v1/segments/preview', { sql });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body.sample.sort()).toEqual(users.map((u) => profile.get(u)).sort());
    const run = await api('POST', '/v1/segments/analyst/run', {});
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body.result.size).toBe(users.length);
  });
});

describe('limits a query cannot lift', () => {
  test('more rows than SQL_MAX_RESULT_ROWS fail with the row limit', async () => {
    const res = await consoleQuery('SELECT number FROM numbers(5000)');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'query_failed', clickhouse_code: '396' });
    expect(res.body.message).toMatch(/Limit for result exceeded/);
  });

  test('a query longer than SQL_MAX_EXECUTION_SECONDS fails with the time limit', async () => {
    const res = await consoleQuery('SELECT count() FROM numbers(1000000000000)');
    expect(res.status).toBe(400);
    expect(['159', '160']).toContain(res.body.clickhouse_code);
    expect(res.body.message).toMatch(/Timeout exceeded|Estimated query execution time/);
  });

  test('a query using more than SQL_MAX_MEMORY_BYTES fails with the memory limit', async () => {
    const res = await consoleQuery('SELECT groupArray(number) AS a FROM numbers(100000000)');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'query_failed', clickhouse_code: '241' });
    expect(res.body.message).toMatch(/memory limit exceeded/i);
  });

  test('the limits hold after a refused attempt to lift them', async () => {
    expect((await consoleQuery('SELECT number FROM numbers(5000) SETTINGS max_result_rows = 0, result_overflow_mode = \'break\'')).status).toBe(403);
    const res = await consoleQuery('SELECT number FROM numbers(5000)');
    expect(res.body.clickhouse_code).toBe('396');
  });
});

describe('the allow-list', () => {
  const rows = async <T,>(query: string) => (await clickhouse.query({ query, format: 'JSONEachRow' })).json<T>();

  test('every function listed exists in this ClickHouse', async () => {
    const known = new Set((await rows<{ name: string }>('SELECT name FROM system.functions')).map((r) => r.name));
    const missing = Object.entries(ALLOWED_FUNCTIONS).flatMap(([group, names]) => (group === 'syntax' ? [] : names.filter((n) => !known.has(n))));
    expect(missing).toEqual([]);
    const tableFunctions = new Set((await rows<{ name: string }>('SELECT name FROM system.table_functions')).map((r) => r.name));
    expect(ALLOWED_TABLE_FUNCTIONS.filter((n) => !tableFunctions.has(n))).toEqual([]);
  });

  test('no function passes the check unless it or what it aliases is listed', async () => {
    const listed = new Set(Object.values(ALLOWED_FUNCTIONS).flat());
    const all = await rows<{ name: string; alias_to: string; is_aggregate: number }>('SELECT name, alias_to, is_aggregate FROM system.functions');
    // Passing the check by case or by combinators alone would let an unreviewed function in.
    const unreviewed = all.filter((f) => isAllowedFunction(f.name) && !listed.has(f.name) && !listed.has(f.alias_to));
    expect(unreviewed.map((f) => f.name)).toEqual([]);
  });

  test('the categories that reach outside are refused whole', async () => {
    const outside = await rows<{ name: string }>(`SELECT name FROM system.functions WHERE categories IN ('Dictionary', 'Embedded Dictionary', 'AI', 'Introspection', 'Machine Learning') OR name IN ('file', 'joinGet', 'joinGetOrNull', 'getSetting', 'getSettingOrDefault', 'getServerSetting', 'getMergeTreeSetting', 'getMacro', 'hasColumnInTable', 'getClientHTTPHeader', 'catboostEvaluate', 'showCertificate', 'hostName', 'FQDN')`);
    expect(outside.length).toBeGreaterThan(50);
    expect(outside.filter((f) => isAllowedFunction(f.name)).map((f) => f.name)).toEqual([]);
  });
});
