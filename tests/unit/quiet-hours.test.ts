import { describe, expect, test } from 'vitest';
import { localDay } from '../../journeys/messages/local-clock.js';
import { quietUntil } from '../../journeys/messages/quiet-hours.js';

// Quiet hours and the frequency cap's day, on the wall clock of JOURNEYS_TIME_ZONE.

const at = (iso: string) => Date.parse(iso);

describe('quietUntil', () => {
  const night = { start: 21, end: 8 };
  test('over midnight: from the evening they end the next morning, after midnight the same morning', () => {
    expect(quietUntil(at('2026-03-10T22:30:00Z'), night, 'UTC')).toBe(at('2026-03-11T08:00:00Z'));
    expect(quietUntil(at('2026-03-11T03:00:00Z'), night, 'UTC')).toBe(at('2026-03-11T08:00:00Z'));
    expect(quietUntil(at('2026-03-11T08:00:00Z'), night, 'UTC')).toBeUndefined();
    expect(quietUntil(at('2026-03-11T20:59:59Z'), night, 'UTC')).toBeUndefined();
    expect(quietUntil(at('2026-03-11T21:00:00Z'), night, 'UTC')).toBe(at('2026-03-12T08:00:00Z'));
  });

  test('within a day, and at the end of a month', () => {
    expect(quietUntil(at('2026-03-11T13:15:00Z'), { start: 12, end: 14 }, 'UTC')).toBe(at('2026-03-11T14:00:00Z'));
    expect(quietUntil(at('2026-01-31T23:00:00Z'), night, 'UTC')).toBe(at('2026-02-01T08:00:00Z'));
  });

  test('in the time zone: Berlin in winter and summer, Kolkata on the half hour', () => {
    expect(quietUntil(at('2026-01-15T21:00:00Z'), night, 'Europe/Berlin')).toBe(at('2026-01-16T07:00:00Z'));
    expect(quietUntil(at('2026-07-15T20:00:00Z'), night, 'Europe/Berlin')).toBe(at('2026-07-16T06:00:00Z'));
    expect(quietUntil(at('2026-07-15T19:00:00Z'), night, 'Europe/Berlin')).toBe(at('2026-07-16T06:00:00Z'));
    expect(quietUntil(at('2026-07-15T18:59:00Z'), night, 'Europe/Berlin')).toBeUndefined();
    expect(quietUntil(at('2026-07-15T16:00:00Z'), night, 'Asia/Kolkata')).toBe(at('2026-07-16T02:30:00Z'));
  });

  test('the night the clocks go forward, they end at 08:00 summer time', () => {
    expect(quietUntil(at('2026-03-28T22:00:00Z'), night, 'Europe/Berlin')).toBe(at('2026-03-29T06:00:00Z'));
  });

  test('none: never quiet', () => {
    expect(quietUntil(at('2026-03-11T03:00:00Z'), undefined, 'UTC')).toBeUndefined();
  });
});

test('localDay is the calendar day on the zone\'s wall clock', () => {
  expect(localDay(at('2026-03-10T23:30:00Z'), 'UTC')).toBe('2026-03-10');
  expect(localDay(at('2026-03-10T23:30:00Z'), 'Europe/Berlin')).toBe('2026-03-11');
  expect(localDay(at('2026-03-11T03:00:00Z'), 'America/New_York')).toBe('2026-03-10');
});
