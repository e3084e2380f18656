import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../core/project-root.js';
import type { RedisClient } from './connection.js';

// The one loader of the product's Redis Lua scripts. Scripts are files next to the code that calls them
// (identity/lua/, pipeline/load/lua/, …); each is read once per process and defined on a connection as an
// ioredis command, which runs it by its SHA and sends its text only to a server that lacks it. Keys are
// declared (KEYS) and their names come from pipeline/redis/key-names.ts: a script spells none of its own.

/** A Lua script of the project. */
export interface LuaScriptFile {
  /** Its path from the project folder, e.g. `identity/lua/resolve-identities.lua`. */
  file: string;
  /** How many KEYS every call declares; omitted for a script handed a varying number (one per message, say). */
  keys?: number;
}

/** A defined script: called with its KEYS and its ARGV, resolves to what the script returns. */
export type LuaScript<Result> = (keys: readonly string[], args: readonly (string | number)[]) => Promise<Result>;

const texts = new Map<string, string>();

function scriptText(file: string): string {
  let text = texts.get(file);
  if (text === undefined) {
    text = readFileSync(path.join(projectRoot(), file), 'utf8');
    texts.set(file, text);
  }
  return text;
}

/** Defines the script on `redis` (again, harmlessly, when it already is) and returns the function that calls it. */
export function loadLuaScript<Result>(redis: RedisClient, script: LuaScriptFile): LuaScript<Result> {
  // The command's name on the connection: the file's path is unique, so two scripts never overwrite each other.
  const name = `lua:${script.file}`;
  redis.defineCommand(name, { lua: scriptText(script.file), ...(script.keys === undefined ? {} : { numberOfKeys: script.keys }) });
  const command = (redis as unknown as Record<string, (...args: (string | number)[]) => Promise<Result>>)[name]!.bind(redis);
  return (keys, args) => {
    if (script.keys === undefined) return command(keys.length, ...keys, ...args);
    if (keys.length !== script.keys) throw new Error(`${script.file} declares ${script.keys} keys; called with ${keys.length}`);
    return command(...keys, ...args);
  };
}
