import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `check` until it holds; throws, naming `what`, after the deadline (a deadline, not a timing). */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}
