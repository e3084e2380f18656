import type { AlertKeys } from '../../pipeline/redis/key-names.js';
import { loadLuaScript } from '../../pipeline/redis/lua-script.js';
import type { AlertState, AlertStateName } from './alert-types.js';
import type { RedisClient } from '../../pipeline/redis/connection.js';

/** What one evaluation says: whether to fire, and whether the condition holds now (null: no judgement, the state stays). */
export interface Verdict {
  fires: boolean;
  holds: boolean | null;
}

export interface Transition {
  /** False when this minute had been evaluated before (by another scheduler, or this job's earlier attempt). */
  applied: boolean;
  state: AlertStateName;
  previous: AlertStateName | null;
  /** When the state last changed (ms), null while it never did. */
  changeAt: number | null;
}

const TRANSITION_SCRIPT = { file: 'segments/alerts/lua/alert-transition.lua', keys: 2 };

const iso = (ms: string | undefined) => (ms ? new Date(Number(ms)).toISOString() : null);

/** Alerts' live states in Redis: one hash per alert, moved only by the transition script. */
export function createAlertStates(redis: RedisClient, keys: AlertKeys) {
  const transition = loadLuaScript<[number, string, string, string]>(redis, TRANSITION_SCRIPT);
  return {
    async read(ids: string[]): Promise<Map<string, AlertState>> {
      const pipeline = redis.pipeline();
      for (const id of ids) pipeline.hgetall(keys.state(id));
      const results = (await pipeline.exec()) ?? [];
      return new Map(
        ids.map((id, i) => {
          const h = (results[i]?.[1] ?? {}) as Record<string, string>;
          const state: AlertState = {
            state: (h.state as AlertStateName | undefined) ?? 'ok',
            since: iso(h.since),
            value: h.value === undefined || h.value === '' ? null : Number(h.value),
            evaluated_at: iso(h.evaluated_at),
          };
          return [id, state];
        }),
      );
    },
    /** Applies one minute's verdict (see alert-transition.lua). */
    async apply(id: string, minute: number, version: number, value: number | null, verdict: Verdict): Promise<Transition> {
      const holds = verdict.holds === null ? '' : verdict.holds ? '1' : '0';
      const [applied, state, previous, changeAt] = await transition([keys.state(id), keys.secret(id)], [minute, version, value === null ? '' : String(value), verdict.fires ? '1' : '0', holds]);
      return { applied: applied === 1, state: state as AlertStateName, previous: previous === '' ? null : (previous as AlertStateName), changeAt: changeAt === '' ? null : Number(changeAt) };
    },
  };
}

export type AlertStates = ReturnType<typeof createAlertStates>;
