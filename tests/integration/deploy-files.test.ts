import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { configVariables, loadConfig } from '../../pipeline/core/config.js';
import { projectRoot } from '../../pipeline/core/project-root.js';
import { printedStatements, startConfiguredChdb } from '../helpers/cluster-chdb.js';
import { tempDir } from '../helpers/test-product.js';

// No Docker engine runs here, so deploy/ is checked for what can be checked without one: the compose files
// parse; every variable they give the product is one it reads, and together they make a valid configuration;
// every command they run is one the CLI has (run for real as `cdp migrate --print`, which connects nowhere);
// the ClickHouse cluster configuration is read by a ClickHouse engine (chDB) and describes the nodes the
// compose file starts.

const root = projectRoot();
const bin = path.join(root, 'bin', 'cdp.js');
const dir = tempDir('cdp-deploy-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  deploy?: { replicas?: number };
  depends_on?: Record<string, unknown> | string[];
}
const COMPOSE_FILES = ['deploy/docker-compose.yml', 'deploy/cluster/docker-compose.yml'];
const compose = (file: string) => parse(readFileSync(path.join(root, file), 'utf8'), { merge: true }) as { services: Record<string, Service> };
/** The product's services: they run its image. */
const products = (file: string) => Object.entries(compose(file).services).filter(([, s]) => s.image === 'cdp:latest');

/** Compose's `${NAME:?message}` and `${NAME}` filled in as an operator's .env would. */
function substituted(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{(\w+)(:\?[^}]*)?\}/g, (_, name: string) => (name === 'CDP_SECRET' ? 's'.repeat(40) : `value-of-${name}`))]));
}

const help = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' }).stdout;

describe.each(COMPOSE_FILES)('%s', (file) => {
  test('parses, with the API, workers and one scheduler on the product image, and Redis with AOF and noeviction', () => {
    const { services } = compose(file);
    const roles = products(file).map(([, s]) => s.command!.join(' '));
    expect(roles).toEqual(expect.arrayContaining(['migrate', 'start --roles api', 'start --roles workers', 'start --roles scheduler']));
    const schedulers = products(file).filter(([, s]) => s.command!.join(' ').includes('scheduler'));
    expect(schedulers.map(([, s]) => s.deploy?.replicas)).toEqual([1]);
    const redis = services.redis!.command!.join(' ');
    expect(redis).toContain('--appendonly yes');
    expect(redis).toContain('--maxmemory-policy noeviction');
    expect(existsSync(path.join(path.dirname(path.join(root, file)), (services.migrate!.build as { context: string }).context, 'deploy', 'Dockerfile'))).toBe(true);
  });

  test('every variable it gives the product is in the configuration schema, and they make a valid configuration', () => {
    for (const [name, s] of products(file)) {
      for (const variable of Object.keys(s.environment ?? {})) expect(Object.keys(configVariables), `${name}: ${variable}`).toContain(variable);
      expect(() => loadConfig(substituted(s.environment ?? {})), name).not.toThrow();
    }
  });

  test('every command it runs is a command of the CLI, and runs with its environment', () => {
    for (const [name, s] of products(file)) {
      const [command, ...args] = s.command!;
      expect(help, `${name}: cdp ${command}`).toMatch(new RegExp(`^  cdp ${command} `, 'm'));
      if (command === 'start') {
        expect(args[0]).toBe('--roles');
        expect(() => loadConfig({ CDP_ROLES: args[1] }), name).not.toThrow();
      }
      // The command itself, with the service's environment: a DBA's review of what it will do.
      const res = spawnSync(process.execPath, [bin, 'migrate', '--print'], { env: { ...process.env, CDP_DATA_DIR: dir, ...substituted(s.environment!) }, encoding: 'utf8', timeout: 60_000 });
      expect(res.stderr, name).toBe('');
      expect(printedStatements(res.stdout).length, name).toBeGreaterThan(50);
    }
  });
});

describe('the cluster variant', () => {
  test('its ClickHouse configuration is read by ClickHouse, with two shards of two replicas named as the compose services, and the macros from the environment', async () => {
    const { services } = compose('deploy/cluster/docker-compose.yml');
    const node = startConfiguredChdb(path.join(dir, 'ch'), path.join(root, 'deploy/cluster/clickhouse/cluster.xml'), { CLICKHOUSE_SHARD: '2', CLICKHOUSE_REPLICA: 'r1', CLICKHOUSE_CLUSTER_SECRET: 's' });
    try {
      const cluster = products('deploy/cluster/docker-compose.yml').map(([, s]) => s.environment!.CLICKHOUSE_CLUSTER);
      expect(new Set(cluster)).toEqual(new Set(['cdp_cluster']));
      const hosts = await node.run(`SELECT shard_num, replica_num, host_name FROM system.clusters WHERE cluster = 'cdp_cluster' ORDER BY shard_num, replica_num`);
      expect(hosts.rows).toEqual([
        { shard_num: 1, replica_num: 1, host_name: 'ch-s1-r1' },
        { shard_num: 1, replica_num: 2, host_name: 'ch-s1-r2' },
        { shard_num: 2, replica_num: 1, host_name: 'ch-s2-r1' },
        { shard_num: 2, replica_num: 2, host_name: 'ch-s2-r2' },
      ]);
      for (const h of hosts.rows!) {
        const service = services[String(h.host_name)]!;
        expect(service.environment).toMatchObject({ CLICKHOUSE_SHARD: String(h.shard_num), CLICKHOUSE_REPLICA: `r${h.replica_num}` });
      }
      expect((await node.run('SELECT macro, substitution FROM system.macros ORDER BY macro')).rows).toEqual([
        { macro: 'replica', substitution: 'r1' },
        { macro: 'shard', substitution: '2' },
      ]);
      // Keeper: the nodes the configuration names are the compose file's.
      const keepers = Object.keys(services).filter((s) => s.startsWith('keeper'));
      expect(keepers).toHaveLength(3);
      const xml = readFileSync(path.join(root, 'deploy/cluster/clickhouse/cluster.xml'), 'utf8');
      expect([...xml.matchAll(/<node><host>(\w+)<\/host>/g)].map((m) => m[1])).toEqual(keepers);
    } finally {
      await node.kill();
    }
  });

  test("Keeper's configuration is read by ClickHouse, with a server for each keeper service", async () => {
    const node = startConfiguredChdb(path.join(dir, 'keeper'), path.join(root, 'deploy/cluster/keeper/keeper.xml'), { KEEPER_SERVER_ID: '1' });
    try {
      expect((await node.run('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await node.kill();
    }
    const xml = readFileSync(path.join(root, 'deploy/cluster/keeper/keeper.xml'), 'utf8');
    const keepers = Object.entries(compose('deploy/cluster/docker-compose.yml').services).filter(([n]) => n.startsWith('keeper'));
    expect([...xml.matchAll(/<id>(\d+)<\/id><hostname>(\w+)<\/hostname>/g)].map((m) => [m[2], m[1]])).toEqual(keepers.map(([n, s]) => [n, s.environment!.KEEPER_SERVER_ID]));
  });
});

describe('the Node flags the product runs under', () => {
  // bin/cdp.js's first line sets them; `npm start` and the image's entry point call node themselves, so they
  // must pass the same ones (the benches read the shebang to start the product as these do).
  const flagsOf = (command: string) => command.split(/\s+/).filter((w) => w.startsWith('--'));
  const shebang = readFileSync(bin, 'utf8').split('\n', 1)[0]!;

  test('the shebang runs node with flags', () => {
    expect(shebang).toMatch(/^#!\/usr\/bin\/env -S node( --\S+)+$/);
  });

  test('npm start and the Dockerfile pass the same flags as the shebang', () => {
    const expected = flagsOf(shebang);
    const scripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(flagsOf(scripts.start!.split('bin/cdp.js')[0]!)).toEqual(expected);
    const entry = readFileSync(path.join(root, 'deploy', 'Dockerfile'), 'utf8').match(/^ENTRYPOINT (\[.*\])$/m);
    expect(entry).not.toBeNull();
    const argv = JSON.parse(entry![1]!) as string[];
    expect(argv.slice(0, argv.indexOf('bin/cdp.js')).filter((a) => a.startsWith('--'))).toEqual(expected);
  });
});
