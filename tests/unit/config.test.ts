import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { configVariables, loadConfig } from '../../pipeline/core/config.js';
import { ConfigError } from '../../pipeline/core/errors/config-error.js';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected loadConfig(${JSON.stringify(env)}) to throw a ConfigError`);
}

describe('defaults', () => {
  const config = loadConfig({});

  test('HTTP', () => {
    expect(config.PORT).toBe(8080);
    expect(config.HOST).toBe('0.0.0.0');
  });

  test('data folder: ./data, resolved to an absolute path', () => {
    expect(config.CDP_DATA_DIR).toBe('./data');
    expect(path.isAbsolute(config.dataDir)).toBe(true);
    expect(config.dataDir).toBe(path.join(process.cwd(), 'data'));
  });

  test('storage and queue', () => {
    expect(config.CLICKHOUSE_DATABASE).toBe('cdp');
    expect(config.CLICKHOUSE_URL).toBeUndefined();
    expect(config.REDIS_URL).toBeUndefined();
    expect(config.QUEUE_PREFIX).toBe('{cdp}');
    expect(config.REDIS_CLUSTER_NODES).toEqual([]);
  });

  test('Redis Cluster seed nodes, host:port each (an IPv6 address in brackets)', () => {
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'redis-1:7000, 10.0.0.2:7001,[::1]:7002' }).REDIS_CLUSTER_NODES).toEqual([
      { host: 'redis-1', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
  });

  test('all three roles', () => {
    expect(config.CDP_ROLES).toEqual(['api', 'workers', 'scheduler']);
  });

  test('no keys, no failpoints, quiet request log', () => {
    expect(config.CDP_WRITE_KEYS).toEqual([]);
    expect(config.CDP_ADMIN_KEY).toBeUndefined();
    expect(config.failpoints.size).toBe(0);
    expect(config.LOG_REQUESTS).toBe(false);
    expect(config.LOG_LEVEL).toBe('info');
  });

  test('Segment-like ingest limits', () => {
    expect(config.INGEST_MAX_EVENT_BYTES).toBe(32 * 1024);
    expect(config.INGEST_MAX_BATCH_BYTES).toBe(500 * 1024);
    expect(config.CLOCK_SKEW_MAX_CORRECTION_MS).toBe(24 * 3600 * 1000);
  });

  test('an empty variable means its default', () => {
    const c = loadConfig({ PORT: '', CDP_ROLES: '', CLICKHOUSE_DATABASE: '', CDP_WRITE_KEYS: '' });
    expect(c.PORT).toBe(8080);
    expect(c.CDP_ROLES).toEqual(['api', 'workers', 'scheduler']);
    expect(c.CLICKHOUSE_DATABASE).toBe('cdp');
    expect(c.CDP_WRITE_KEYS).toEqual([]);
  });
});

describe('values', () => {
  test('numbers are parsed', () => {
    const c = loadConfig({ PORT: '3000', INGEST_MAX_BATCH_EVENTS: '10', CLOCK_SKEW_MAX_CORRECTION_MS: '0' });
    expect(c.PORT).toBe(3000);
    expect(c.INGEST_MAX_BATCH_EVENTS).toBe(10);
    expect(c.CLOCK_SKEW_MAX_CORRECTION_MS).toBe(0);
  });

  test('CDP_DATA_DIR is resolved against the working directory', () => {
    expect(loadConfig({ CDP_DATA_DIR: 'var/cdp' }).dataDir).toBe(path.resolve('var/cdp'));
    expect(loadConfig({ CDP_DATA_DIR: '/srv/cdp' }).dataDir).toBe('/srv/cdp');
  });

  test('CDP_WRITE_KEYS is a comma list of key:source', () => {
    expect(loadConfig({ CDP_WRITE_KEYS: ' wk_1:web , wk_2:ios,, ' }).CDP_WRITE_KEYS).toEqual([
      { key: 'wk_1', sourceId: 'web' },
      { key: 'wk_2', sourceId: 'ios' },
    ]);
    // only the first colon separates
    expect(loadConfig({ CDP_WRITE_KEYS: 'wk:src:eu' }).CDP_WRITE_KEYS).toEqual([{ key: 'wk', sourceId: 'src:eu' }]);
  });

  test('CDP_ROLES keeps known roles once each', () => {
    expect(loadConfig({ CDP_ROLES: 'workers' }).CDP_ROLES).toEqual(['workers']);
    expect(loadConfig({ CDP_ROLES: ' api, api ,scheduler' }).CDP_ROLES).toEqual(['api', 'scheduler']);
  });

  test.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['false', false],
    ['0', false],
    ['no', false],
  ])('boolean %s is %s', (raw, expected) => {
    expect(loadConfig({ LOG_REQUESTS: raw }).LOG_REQUESTS).toBe(expected);
  });

  test('optional strings are trimmed; blank means unset', () => {
    expect(loadConfig({ REDIS_URL: ' redis://cache:6379 ' }).REDIS_URL).toBe('redis://cache:6379');
    expect(loadConfig({ REDIS_URL: '   ' }).REDIS_URL).toBeUndefined();
  });

  test('CDP_FAILPOINTS becomes a set', () => {
    const c = loadConfig({ CDP_FAILPOINTS: 'crash-after-insert, slow-load ,,crash-after-insert' });
    expect([...c.failpoints].sort()).toEqual(['crash-after-insert', 'slow-load']);
    expect(c.failpoints.has('crash-after-insert')).toBe(true);
  });
});

describe('bad values', () => {
  test.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['CDP_ROLES', 'api,bogus'],
    ['CDP_ROLES', ','],
    ['CDP_WRITE_KEYS', 'nocolon'],
    ['CDP_WRITE_KEYS', 'wk_1:web,:nokey'],
    ['CDP_WRITE_KEYS', 'nosource:'],
    ['CLICKHOUSE_DATABASE', 'x;drop'],
    ['CLICKHOUSE_DATABASE', '1cdp'],
    ['LOG_LEVEL', 'loud'],
    ['LOG_REQUESTS', 'maybe'],
    ['REDIS_MAXMEMORY', 'lots'],
    ['REDIS_CLUSTER_NODES', 'redis-1'],
    ['REDIS_CLUSTER_NODES', 'redis-1:7000,redis-2:99999'],
    ['QUEUE_PREFIX', 'cdp:eu'],
    ['QUEUE_PREFIX', '{cdp'],
    ['INGEST_MAX_EVENT_BYTES', '100'],
  ])('%s=%s throws a ConfigError naming the variable', (variable, value) => {
    const err = configError({ [variable]: value });
    expect(err.code).toBe('CDP_CONFIG_INVALID');
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]!.variable).toBe(variable);
    expect(err.problems[0]!.message).toContain(`"${value}"`);
    expect(err.message).toContain(`${variable}: `);
    expect(err.message).toContain(value);
  });

  test('every bad variable is reported at once', () => {
    const err = configError({ PORT: 'abc', CDP_ROLES: 'api,bogus', CLICKHOUSE_DATABASE: 'x;drop', HOST: 'fine' });
    expect(err.problems.map((p) => p.variable).sort()).toEqual(['CDP_ROLES', 'CLICKHOUSE_DATABASE', 'PORT']);
    for (const name of ['PORT', 'CDP_ROLES', 'CLICKHOUSE_DATABASE']) expect(err.message).toContain(name);
  });

  test('the roles message lists the valid roles', () => {
    expect(configError({ CDP_ROLES: 'api,bogus' }).problems[0]!.message).toContain('api, workers, scheduler');
  });

  test('TRUST_PROXY: off by default; true, false, or a list of proxy addresses and ranges', () => {
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(loadConfig({ TRUST_PROXY: 'no' }).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.1, 192.168.0.0/16,::1,fd00::/8,loopback' }).TRUST_PROXY).toEqual(['10.0.0.1', '192.168.0.0/16', '::1', 'fd00::/8', 'loopback']);
    for (const bad of ['10.0.0.0/33', 'proxy.example', '10.0.0.1/8/2', '2', '::1/129']) {
      expect(configError({ TRUST_PROXY: bad }).problems[0]!.variable).toBe('TRUST_PROXY');
    }
  });

  test('IP_ANONYMIZE is off by default', () => {
    expect(loadConfig({}).IP_ANONYMIZE).toBe(false);
    expect(loadConfig({ IP_ANONYMIZE: 'true' }).IP_ANONYMIZE).toBe(true);
  });

  test('MESSAGES_QUIET_HOURS: 21-8 by default, START-END in whole hours, empty for none', () => {
    expect(loadConfig({}).MESSAGES_QUIET_HOURS).toEqual({ start: 21, end: 8 });
    expect(loadConfig({ MESSAGES_QUIET_HOURS: ' 12 - 14 ' }).MESSAGES_QUIET_HOURS).toEqual({ start: 12, end: 14 });
    expect(loadConfig({ MESSAGES_QUIET_HOURS: '' }).MESSAGES_QUIET_HOURS).toBeUndefined();
    for (const bad of ['21', '21-24', '8-8', 'night', '21:00-08:00']) expect(configError({ MESSAGES_QUIET_HOURS: bad }).problems[0]!.variable, bad).toBe('MESSAGES_QUIET_HOURS');
  });

  test('PUBLIC_URL: unset by default; an http(s) address, its trailing slash dropped', () => {
    expect(loadConfig({}).PUBLIC_URL).toBeUndefined();
    expect(loadConfig({ PUBLIC_URL: 'https://cdp.example.com/' }).PUBLIC_URL).toBe('https://cdp.example.com');
    expect(loadConfig({ PUBLIC_URL: 'https://shop.example/cdp' }).PUBLIC_URL).toBe('https://shop.example/cdp');
    for (const bad of ['cdp.example.com', 'ftp://cdp.example.com', 'https://cdp.example.com/?a=1']) expect(configError({ PUBLIC_URL: bad }).problems[0]!.variable, bad).toBe('PUBLIC_URL');
  });

  test('CDP_SECRET: at least 32 characters, and never echoed in the error', () => {
    expect(loadConfig({}).CDP_SECRET).toBeUndefined();
    expect(loadConfig({ CDP_SECRET: 'x'.repeat(32) }).CDP_SECRET).toBe('x'.repeat(32));
    const err = configError({ CDP_SECRET: 'too-short-but-secret' });
    expect(err.problems[0]!.variable).toBe('CDP_SECRET');
    expect(err.message).not.toContain('too-short-but-secret');
  });

  test('the write-keys message names the bad entry', () => {
    expect(configError({ CDP_WRITE_KEYS: 'good:web,nocolon' }).problems[0]!.message).toContain('"nocolon"');
  });
});

describe('customer states', () => {
  test('defaults: new within 30 days, lost after 365, top 20 %, bottom 40 %, money as given', () => {
    const c = loadConfig({});
    expect([c.LIFECYCLE_NEW_DAYS, c.LIFECYCLE_LOST_DAYS, c.VALUE_TIER_HIGH_PERCENT, c.VALUE_TIER_LOW_PERCENT, c.SHOP_CURRENCY]).toEqual([30, 365, 20, 40, undefined]);
  });

  test('SHOP_CURRENCY is a three-letter code, upper-cased', () => {
    expect(loadConfig({ SHOP_CURRENCY: ' eur ' }).SHOP_CURRENCY).toBe('EUR');
    expect(loadConfig({ SHOP_CURRENCY: 'CNY' }).SHOP_CURRENCY).toBe('CNY');
    for (const bad of ['euro', 'E1R', '€']) {
      const err = configError({ SHOP_CURRENCY: bad });
      expect(err.problems).toEqual([{ variable: 'SHOP_CURRENCY', message: expect.stringContaining('three-letter currency code') }]);
    }
  });

  test('LIFECYCLE_LOST_DAYS must be more than LIFECYCLE_NEW_DAYS', () => {
    expect(loadConfig({ LIFECYCLE_NEW_DAYS: '7', LIFECYCLE_LOST_DAYS: '8' }).LIFECYCLE_LOST_DAYS).toBe(8);
    for (const env of [{ LIFECYCLE_LOST_DAYS: '30' }, { LIFECYCLE_NEW_DAYS: '400' }] as Record<string, string>[]) {
      const err = configError(env);
      expect(err.problems.map((p) => p.variable)).toEqual(['LIFECYCLE_LOST_DAYS']);
      expect(err.problems[0]!.message).toContain('more than LIFECYCLE_NEW_DAYS');
    }
    expect(configError({ LIFECYCLE_NEW_DAYS: '0' }).problems.map((p) => p.variable)).toEqual(['LIFECYCLE_NEW_DAYS']);
  });

  test('the high and low value-tier shares add up to at most 100', () => {
    const c = loadConfig({ VALUE_TIER_HIGH_PERCENT: '60', VALUE_TIER_LOW_PERCENT: '40' });
    expect([c.VALUE_TIER_HIGH_PERCENT, c.VALUE_TIER_LOW_PERCENT]).toEqual([60, 40]);
    const err = configError({ VALUE_TIER_HIGH_PERCENT: '61', VALUE_TIER_LOW_PERCENT: '40' });
    expect(err.problems.map((p) => p.variable)).toEqual(['VALUE_TIER_LOW_PERCENT']);
    expect(err.problems[0]!.message).toContain('61 + 40');
    // A value bad on its own is reported alone, not also as a sum.
    expect(configError({ VALUE_TIER_HIGH_PERCENT: '101' }).problems.map((p) => p.variable)).toEqual(['VALUE_TIER_HIGH_PERCENT']);
  });

  test('recommendations: 5 per customer and a 7-day view window by default; whole numbers in range, checked at start', () => {
    const c = loadConfig({});
    expect([c.RECOMMENDATIONS_PER_PROFILE, c.RECOMMENDATIONS_VIEW_WINDOW_DAYS]).toEqual([5, 7]);
    expect(loadConfig({ RECOMMENDATIONS_PER_PROFILE: '100' }).RECOMMENDATIONS_PER_PROFILE).toBe(100);
    for (const bad of ['0', '101', '2.5', 'five']) expect(configError({ RECOMMENDATIONS_PER_PROFILE: bad }).problems.map((p) => p.variable), bad).toEqual(['RECOMMENDATIONS_PER_PROFILE']);
    for (const bad of ['0', '366']) expect(configError({ RECOMMENDATIONS_VIEW_WINDOW_DAYS: bad }).problems.map((p) => p.variable), bad).toEqual(['RECOMMENDATIONS_VIEW_WINDOW_DAYS']);
  });

  test('loyalty: the issue\'s programme by default; levels rise from 0, multipliers name known levels, bonus events are not the ledger\'s own', () => {
    const c = loadConfig({});
    expect(c.LOYALTY_POINTS_PER_UNIT).toBe('1');
    expect(c.LOYALTY_LEVELS).toEqual([
      { name: 'Member', threshold: '0' },
      { name: 'Silver', threshold: '500' },
      { name: 'Gold', threshold: '2000' },
      { name: 'Platinum', threshold: '5000' },
    ]);
    expect(c.LOYALTY_MULTIPLIERS).toEqual([
      { name: 'Member', value: '1' },
      { name: 'Silver', value: '1.25' },
      { name: 'Gold', value: '1.5' },
      { name: 'Platinum', value: '2' },
    ]);
    expect([c.LOYALTY_LEVEL_WINDOW_DAYS, c.LOYALTY_EXPIRY_MONTHS]).toEqual([365, 12]);
    expect(c.LOYALTY_BONUS_EVENTS).toEqual([{ name: 'Review Submitted', value: '50' }, { name: 'Referral Converted', value: '200' }]);
    expect(loadConfig({ LOYALTY_BONUS_EVENTS: 'Signed: Up:5', LOYALTY_POINTS_PER_UNIT: '0.125' })).toMatchObject({ LOYALTY_BONUS_EVENTS: [{ name: 'Signed: Up', value: '5' }], LOYALTY_POINTS_PER_UNIT: '0.125' });
    const refused: [Record<string, string>, string][] = [
      [{ LOYALTY_LEVELS: 'Member:10,Gold:100' }, 'LOYALTY_LEVELS'],
      [{ LOYALTY_LEVELS: 'Member:0,Gold:100,Silver:50' }, 'LOYALTY_LEVELS'],
      [{ LOYALTY_LEVELS: 'Member:0,Member:100' }, 'LOYALTY_LEVELS'],
      [{ LOYALTY_LEVELS: 'Member:0,Gold' }, 'LOYALTY_LEVELS'],
      [{ LOYALTY_MULTIPLIERS: 'Member:1,Diamond:3' }, 'LOYALTY_MULTIPLIERS'],
      [{ LOYALTY_MULTIPLIERS: 'Member:-1' }, 'LOYALTY_MULTIPLIERS'],
      [{ LOYALTY_MULTIPLIERS: 'Member:1.0000001' }, 'LOYALTY_MULTIPLIERS'],
      [{ LOYALTY_POINTS_PER_UNIT: 'one' }, 'LOYALTY_POINTS_PER_UNIT'],
      [{ LOYALTY_LEVEL_WINDOW_DAYS: '1' }, 'LOYALTY_LEVEL_WINDOW_DAYS'],
      [{ LOYALTY_EXPIRY_MONTHS: '0' }, 'LOYALTY_EXPIRY_MONTHS'],
      [{ LOYALTY_BONUS_EVENTS: 'Review Submitted:0' }, 'LOYALTY_BONUS_EVENTS'],
      [{ LOYALTY_BONUS_EVENTS: 'Points Redeemed:10' }, 'LOYALTY_BONUS_EVENTS'],
    ];
    for (const [env, variable] of refused) expect(configError(env).problems.map((p) => p.variable), JSON.stringify(env)).toEqual([variable]);
    expect(loadConfig({ LOYALTY_LEVELS: 'Bronze:0,Gold:100', LOYALTY_MULTIPLIERS: 'Gold:2' }).LOYALTY_MULTIPLIERS).toEqual([{ name: 'Gold', value: '2' }]);
    // Other levels with the default multipliers: the ones naming levels that are gone are listed.
    expect(configError({ LOYALTY_LEVELS: 'Bronze:0,Gold:100' }).problems[0]!.message).toContain('Member, Silver, Platinum');
  });
});

describe('documentation', () => {
  const readme = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../README.md');

  test('every variable in configVariables is in the README configuration table', () => {
    expect(existsSync(readme), `${readme} does not exist`).toBe(true);
    const tableLines = readFileSync(readme, 'utf8')
      .split('\n')
      .filter((line) => line.includes('|'));
    const missing = Object.keys(configVariables).filter((name) => !tableLines.some((line) => line.includes(`\`${name}\``)));
    expect(missing, 'variables missing from the README configuration table').toEqual([]);
  });
});
