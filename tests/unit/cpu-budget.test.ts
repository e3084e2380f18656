import { availableParallelism } from 'node:os';
import { describe, expect, test } from 'vitest';
import { cpuBudget } from '../../bench/cpu-budget.js';

describe('the latency benches\' CPU budget', () => {
  test('is each process\'s CPU over the reading, per event, and their sum times the offered rate in cores', () => {
    const before = { productSeconds: 10, redisSeconds: 2, benchSeconds: 1 };
    const after = { productSeconds: 22, redisSeconds: 4.5, benchSeconds: 3 };
    const budget = cpuBudget(before, after, 100_000, 25_000);
    expect(budget.usPerEvent).toEqual({ product: 120, polls: 0, redis: 25, bench: 20, total: 165 });
    expect(budget.coresAtOfferedRate).toBe(4.13);
    expect(budget.cores).toBe(availableParallelism());
  });

  test('leaves the product\'s CPU spent answering the bench\'s polls out of the total and the cores', () => {
    const before = { productSeconds: 10, redisSeconds: 2, benchSeconds: 1 };
    const after = { productSeconds: 22, redisSeconds: 4.5, benchSeconds: 3 };
    const budget = cpuBudget(before, after, 100_000, 25_000, 1.5);
    expect(budget.usPerEvent).toEqual({ product: 120, polls: 15, redis: 25, bench: 20, total: 150 });
    expect(budget.coresAtOfferedRate).toBe(3.75);
  });

  test('with no event loaded it reports zero rather than dividing by zero', () => {
    const reading = { productSeconds: 1, redisSeconds: 1, benchSeconds: 1 };
    const budget = cpuBudget(reading, { productSeconds: 2, redisSeconds: 2, benchSeconds: 2 }, 0, 1000);
    expect(budget.usPerEvent.total).toBe(0);
    expect(budget.coresAtOfferedRate).toBe(0);
  });
});
