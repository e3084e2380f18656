import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateKey } from './key-store.js';

// The data folder's `cli.key`: an admin key readable only by the user who owns the folder, so that the CLI on
// the same machine can call the running server (every process registers it with its key store).

const keyFile = (dataDir: string) => path.join(dataDir, 'cli.key');

/** The local CLI admin key, created on first use with owner-only permissions. */
export function localAdminKey(dataDir: string): string {
  const file = keyFile(dataDir);
  if (existsSync(file)) {
    // A key copied in, or made by hand, may be readable by others: it opens every admin route.
    const stat = statSync(file);
    if ((stat.mode & 0o077) !== 0 && stat.uid === process.getuid?.()) chmodSync(file, 0o600);
    return readFileSync(file, 'utf8').trim();
  }
  const key = generateKey('admin');
  writeFileSync(file, key, { mode: 0o600 });
  return key;
}
