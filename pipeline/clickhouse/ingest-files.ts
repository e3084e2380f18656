import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

// The files through which the embedded engine's larger inserts go (insert-rows.ts says why): the rows are
// written to a file in a private folder of the data folder, which `INSERT … SELECT * FROM file()` reads. The
// file is written off the main thread.
//
// The files hold customers' events, so none outlives its insert: it is removed when the insert returns, and
// the files a crashed process left behind are removed by the next process that opens the engine (sweep below).

/** The folder of a data folder's insert files. */
export function ingestDir(dataDir: string): string {
  return path.join(dataDir, 'ingest');
}

// A file is named `<pid>-<process tag>-<n>.json`: the tag tells this process's files from those a previous
// process with the same pid left (a container restarts its product as the same pid).
const TAG = randomBytes(6).toString('hex');
let sequence = 0;
const NAME = /^(\d+)-([0-9a-f]+)-\d+\.json$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the insert files no live process is using: those of processes that are gone, and those of an
 * earlier process that had this one's pid. Anything else in the folder is left alone. Returns how many it removed.
 */
export function sweepIngestFiles(dir: string): number {
  let removed = 0;
  for (const name of readdirSync(dir)) {
    const m = NAME.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid ? m[2] === TAG : alive(pid)) continue;
    rmSync(path.join(dir, name), { force: true });
    removed++;
  }
  return removed;
}

/** Writes `payload` to a new owner-only file in `dir`, calls `use` with its path, and removes the file after. */
export async function withIngestFile<T>(dir: string, payload: Buffer, use: (file: string) => Promise<T>): Promise<T> {
  const file = path.join(dir, `${process.pid}-${TAG}-${sequence++}.json`);
  try {
    await writeFile(file, payload, { mode: 0o600, flag: 'wx' });
    return await use(file);
  } finally {
    await unlink(file).catch(() => undefined);
  }
}
