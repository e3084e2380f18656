import { parseArgs } from 'node:util';
import { ZodError } from 'zod';
import { SCOPES, type Scope } from '../auth/key-store.js';
import { loadConfig, type Config } from '../core/config.js';
import { CdpError } from '../core/errors/cdp-error.js';
import { UsageError } from '../core/errors/usage-error.js';
import { DESTINATIONS_USAGE, destinationsCommand } from './commands/destinations.js';
import { dlqListCommand, dlqReplayCommand } from './commands/dlq.js';
import { identityRebuildCommand } from './commands/identity.js';
import { jobsRunCommand } from './commands/jobs.js';
import { JOB_REQUEST_NAMES, requestedJob, type JobRequestName } from '../../segments/jobs/jobs.js';
import { keysCreateCommand, keysListCommand, keysRevokeCommand } from './commands/keys.js';
import { PLANS_USAGE, plansApplyCommand, plansInferCommand } from './commands/plans.js';
import { segmentsCommand } from './commands/segments.js';
import { traitsCommand, TRAITS_USAGE } from './commands/traits.js';
import { migrateCommand, migratePrintCommand } from './commands/migrate.js';
import { sqlCommand } from './commands/sql.js';
import { startCommand } from './commands/start.js';
import { webhooksFailedCommand, webhooksReplayCommand } from './commands/webhooks.js';
import { FORMATS, type Format } from './format-rows.js';

const HELP = `cdp — customer data platform

Usage:
  cdp start [--roles api,workers,scheduler]     run the product (all roles by default)
  cdp migrate [--print]                         apply sql/migrations to ClickHouse (--print: show the statements, connect nowhere)
  cdp sql "<query>" [--format json|csv|table]   run a read-only query (default format: table)
  cdp keys create --source NAME --scope write|audience|read|admin [--segments a,b]
  cdp keys list [--format table|json|csv]       API keys (never the keys themselves)
  cdp keys revoke <id> [--force]                revoke a key in every process within seconds
  cdp dlq list                                  load jobs that used up their retries
  cdp dlq replay [--id ID]                      put them (or one) back in the queue
  cdp webhooks failed [--destination ID]        webhook deliveries that used up their attempts
  cdp webhooks replay [--destination ID] [--id DELIVERY_ID]   deliver them again (same delivery ids)
  cdp destinations list | get <id> | delete <id>   destinations (needs a running product)
  cdp destinations create <file> | put <file> [--id ID]   create or replace one from a JSON file
  cdp destinations pause|resume <id>            hold or restart an event destination's deliveries
  cdp destinations replay <id> [--id DELIVERY_ID]   send its dead letters again (same delivery ids)
  cdp identity rebuild                          rebuild the Redis identity graph from ClickHouse
  cdp jobs run <${JOB_REQUEST_NAMES.join('|')}> [--as-of ISO]
                                                run a scheduled job now (JSON summary)
  cdp segments list                             segments with their last run
  cdp segments run <id|all> [--as-of ISO]       recompute segment membership now (needs a running product)
  cdp traits list | get <id> | delete <id>      computed trait definitions (needs a running product)
  cdp traits put <file> [--id ID]               create or replace a computed trait from a JSON file
  cdp traits preview <file> --profile ID [--as-of ISO]   a definition's value for one customer, with its SQL
  cdp plans infer --source NAME [--days 7]      print a draft tracking plan from the source's recent events
  cdp plans apply FILE [--id ID]                put a tracking plan (needs a running product)

Configuration comes from environment variables; see README.md.`;

function choice<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T {
  if (value === undefined || !(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`${flag} must be one of ${allowed.join(', ')}${value === undefined ? '' : `; got "${value}"`}`);
  }
  return value as T;
}

const UNKNOWN_OPTION = 'ERR_PARSE_ARGS_UNKNOWN_OPTION';

/**
 * Errors whose message says all there is to say: ours (CdpError), an unknown option, a refused value, and
 * ClickHouse's answer to a query (@clickhouse/client's ClickHouseError; the client ships two copies of the
 * class, so it is known by name). Anything else is a bug: its stack is printed.
 */
function explained(err: unknown): boolean {
  return (
    err instanceof CdpError ||
    err instanceof ZodError ||
    (err as { code?: unknown }).code === UNKNOWN_OPTION ||
    (err instanceof Error && err.constructor.name === 'ClickHouseError')
  );
}

async function run(argv: string[]): Promise<string | undefined> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      roles: { type: 'string' },
      format: { type: 'string' },
      source: { type: 'string' },
      scope: { type: 'string' },
      segments: { type: 'string' },
      id: { type: 'string' },
      destination: { type: 'string' },
      profile: { type: 'string' },
      'as-of': { type: 'string' },
      days: { type: 'string' },
      force: { type: 'boolean' },
      print: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, sub, ...rest] = positionals;
  if (values.help || !command || command === 'help') return HELP;

  // --roles overrides CDP_ROLES and goes through the same validation.
  const config: Config = loadConfig(values.roles === undefined ? process.env : { ...process.env, CDP_ROLES: values.roles });
  switch (command) {
    case 'start':
      await startCommand(config, config.CDP_ROLES);
      return undefined;
    case 'migrate':
      return values.print ? migratePrintCommand(config) : migrateCommand(config);
    case 'sql': {
      const query = [sub, ...rest].filter(Boolean).join(' ');
      if (!query) throw new UsageError('cdp sql needs a query: cdp sql "SELECT count() FROM events"');
      return sqlCommand(config, query, choice<Format>(values.format ?? 'table', FORMATS, '--format'));
    }
    case 'keys': {
      if (sub === 'list') return keysListCommand(config, choice<Format>(values.format ?? 'table', FORMATS, '--format'));
      if (sub === 'revoke') return keysRevokeCommand(config, rest[0], values.force ?? false);
      if (sub !== 'create') throw new UsageError('usage: cdp keys create --source NAME --scope write|audience|read|admin [--segments a,b] | cdp keys list [--format table|json|csv] | cdp keys revoke <id> [--force]');
      if (!values.source) throw new UsageError('--source NAME is required (the source for a write key, a label for the others)');
      // An empty list would be a key for every segment: leaving --segments out says that, an empty one does not.
      const segments = values.segments?.split(',').map((s) => s.trim()).filter(Boolean);
      if (segments?.length === 0) throw new UsageError('--segments needs at least one segment name (a,b); leave it out for a key that reads every segment');
      return keysCreateCommand(config, choice<Scope>(values.scope, SCOPES, '--scope'), values.source, segments);
    }
    case 'dlq':
      if (sub === 'list') return dlqListCommand(config);
      if (sub === 'replay') return dlqReplayCommand(config, values.id);
      throw new UsageError('usage: cdp dlq list | cdp dlq replay [--id ID]');
    case 'webhooks':
      if (sub === 'failed') return webhooksFailedCommand(config, values.destination);
      if (sub === 'replay') return webhooksReplayCommand(config, { destinationId: values.destination, deliveryId: values.id });
      throw new UsageError('usage: cdp webhooks failed [--destination ID] | cdp webhooks replay [--destination ID] [--id DELIVERY_ID]');
    case 'destinations':
      if (sub === undefined) throw new UsageError(DESTINATIONS_USAGE);
      return destinationsCommand(config, { sub, target: rest[0], id: values.id });
    case 'jobs': {
      if (sub !== 'run') throw new UsageError(`usage: cdp jobs run <${JOB_REQUEST_NAMES.join('|')}> [--as-of ISO]`);
      const name = requestedJob(choice<JobRequestName>(rest[0], JOB_REQUEST_NAMES, 'the job'));
      const asOf = values['as-of'] === undefined ? undefined : Date.parse(values['as-of']);
      if (asOf !== undefined && Number.isNaN(asOf)) throw new UsageError(`--as-of must be an ISO 8601 date-time; got "${values['as-of']}"`);
      return jobsRunCommand(config, name, asOf);
    }
    case 'segments': {
      const asOf = values['as-of'] === undefined ? undefined : Date.parse(values['as-of']);
      if (asOf !== undefined && Number.isNaN(asOf)) throw new UsageError(`--as-of must be an ISO 8601 date-time; got "${values['as-of']}"`);
      return segmentsCommand(config, sub, rest[0], asOf);
    }
    case 'traits': {
      const asOf = values['as-of'] === undefined ? undefined : Date.parse(values['as-of']);
      if (asOf !== undefined && Number.isNaN(asOf)) throw new UsageError(`--as-of must be an ISO 8601 date-time; got "${values['as-of']}"\n${TRAITS_USAGE}`);
      return traitsCommand(config, { sub, target: rest[0], id: values.id, profile: values.profile, asOf });
    }
    case 'plans':
      if (sub === 'infer') return plansInferCommand(config, values.source, values.days);
      if (sub === 'apply') return plansApplyCommand(config, rest[0], values.id);
      throw new UsageError(PLANS_USAGE);
    case 'identity':
      if (sub === 'rebuild') return identityRebuildCommand(config);
      throw new UsageError('usage: cdp identity rebuild');
    default:
      throw new UsageError(`unknown command "${command}"\n\n${HELP}`);
  }
}

run(process.argv.slice(2)).then(
  (out) => {
    if (out !== undefined) {
      process.stdout.write(`${out}\n`);
      process.exit(0);
    }
  },
  (err: unknown) => {
    process.stderr.write(`cdp: ${explained(err) ? (err as Error).message : ((err as Error).stack ?? String(err))}\n`);
    process.exit(err instanceof UsageError || (err as { code?: unknown }).code === UNKNOWN_OPTION ? 2 : 1);
  },
);
