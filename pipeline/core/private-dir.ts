import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from './logger.js';

// The data folder holds personal data (events, profiles), keys and webhook secrets (in Redis's AOF): only
// the user running the product may read it. Folders are 0700 and files 0600, whatever the umask, and a
// folder made by an earlier version with looser modes is tightened when the product starts.

const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/** Creates `dir` (and missing parents) as 0700, or tightens it to 0700 if group or others may enter it. */
export function ensurePrivateDir(dir: string, log?: Logger): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  const mode = lstatSync(dir).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  chmodSync(dir, PRIVATE_DIR);
  log?.warn({ dir, from: octal(mode), to: octal(PRIVATE_DIR) }, 'tightened the permissions of the data folder: only its owner may read it');
}

/** Tightens every folder under `dir` to 0700 and every regular file to 0600 (sockets and links are left alone). */
export function tightenTree(dir: string, log?: Logger): void {
  const changed: string[] = [];
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      const wanted = entry.isDirectory() ? PRIVATE_DIR : entry.isFile() ? PRIVATE_FILE : undefined;
      if (wanted === undefined) continue;
      if ((lstatSync(full).mode & 0o077) !== 0) {
        chmodSync(full, wanted);
        changed.push(path.relative(dir, full));
      }
      if (entry.isDirectory()) walk(full);
    }
  };
  walk(dir);
  if (changed.length > 0) log?.warn({ dir, files: changed.slice(0, 20), count: changed.length }, 'tightened the permissions of files readable by group or others');
}
