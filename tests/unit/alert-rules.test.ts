import { describe, expect, test } from 'vitest';
import { alertInput } from '../../segments/alerts/alert-definition.js';
import { alertMetric } from '../../segments/alerts/alert-metrics.js';
import { scheduledMinute } from '../../segments/alerts/alert-scheduler.js';
import { MAD_SCALE, judgeAnomaly, median, sameMinuteOfWeek, trailingMinutes, weeklyMinutes } from '../../segments/alerts/anomaly.js';
import { meets } from '../../segments/alerts/threshold.js';

const at = (iso: string) => Date.parse(iso);

describe('the anomaly rule', () => {
  test('median and MAD: |value − median| > sensitivity × 1.4826 × MAD, and at least min_change', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    // median 10, deviations 0 1 1 2 → MAD 1: the bound is 3 × 1.4826 = 4.4478.
    const baseline = [10, 9, 11, 12, 10];
    expect(judgeAnomaly(14.4, baseline, { sensitivity: 3, min_change: 0 })).toMatchObject({ anomalous: false, median: 10, mad: 1 });
    expect(judgeAnomaly(14.45, baseline, { sensitivity: 3, min_change: 0 }).anomalous).toBe(true);
    expect(judgeAnomaly(5.5, baseline, { sensitivity: 3, min_change: 0 }).anomalous).toBe(true);
    expect(judgeAnomaly(14.45, baseline, { sensitivity: 3, min_change: 5 }).anomalous).toBe(false);
    expect(judgeAnomaly(15, baseline, { sensitivity: 3, min_change: 5 })).toMatchObject({ anomalous: true, distance: 5 });
    expect(MAD_SCALE).toBe(1.4826);
  });

  test('a flat baseline (MAD 0): any change of at least min_change is anomalous, none is not', () => {
    expect(judgeAnomaly(0, [0, 0, 0, 0], { sensitivity: 3, min_change: 0 }).anomalous).toBe(false);
    expect(judgeAnomaly(1, [0, 0, 0, 0], { sensitivity: 3, min_change: 2 }).anomalous).toBe(false);
    expect(judgeAnomaly(2, [0, 0, 0, 0], { sensitivity: 3, min_change: 2 }).anomalous).toBe(true);
  });

  test('the same local minute of the week: across a daylight-saving change the instant moves by the change', () => {
    // Monday 2 November 2026, 09:00 in Berlin (UTC+1); a week before, 26 October, is also UTC+1; two weeks
    // before, 19 October, was summer time (UTC+2): 09:00 local is 07:00 UTC.
    const monday = at('2026-11-02T08:00:00Z');
    expect(new Date(sameMinuteOfWeek(monday, 1, 'Europe/Berlin')).toISOString()).toBe('2026-10-26T08:00:00.000Z');
    expect(new Date(sameMinuteOfWeek(monday, 2, 'Europe/Berlin')).toISOString()).toBe('2026-10-19T07:00:00.000Z');
    expect(new Date(sameMinuteOfWeek(monday, 2, 'UTC')).toISOString()).toBe('2026-10-19T08:00:00.000Z');
    expect(weeklyMinutes(monday, 'UTC')).toEqual([1, 2, 3, 4].map((w) => monday - w * 7 * 86_400_000));
  });

  test('the trailing baseline: every 5 minutes over the 3 hours before', () => {
    const minutes = trailingMinutes(at('2026-11-02T12:00:00Z'));
    expect(minutes).toHaveLength(36);
    expect(new Date(minutes[0]!).toISOString()).toBe('2026-11-02T11:55:00.000Z');
    expect(new Date(minutes[35]!).toISOString()).toBe('2026-11-02T09:00:00.000Z');
  });
});

describe('thresholds, metrics and definitions', () => {
  test('the four comparisons', () => {
    expect([meets(3, { op: 'gt', value: 3 }), meets(3, { op: 'gte', value: 3 }), meets(3, { op: 'lt', value: 3 }), meets(3, { op: 'lte', value: 3 })]).toEqual([false, true, false, true]);
  });

  test('metric names: the list, and complaints_open_over_hours with 1 to 9999 hours', () => {
    for (const name of ['events_per_minute', 'rejected_per_minute', 'load_lag_p95_seconds', 'queue_waiting', 'dead_letters']) expect(alertMetric(name)).toMatchObject({ kind: 'pipeline', recomputable: false });
    for (const name of ['orders_per_hour', 'revenue_per_hour', 'nps_day', 'complaints_open_over_hours:1', 'complaints_open_over_hours:9999']) expect(alertMetric(name)).toMatchObject({ kind: 'business', recomputable: true });
    for (const name of ['complaints_open_over_hours:0', 'complaints_open_over_hours:10000', 'complaints_open_over_hours:', 'complaints_open_over_hours:01', 'toString', '__proto__', 'orders']) expect(alertMetric(name), name).toBeUndefined();
  });

  test('a definition takes a threshold or an anomaly; defaults: for_minutes 1, sensitivity 3', () => {
    const webhook = { url: 'https://hooks.example.com/cdp', secret: 'k'.repeat(32) };
    expect(alertInput.parse({ name: 'n', metric: 'nps_day', threshold: { op: 'lt', value: 0 }, webhook }).threshold).toEqual({ op: 'lt', value: 0, for_minutes: 1 });
    expect(alertInput.parse({ name: 'n', metric: 'nps_day', anomaly: { min_change: 10 }, webhook }).anomaly).toEqual({ sensitivity: 3, min_change: 10 });
    expect(alertInput.safeParse({ name: 'n', metric: 'nps_day', webhook }).success).toBe(false);
  });

  test('a scheduled job stands for the minute it was planned for, not when it ran', () => {
    expect(scheduledMinute({ opts: { prevMillis: at('2026-11-02T12:01:00Z') }, timestamp: at('2026-11-02T12:01:07Z') })).toBe(at('2026-11-02T12:01:00Z'));
    expect(scheduledMinute({ opts: {}, timestamp: at('2026-11-02T12:01:07Z') })).toBe(at('2026-11-02T12:01:00Z'));
  });
});
