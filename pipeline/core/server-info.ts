import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

// What a running server leaves in its data folder (`server.json`) so that the CLI on the same machine can
// talk to it: its process id and where it listens. Written by the process that holds the ClickHouse data.

export interface ServerInfo {
  pid: number;
  url: string;
}

const infoFile = (dataDir: string) => path.join(dataDir, 'server.json');

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
