import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, type ConfigProblem } from './errors/config-error.js';

// Every environment variable the product reads is declared here, once, with its default and its meaning.
// `loadConfig` parses them at start-up; a bad value stops the process with a message naming the variable.

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const writeKeys = z
  .string()
  .default('')
  .transform((raw, ctx) => {
    const keys: { key: string; sourceId: string }[] = [];
    for (const entry of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
      const sep = entry.indexOf(':');
      const key = sep > 0 ? entry.slice(0, sep) : '';
      const sourceId = sep > 0 ? entry.slice(sep + 1) : '';
      if (!key || !sourceId) {
        ctx.addIssue({ code: 'custom', message: `entry "${entry}" is not of the form key:source` });
        return z.NEVER;
      }
      keys.push({ key, sourceId });
    }
    return keys;
  });

const clusterNodes = z.string().default('').transform((raw, ctx) => {
  const nodes: { host: string; port: number }[] = [];
  for (const entry of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const sep = entry.lastIndexOf(':');
    const port = Number(entry.slice(sep + 1));
    if (sep <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
      ctx.addIssue({ code: 'custom', message: `entry "${entry}" is not of the form host:port` });
      return z.NEVER;
    }
    nodes.push({ host: entry.slice(0, sep).replace(/^\[(.*)\]$/, '$1'), port });
  }
  return nodes;
});

const list = (byDefault: string) => z.string().default(byDefault).transform((raw) => raw.split(',').map((s) => s.trim()).filter(Boolean));

const limits = (byDefault: string) => z.string().default(byDefault).transform((raw, ctx) => {
  const out: Record<string, number> = {};
  for (const entry of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [type, n] = entry.split(':');
    if (!type || !n || !/^\d+$/.test(n) || Number(n) < 1) {
      ctx.addIssue({ code: 'custom', message: `entry "${entry}" is not of the form type:positive-number` });
      return z.NEVER;
    }
    out[type] = Number(n);
  }
  if (out['*'] === undefined) out['*'] = 10;
  return out;
});

/** A decimal number with at most 6 decimals, kept as written so that the SQL multiplies it exactly (as a Decimal). */
const DECIMAL = /^\d{1,12}(\.\d{1,6})?$/;

/**
 * A comma list of `name:value` (the name is everything before the last colon), in order; `value` must match
 * `valid` (described by `what`). Each name once.
 */
const namedValues = (byDefault: string, valid: RegExp, what: string) =>
  z.string().default(byDefault).transform((raw, ctx) => {
    const out: { name: string; value: string }[] = [];
    for (const entry of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
      const sep = entry.lastIndexOf(':');
      const name = sep > 0 ? entry.slice(0, sep).trim() : '';
      const value = sep > 0 ? entry.slice(sep + 1).trim() : '';
      if (!name || !valid.test(value)) {
        ctx.addIssue({ code: 'custom', message: `entry "${entry}" is not of the form name:${what}` });
        return z.NEVER;
      }
      if (out.some((e) => e.name === name)) {
        ctx.addIssue({ code: 'custom', message: `"${name}" is named twice` });
        return z.NEVER;
      }
      out.push({ name, value });
    }
    return out;
  });

/** Loyalty levels by the net spend that reaches them: the first at 0, thresholds rising. */
const loyaltyLevels = namedValues('Member:0,Silver:500,Gold:2000,Platinum:5000', DECIMAL, 'spend').transform((levels, ctx) => {
  if (levels.length === 0 || Number(levels[0]!.value) !== 0) {
    ctx.addIssue({ code: 'custom', message: 'the first level must start at 0' });
    return z.NEVER;
  }
  const falling = levels.findIndex((l, i) => i > 0 && Number(l.value) <= Number(levels[i - 1]!.value));
  if (falling > 0) {
    ctx.addIssue({ code: 'custom', message: `thresholds must rise: "${levels[falling]!.name}" (${levels[falling]!.value}) is not above the level before it` });
    return z.NEVER;
  }
  return levels.map((l) => ({ name: l.name, threshold: l.value }));
});

// proxy-addr (Fastify's trustProxy) also takes these names for address ranges.
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];
const isProxyAddress = (entry: string) => {
  const [address, bits, extra] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || extra !== undefined) return PROXY_RANGE_NAMES.includes(entry) && bits === undefined;
  return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
};

/**
 * Fastify's trustProxy: false (the socket address is the client), true (any peer is a proxy), or a list of
 * proxy addresses. Not a hop count: Fastify trusts no peer for one, since it cannot tell a proxy from a client.
 */
const trustProxy = z
  .string()
  .default('false')
  .transform((raw, ctx): boolean | string[] => {
    const v = raw.trim().toLowerCase();
    if (v === 'false' || v === 'no' || v === '0') return false;
    if (v === 'true' || v === 'yes' || v === '1') return true;
    const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = list.filter((e) => !isProxyAddress(e));
    if (list.length === 0 || bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `must be true, false, or a comma list of proxy addresses, CIDR ranges or loopback, linklocal, uniquelocal; not ${bad.join(', ')}` });
      return z.NEVER;
    }
    return list;
  });

/** Variables for which an empty value says something (none), rather than "unset: the default". */
const EMPTY_IS_A_VALUE: ReadonlySet<string> = new Set(['CDP_WRITE_KEYS', 'MESSAGES_QUIET_HOURS']);

/** Variables whose value is never echoed in an error message. */
const SECRET_VARIABLES: ReadonlySet<string> = new Set(['CDP_SECRET']);

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const ROLES = ['api', 'workers', 'scheduler'] as const;
export type Role = (typeof ROLES)[number];

const roles = z
  .string()
  .default(ROLES.join(','))
  .transform((raw, ctx) => {
    const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = list.filter((r) => !(ROLES as readonly string[]).includes(r));
    if (bad.length > 0 || list.length === 0) {
      ctx.addIssue({ code: 'custom', message: `roles must be a comma list of ${ROLES.join(', ')}; got "${raw}"` });
      return z.NEVER;
    }
    return [...new Set(list)] as Role[];
  });

/** name → [schema, description]. The README configuration table lists the same names (a test checks it). */
export const configVariables = {
  PORT: [int(0, 65535).default(8080), 'HTTP port of the tracking API, health and metrics endpoints.'],
  HOST: [z.string().default('0.0.0.0'), 'Interface the HTTP server listens on.'],
  CDP_ROLES: [roles, 'Roles this process runs: api, workers, scheduler (`cdp start --roles` overrides).'],
  CDP_DATA_DIR: [z.string().default('./data'), 'Data folder: embedded ClickHouse (chDB), the private Redis, local CLI key.'],
  REDIS_URL: [optionalString, 'External Redis (redis:// or rediss://). Unset: a private redis-server is provisioned in CDP_DATA_DIR/redis.'],
  REDIS_SERVER_BIN: [z.string().default('redis-server'), 'redis-server binary used for the private Redis.'],
  REDIS_MAXMEMORY: [z.string().regex(/^\d+(b|kb|mb|gb)?$/i).default('4gb'), 'maxmemory of the private Redis; with noeviction, writes beyond it are refused and ingest answers 503.'],
  REDIS_APPENDFSYNC: [z.enum(['always', 'everysec']).default('everysec'), 'AOF fsync policy of the private Redis: `everysec` (a power cut may lose the last second of answered events) or `always` (a 200 survives a power cut; costs single-event ingest throughput, see bench/).'],
  REDIS_CLUSTER_NODES: [clusterNodes, 'Redis Cluster seed nodes `host:port,host:port,…`: every connection of the product is a cluster client (REDIS_URL\'s user, password and TLS apply to each node). Empty: REDIS_URL or the private Redis, one node.'],
  QUEUE_PREFIX: [z.string().min(1).regex(/^[^{}:]+$|^\{[^{}:]+\}$/, 'a name without `:` or braces, or such a name in braces').default('{cdp}'), 'Base of every Redis key name: each queue and store has its own hash tag `{base:owner}` (`{cdp:load}`, `{cdp:identity}`, …); surrounding braces are dropped (`{cdp}` and `cdp` are the same base).'],
  CLICKHOUSE_URL: [optionalString, 'ClickHouse server HTTP URL. Unset: embedded ClickHouse (chDB) in CDP_DATA_DIR/clickhouse.'],
  CLICKHOUSE_USER: [z.string().default('default'), 'ClickHouse user (server mode).'],
  CLICKHOUSE_PASSWORD: [z.string().default(''), 'ClickHouse password (server mode).'],
  CLICKHOUSE_DATABASE: [z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('cdp'), 'ClickHouse database holding every table.'],
  CLICKHOUSE_CLUSTER: [
    optionalString.refine((v) => v === undefined || /^[A-Za-z_][A-Za-z0-9_-]*$/.test(v), 'must be a cluster name from the servers\' remote_servers'),
    'ClickHouse cluster (a `remote_servers` name) the schema is created on: big tables as Replicated local tables `ON CLUSTER` under Distributed tables sharded by CLICKHOUSE_SHARDING_KEY, small tables replicated on every node. Needs CLICKHOUSE_URL. Unset: one server (or chDB).',
  ],
  CLICKHOUSE_SHARDING_KEY: [
    z.string().min(1).default('cityHash64(profile_id)'),
    'With CLICKHOUSE_CLUSTER: the Distributed tables\' sharding expression. A table is sharded when it has every column the expression names (and, for a Replacing or Aggregating table, they are in its sort key); the others are replicated on every node.',
  ],
  CDP_WRITE_KEYS: [writeKeys, 'Write keys from the environment: `key:source,key2:source2`.'],
  CDP_ADMIN_KEY: [optionalString, 'An admin key from the environment (Bearer auth on admin endpoints).'],
  WRITE_KEY_CACHE_SECONDS: [int(0, 3600).default(5), 'How long a process trusts a write key it looked up in Redis before asking again: the bound on a revocation whose pub/sub message this process missed.'],
  CDP_SECRET: [
    optionalString.refine((v) => v === undefined || v.length >= 32, 'must be at least 32 characters'),
    'Secret of this installation (at least 32 characters), keying the hashes of deleted customers\' identifiers. Unset: `secret.key` in the data folder, created at first start. Processes on several machines must share it.',
  ],
  TRUST_PROXY: [trustProxy, 'Which proxies may set the client address (X-Forwarded-For): false (none: the connection\'s address is the client\'s), true (any peer), or a comma list of proxy addresses, CIDR ranges, or loopback, linklocal, uniquelocal.'],
  IP_ANONYMIZE: [bool.default(false), 'Store client IP addresses cut to their network (IPv4 /24, IPv6 /48), in events and refused events.'],
  LOG_LEVEL: [z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'), 'pino log level.'],
  LOG_REQUESTS: [bool.default(false), 'Log every HTTP request (off by default: a tracking API serves thousands a second).'],
  INGEST_MAX_EVENT_BYTES: [int(1024).default(32 * 1024), 'Largest single event (Segment: 32 KB).'],
  INGEST_MAX_BATCH_BYTES: [int(1024).default(500 * 1024), 'Largest batch request body (Segment: 500 KB).'],
  INGEST_MAX_BATCH_EVENTS: [int(1).default(2500), 'Most events in one batch request.'],
  INGEST_MAX_QUEUE_DEPTH: [int(1).default(20000), 'Load jobs waiting to run beyond which ingest answers 503 with Retry-After (delayed retries and dead letters do not count).'],
  INGEST_RETRY_AFTER_SECONDS: [int(1).default(2), 'Retry-After sent with 503 answers.'],
  INGEST_SHED_AFTER_MS: [int(0).default(2500), 'A queue write unconfirmed for this long makes the API refuse new tracking requests at once (503 with Retry-After, before reading them) until the writes catch up (0: never).'],
  INGEST_GROUP_MAX_EVENTS: [int(1).default(5000), 'Most events coalesced into one queue write (group commit).'],
  INGEST_ENQUEUE_TIMEOUT_MS: [int(100).default(5000), 'A queue write slower than this fails the request with 503.'],
  CLOCK_SKEW_MAX_CORRECTION_MS: [int(0).default(24 * 3600 * 1000), 'Largest shift the clock-skew correction (receivedAt − sentAt) may apply to an event timestamp.'],
  DEDUPE_WINDOW_SECONDS: [int(0).default(24 * 3600), 'Window in which a repeated messageId (per source) is dropped; 0 turns deduplication off.'],
  WORKER_CONCURRENCY: [int(1).default(64), 'Load jobs a worker holds at once; their rows are inserted together.'],
  LOAD_BATCH_MAX_ROWS: [int(1).default(50000), 'A worker inserts once it holds this many rows...'],
  // 100 ms, within the range ClickHouse's own adaptive async inserts flush at (50–200 ms). Measured with every
  // role in one process on 2 cores, freshness p95 at 10,000 events/s: 2.7–3.3 s with 500 ms, 1.7–1.9 s with
  // 200, 1.3 s with 100, and 50 ms made groups too small to keep up at 11,000.
  LOAD_BATCH_MAX_WAIT_MS: [int(1).default(100), '...or once its oldest held row waited this long.'],
  LOAD_RETRY_ATTEMPTS: [int(1).default(200), 'Attempts per load job before it goes to the dead-letter set (`cdp dlq`).'],
  LOAD_RETRY_BASE_DELAY_MS: [int(1).default(1000), 'First retry delay of a failed load job; doubles each attempt...'],
  LOAD_RETRY_MAX_DELAY_MS: [int(1).default(5 * 60 * 1000), '...up to this delay (defaults retry for about 16 hours).'],
  WORKER_LOCK_DURATION_MS: [int(1000).default(30000), 'Lock on an active job; a worker that dies lets it go after this long.'],
  WORKER_STALLED_INTERVAL_MS: [int(500).default(30000), 'How often workers look for jobs whose worker died.'],
  WEBHOOK_ATTEMPTS: [int(1).default(10), 'Attempts per webhook delivery (audience webhooks and alerts) before it goes to the dead letters (replay: POST /v1/destinations/:id/replay, `cdp webhooks replay`; alerts: POST /v1/alerts/:id/replay).'],
  WEBHOOK_BACKOFF_MS: [int(1).default(10_000), 'First retry delay of a failed webhook delivery; doubles each attempt (defaults retry for about 1.4 hours).'],
  WEBHOOK_BATCH_SIZE: [int(1, 100_000).default(1000), 'Most segment changes in one webhook delivery.'],
  WEBHOOK_TIMEOUT_MS: [int(100).default(10_000), 'A webhook receiver answering slower than this fails the attempt.'],
  WEBHOOK_CONCURRENCY: [int(1).default(4), 'Webhook deliveries (audience webhooks and alerts) in flight at once per scheduler process.'],
  DESTINATIONS_ALLOW_PRIVATE: [bool.default(false), 'Let destinations created through the API (event destinations, audience webhooks, alert webhooks) point at loopback, private or link-local addresses. Off: such URLs are refused at creation and every connection is checked again after its DNS lookup.'],
  DESTINATION_TIMEOUT_MS: [int(100).default(10_000), 'An event destination answering slower than this fails the attempt (it is retried).'],
  DESTINATION_RETRY_BASE_MS: [int(1).default(1000), 'First retry delay of a failed event delivery; doubles each attempt (with jitter), at least the receiver\'s Retry-After...'],
  DESTINATION_RETRY_MAX_DELAY_MS: [int(1).default(5 * 60 * 1000), '...up to this delay...'],
  DESTINATION_RETRY_FOR_MS: [int(0).default(3600 * 1000), '...and retried until this long after its first attempt; then it goes to the destination\'s dead letters (replay: POST /v1/destinations/:id/replay, `cdp destinations replay`).'],
  IDENTITY_EMAIL_KEYS: [list('email'), 'Trait and property keys holding an email that identifies the customer.'],
  IDENTITY_PHONE_KEYS: [list('phone'), 'Trait and property keys holding a phone number that identifies the customer.'],
  IDENTITY_BLOCKED_VALUES: [list(''), 'Identifier values to ignore, added to the built-in list (null, undefined, 0, -1, anonymous, guest, ...).'],
  IDENTITY_LIMITS: [limits('user_id:1,email:5,phone:5,anonymous_id:100,*:10'), 'Most identifiers of a type one profile may hold (`*`: any other type).'],
  JOBS_CRON: [z.string().min(1).default('0 3 * * *'), 'When the scheduler runs all jobs (`all`: orders, rfm, churn and the customer model), as a cron pattern.'],
  JOBS_TIME_ZONE: [z.string().min(1).refine(validTimeZone, 'must be an IANA time zone such as UTC or Europe/Berlin').default('UTC'), 'Time zone of JOBS_CRON.'],
  RFM_WINDOW_DAYS: [int(1).default(365), 'Orders of the last N days count for RFM.'],
  CHURN_RULE_K: [z.coerce.number().positive().default(3), 'Rule churn flag: no order for more than K times the profile\'s median gap between orders...'],
  CHURN_RULE_FLOOR_DAYS: [int(1).default(30), '...and at least this many days.'],
  CHURN_P_ALIVE_THRESHOLD: [z.coerce.number().min(0).max(1).default(0.3), 'Model churn flag: BG/NBD P(alive) below this.'],
  CHURN_FIT_MAX_CUSTOMERS: [int(1000).default(100000), 'Above this many buyers the churn models are fitted on a fixed hash sample of about this many.'],
  CLV_HORIZON_WEEKS: [z.coerce.number().positive().default(52), 'CLV horizon.'],
  CLV_ANNUAL_DISCOUNT: [z.coerce.number().min(0).max(1).default(0.1), 'Yearly discount rate of CLV.'],
  LIFECYCLE_NEW_DAYS: [int(1, 36500).default(30), 'Lifecycle stage `new`: the first order within this many local days (SEGMENTS_TIME_ZONE, counted as segment windows count them).'],
  LIFECYCLE_LOST_DAYS: [int(1, 36500).default(365), 'Lifecycle stage `lost`: no order within this many local days; more than LIFECYCLE_NEW_DAYS.'],
  VALUE_TIER_HIGH_PERCENT: [int(0, 100).default(20), 'Value tiers: `high_value` is the top this-many percent of buyers by historical value, `potential` (of the rest) the top this-many percent by predicted value (CLV).'],
  VALUE_TIER_LOW_PERCENT: [int(0, 100).default(40), 'Value tiers: `low` is the buyers in the bottom this-many percent by both historical and predicted value; at most 100 − VALUE_TIER_HIGH_PERCENT.'],
  SHOP_CURRENCY: [
    optionalString.refine((v) => v === undefined || /^[A-Za-z]{3}$/.test(v), 'must be a three-letter currency code such as EUR').transform((v) => v?.toUpperCase()),
    'The shop\'s currency (ISO 4217, e.g. EUR). Set: orders in another currency are left out of money figures (value tiers, KPI revenue and aov) and counted, not converted. Unset: money is summed as given.',
  ],
  KPI_TIME_ZONE: [
    optionalString.refine((v) => v === undefined || validTimeZone(v), 'must be an IANA time zone such as UTC or Europe/Berlin'),
    'Time zone of the KPI periods (days, weeks from Monday, months) of the `kpis` job. Unset: SEGMENTS_TIME_ZONE.',
  ],
  JOURNEYS_TIME_ZONE: [
    optionalString.refine((v) => v === undefined || validTimeZone(v), 'must be an IANA time zone such as UTC or Europe/Berlin'),
    'Time zone of journeys: date entries fire at their `at` and quiet hours (MESSAGES_QUIET_HOURS) hold sends in it. Unset: SEGMENTS_TIME_ZONE.',
  ],
  PUBLIC_URL: [
    optionalString.refine((v) => v === undefined || /^https?:\/\/[^/?#\s]+(\/[^?#\s]*)?$/.test(v), 'must be an http(s) URL without query or fragment, such as https://cdp.example.com').transform((v) => v?.replace(/\/+$/, '')),
    'The address customers reach this product at: links in messages (unsubscribe, open pixel, clicks) start with it. Unset: the address this process listens on (fine for trying it out; customers cannot reach it).',
  ],
  SMTP_URL: [optionalString, 'Email channel: the SMTP server, as nodemailer takes it (smtp://user:pass@host:587, smtps://host:465). Unset: email sends fail (not retryable).'],
  EMAIL_FROM: [z.string().min(1).default('cdp@localhost'), 'Email channel: the From address of messages.'],
  SMS_WEBHOOK_URL: [optionalString, 'SMS channel: the HTTP provider messages are POSTed to as {"to", "body", "message_id"}. Unset: SMS sends fail (not retryable).'],
  MESSAGES_MAX_PER_DAY: [int(1).default(3), 'Frequency cap: most messages sent to one customer per channel per local day (JOURNEYS_TIME_ZONE), across journeys; more are suppressed (frequency_cap).'],
  MESSAGES_QUIET_HOURS: [
    z.string().default('21-8').transform((raw, ctx) => {
      if (raw.trim() === '') return undefined;
      const m = /^\s*(\d{1,2})\s*-\s*(\d{1,2})\s*$/.exec(raw);
      const [start, end] = [Number(m?.[1]), Number(m?.[2])];
      if (!m || start > 23 || end > 23 || start === end) {
        ctx.addIssue({ code: 'custom', message: 'must be START-END in whole local hours 0 to 23 (e.g. 21-8), or empty for none' });
        return z.NEVER;
      }
      return { start, end };
    }),
    'Quiet hours (local hours START-END in JOURNEYS_TIME_ZONE; empty: none): a send due then is held until they end.',
  ],
  ATTRIBUTION_WINDOW_DAYS: [int(1, 3650).default(30), 'KPIs: an order is attributed (last touch) to the latest campaign touch (context.campaign.name) at most this many days before it.'],
  LOYALTY_POINTS_PER_UNIT: [z.string().default('1').refine((v) => DECIMAL.test(v.trim()), 'must be a number of at least 0 with at most 6 decimals, such as 1 or 0.1').transform((v) => v.trim()), 'Loyalty points per currency unit of an order\'s revenue (the points of an order are floored).'],
  LOYALTY_LEVELS: [loyaltyLevels, 'Loyalty levels, `name:threshold` from the lowest (threshold 0) up: a member stands at the highest level whose threshold their net spend within LOYALTY_LEVEL_WINDOW_DAYS reaches.'],
  LOYALTY_LEVEL_WINDOW_DAYS: [int(2, 3650).default(365), 'Loyalty levels: the net spend (orders less refunds) of this many local days (SEGMENTS_TIME_ZONE), the current one included, makes the level (2 to 3650: the multiplier reads the days before the order\'s).'],
  LOYALTY_MULTIPLIERS: [namedValues('Member:1,Silver:1.25,Gold:1.5,Platinum:2', DECIMAL, 'multiplier'), 'Loyalty points multiplier per level (`level:multiplier`; a level not named earns × 1), of the level standing at the start of the order\'s local day.'],
  LOYALTY_EXPIRY_MONTHS: [int(1, 1200).default(12), 'Loyalty points expire at the end of the local day this many months after they were earned, the oldest spent first.'],
  LOYALTY_BONUS_EVENTS: [namedValues('Review Submitted:50,Referral Converted:200', /^[1-9]\d{0,8}$/, 'points'), 'Track events that earn loyalty points (`event:points`), for the profile whose event it is.'],
  RECOMMENDATIONS_PER_PROFILE: [int(1, 100).default(5), 'Recommendations: how many products the `recommendations` job keeps per customer (1 to 100).'],
  RECOMMENDATIONS_VIEW_WINDOW_DAYS: [int(1, 365).default(7), 'Recommendations: a purchase counts as following a Product Viewed (view-then-buy) when it comes at most this many days (× 24 hours) after the view.'],
  SQL_MAX_EXECUTION_SECONDS: [int(1).default(30), 'Time limit of one `POST /v1/sql` / `cdp sql` query.'],
  SQL_MAX_RESULT_ROWS: [int(1).default(100000), 'Row limit of one `POST /v1/sql` / `cdp sql` result.'],
  SQL_MAX_MEMORY_BYTES: [int(1_000_000).default(2 * 1024 ** 3), 'Memory limit of one `POST /v1/sql` / `cdp sql` query.'],
  SEGMENTS_TIME_ZONE: [z.string().min(1).refine(validTimeZone, 'must be an IANA time zone such as UTC or Europe/Berlin').default('UTC'), 'Time zone of segment time windows ("within 7 days", "this quarter") and of bare dates in segment conditions.'],
  SEGMENTS_EVERY_MINUTES: [int(1, 7 * 24 * 60).default(5), 'How often a segment\'s membership is recomputed, unless the segment sets every_minutes.'],
  SEGMENT_SQL_MAX_EXECUTION_SECONDS: [int(1).default(120), 'Time limit of an analyst SQL segment\'s query (it runs with readonly = 1).'],
  SEGMENT_SQL_MAX_MEMORY_BYTES: [int(1_000_000).default(4 * 1024 ** 3), 'Memory limit of an analyst SQL segment\'s query.'],
  SEGMENT_SQL_MAX_ROWS: [int(1).default(20_000_000), 'Most members an analyst SQL segment may return.'],
  SHUTDOWN_TIMEOUT_MS: [int(100).default(30000), 'Longest graceful shutdown before the process exits anyway.'],
  CDP_FAILPOINTS: [z.string().default(''), 'Testing only: comma list of fault points to trigger (`crash-after-insert`).'],
} as const;

type Vars = typeof configVariables;
export type Config = { [K in keyof Vars]: z.output<Vars[K][0]> } & {
  /** Absolute data directory. */
  dataDir: string;
  failpoints: ReadonlySet<string>;
};

/** The events the loyalty ledger reads for itself (segments/jobs/loyalty-job.ts). */
export const LOYALTY_OWN_EVENTS = ['Order Completed', 'Order Refunded', 'Points Redeemed', 'Points Adjusted'];

/** Rules between variables, checked once each is valid on its own. */
function relationProblems(c: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  // A customer lost before the "new" window ends could never have been new.
  if (c.LIFECYCLE_LOST_DAYS <= c.LIFECYCLE_NEW_DAYS) {
    problems.push({ variable: 'LIFECYCLE_LOST_DAYS', message: `must be more than LIFECYCLE_NEW_DAYS (${c.LIFECYCLE_NEW_DAYS}) (got "${c.LIFECYCLE_LOST_DAYS}")` });
  }
  // Over 100 the top and bottom bands would overlap: a buyer could be both high and low.
  if (c.VALUE_TIER_HIGH_PERCENT + c.VALUE_TIER_LOW_PERCENT > 100) {
    problems.push({ variable: 'VALUE_TIER_LOW_PERCENT', message: `VALUE_TIER_HIGH_PERCENT + VALUE_TIER_LOW_PERCENT must be at most 100 (got ${c.VALUE_TIER_HIGH_PERCENT} + ${c.VALUE_TIER_LOW_PERCENT})` });
  }
  // chDB is one process's engine: it cannot be a node of a cluster.
  if (c.CLICKHOUSE_CLUSTER !== undefined && c.CLICKHOUSE_URL === undefined) {
    problems.push({ variable: 'CLICKHOUSE_CLUSTER', message: `needs CLICKHOUSE_URL (a server of the cluster); embedded ClickHouse is a single node (got "${c.CLICKHOUSE_CLUSTER}")` });
  }
  // A multiplier for a level that does not exist is a typo that would silently earn × 1.
  const levels = new Set(c.LOYALTY_LEVELS.map((l) => l.name));
  const unknown = c.LOYALTY_MULTIPLIERS.filter((m) => !levels.has(m.name)).map((m) => m.name);
  if (unknown.length > 0) {
    problems.push({ variable: 'LOYALTY_MULTIPLIERS', message: `names levels LOYALTY_LEVELS does not have: ${unknown.join(', ')}` });
  }
  // These events are the ledger's own: counted as a bonus they would count twice.
  const own = c.LOYALTY_BONUS_EVENTS.filter((b) => LOYALTY_OWN_EVENTS.includes(b.name)).map((b) => b.name);
  if (own.length > 0) {
    problems.push({ variable: 'LOYALTY_BONUS_EVENTS', message: `cannot name ${own.join(', ')}: the ledger counts them already` });
  }
  return problems;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const out: Record<string, unknown> = {};
  const problems: ConfigProblem[] = [];
  for (const [name, [schema]] of Object.entries(configVariables)) {
    const raw = env[name];
    const parsed = (schema as z.ZodType).safeParse(raw === '' && !EMPTY_IS_A_VALUE.has(name) ? undefined : raw);
    if (parsed.success) out[name] = parsed.data;
    else problems.push({ variable: name, message: `${parsed.error.issues.map((i) => i.message).join('; ')}${SECRET_VARIABLES.has(name) ? '' : ` (got "${raw}")`}` });
  }
  if (problems.length === 0) problems.push(...relationProblems(out as Config));
  if (problems.length > 0) throw new ConfigError(problems);
  const config = out as Config;
  config.dataDir = path.resolve(config.CDP_DATA_DIR);
  config.failpoints = new Set(config.CDP_FAILPOINTS.split(',').map((s) => s.trim()).filter(Boolean));
  return config;
}
