import { instantOfLocal, wallClock } from './local-clock.js';

// Quiet hours (MESSAGES_QUIET_HOURS, e.g. 21-8): local hours in which no message goes out; a send due then is
// held until they end.

export interface QuietHours {
  /** The local hour they start (inclusive)... */
  start: number;
  /** ...and the one they end (exclusive); before `start` when they span midnight. */
  end: number;
}

/** When the quiet hours holding `now` end (epoch ms), or undefined when `now` is not in them. */
export function quietUntil(now: number, quiet: QuietHours | undefined, timeZone: string): number | undefined {
  if (!quiet) return undefined;
  const c = wallClock(now, timeZone);
  const inQuiet = quiet.start < quiet.end ? c.hour >= quiet.start && c.hour < quiet.end : c.hour >= quiet.start || c.hour < quiet.end;
  if (!inQuiet) return undefined;
  // Over midnight, from the evening side they end tomorrow; otherwise today.
  const nextDay = quiet.start > quiet.end && c.hour >= quiet.start ? 1 : 0;
  return instantOfLocal(c.year, c.month, c.day + nextDay, quiet.end, timeZone);
}
