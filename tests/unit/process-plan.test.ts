import { expect, test } from 'vitest';
import { processPlan } from '../../pipeline/process/process-plan.js';

const embedded = { CLICKHOUSE_URL: undefined };
const server = { CLICKHOUSE_URL: 'http://clickhouse:8123' };

test('every role together holds ClickHouse, loads and runs the clocks', () => {
  expect(processPlan(['api', 'workers', 'scheduler'], embedded)).toEqual({ trackingApi: true, clickhouse: { loadWorkers: true, scheduling: true } });
});

test('an api-only process leaves the embedded data folder to the process that holds it', () => {
  expect(processPlan(['api'], embedded)).toEqual({ trackingApi: true, clickhouse: undefined });
});

test('against a ClickHouse server every process holds ClickHouse, an api-only one without loading or clocks', () => {
  expect(processPlan(['api'], server)).toEqual({ trackingApi: true, clickhouse: { loadWorkers: false, scheduling: false } });
});

test('workers and the scheduler each hold ClickHouse and run only their own part', () => {
  expect(processPlan(['workers'], embedded)).toEqual({ trackingApi: false, clickhouse: { loadWorkers: true, scheduling: false } });
  expect(processPlan(['scheduler'], embedded)).toEqual({ trackingApi: false, clickhouse: { loadWorkers: false, scheduling: true } });
});
