import { chmodSync, existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generateKey } from '../auth/key-store.js';

// What a running server leaves in its data folder so that the CLI on the same machine can talk to it:
// where it listens, and a local admin key readable only by the user who owns the folder.

export interface ServerInfo {
  pid: number;
  url: string;
}

const infoFile = (dataDir: string) => path.join(dataDir, 'server.json');
const keyFile = (dataDir: string) => path.join(dataDir, 'cli.key');

export function writeServerInfo(dataDir: string, info: ServerInfo): void {
  // Write then rename, so that a reader never sees a half-written file.
  const tmp = `${infoFile(dataDir)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(info), { mode: 0o600 });
  renameSync(tmp, infoFile(dataDir));
}

export function removeServerInfo(dataDir: string): void {
  rmSync(infoFile(dataDir), { force: true });
}

/** The server holding this data folder, if one is alive. */
export function runningServer(dataDir: string): ServerInfo | undefined {
  const file = infoFile(dataDir);
  if (!existsSync(file)) return undefined;
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as ServerInfo;
    process.kill(info.pid, 0);
    return info;
  } catch {
    return undefined;
  }
}

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
