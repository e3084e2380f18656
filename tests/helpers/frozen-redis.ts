import { afterEach } from 'vitest';

/**
 * Freezes a product's private redis-server with SIGSTOP: its connections stay open, and what it is sent waits
 * unanswered (a write is neither confirmed nor failed). `thaw` resumes it, and so does the end of every test
 * of the file (a failed test leaves no server stopped). Call it after registering the hook that stops the
 * product: after-hooks run last-registered first, and a product cannot stop while its Redis is frozen.
 */
export function redisFreezer() {
  let frozen: number | undefined;
  afterEach(() => {
    if (frozen !== undefined) process.kill(frozen, 'SIGCONT');
    frozen = undefined;
  });
  return {
    freeze(pid: number): void {
      frozen = pid;
      process.kill(pid, 'SIGSTOP');
    },
    thaw(): void {
      if (frozen !== undefined) process.kill(frozen, 'SIGCONT');
      frozen = undefined;
    },
  };
}
