import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../pipeline/redis/connection.js';
import type { JourneyKeys } from '../pipeline/redis/key-names.js';
import { loadLuaScript } from '../pipeline/redis/lua-script.js';
import { durationMs, type JourneyDefinition } from './journey-definition.js';

/** A live instance, as its hash holds it. */
export interface Instance {
  id: string;
  journeyId: string;
  version: number;
  profileId: string;
  enteredAt: number;
  /** Where it is: `step:visit`. */
  at: string;
  /** The event a wait_for it is at waits for ('' when none). */
  waiting: string;
  /** When the step it is at is due (epoch ms). */
  due: number;
  /** How many times each step was reached. */
  visits: Record<string, number>;
  /** The event that entered it, for templates (event entries only). */
  entryEvent?: Record<string, unknown>;
}

/** A profile's watch for a journey's goal event, until reached or past `until` (epoch ms). */
export interface GoalWatch {
  journeyId: string;
  version: number;
  event: string;
  until: number;
}

export interface JourneyInstances {
  /** Starts an instance at `start` (visit 1) if the profile may enter now; answers it, or undefined. */
  claim(journeyId: string, version: number, d: JourneyDefinition, profileId: string, now: number, entryEvent?: Record<string, unknown>): Promise<Instance | undefined>;
  get(instanceId: string): Promise<Instance | undefined>;
  /** Moves it from `from` to `next` (the next visit of `next`), due at `due`; false when it was no longer at `from`. */
  move(instance: Instance, from: string, next: string, waiting: string, due: number): Promise<boolean>;
  /** Ends it (at `from`, or wherever it is with ''); false when it was gone or elsewhere. */
  end(instance: Pick<Instance, 'id' | 'journeyId' | 'profileId'>, from: string, now: number): Promise<boolean>;
  /** The active instances of a profile. */
  ofProfile(profileId: string): Promise<Instance[]>;
  /** The active instance ids of a journey, by profile. */
  ofJourney(journeyId: string): Promise<Record<string, string>>;
  /** The active instance id of a profile in a journey. */
  activeOf(journeyId: string, profileId: string): Promise<string | undefined>;
  goals(profileId: string): Promise<Map<string, GoalWatch>>;
  /** Takes a goal watch off: true for the one caller that took it. */
  takeGoal(profileId: string, instanceId: string): Promise<boolean>;
  activeCount(journeyId: string): Promise<number>;
  /** A deleted customer: their instances, goal watches and histories in every journey go. Answers how many instances. */
  forget(profiles: readonly string[], journeyIds: readonly string[]): Promise<number>;
}

const CLAIM_SCRIPT = { file: 'journeys/lua/claim-instance.lua', keys: 5 };
const MOVE_SCRIPT = { file: 'journeys/lua/move-instance.lua', keys: 1 };
const END_SCRIPT = { file: 'journeys/lua/end-instance.lua', keys: 4 };

/** The visit `next` gets when an instance moves there. */
export function nextVisit(instance: Instance, next: string): number {
  return (instance.visits[next] ?? 0) + 1;
}

function parse(id: string, h: Record<string, string>): Instance | undefined {
  if (!h.at) return undefined;
  const visits: Record<string, number> = {};
  for (const [k, v] of Object.entries(h)) if (k.startsWith('v:')) visits[k.slice(2)] = Number(v);
  return {
    id,
    journeyId: h.journey!,
    version: Number(h.version),
    profileId: h.profile!,
    enteredAt: Number(h.entered_at),
    at: h.at,
    waiting: h.waiting ?? '',
    due: Number(h.due ?? h.entered_at),
    visits,
    entryEvent: h.entry ? (JSON.parse(h.entry) as Record<string, unknown>) : undefined,
  };
}

export function journeyInstances(redis: RedisClient, keys: JourneyKeys): JourneyInstances {
  const claimScript = loadLuaScript<number>(redis, CLAIM_SCRIPT);
  const moveScript = loadLuaScript<number>(redis, MOVE_SCRIPT);
  const endScript = loadLuaScript<number>(redis, END_SCRIPT);

  async function get(id: string): Promise<Instance | undefined> {
    return parse(id, await redis.hgetall(keys.instance(id)));
  }

  return {
    async claim(journeyId, version, d, profileId, now, entryEvent) {
      const id = randomUUID();
      const rule = typeof d.re_entry === 'string' ? d.re_entry : 'after';
      const after = typeof d.re_entry === 'string' ? 0 : durationMs(d.re_entry.after);
      const goal: GoalWatch | undefined = d.goal && { journeyId, version, event: d.goal.event, until: now + durationMs(d.goal.within) };
      const startStep = d.steps[d.start]!;
      const fields: Record<string, string> = {
        journey: journeyId,
        version: String(version),
        profile: profileId,
        entered_at: String(now),
        due: String(now),
        at: `${d.start}:1`,
        [`v:${d.start}`]: '1',
        waiting: startStep.type === 'wait_for' ? startStep.event : '',
        ...(entryEvent ? { entry: JSON.stringify(entryEvent) } : {}),
      };
      const claimed = await claimScript(
        [keys.active(journeyId), keys.history(journeyId), keys.instance(id), keys.profileInstances(profileId), keys.goals(profileId)],
        [profileId, id, rule, after, now, goal ? JSON.stringify(goal) : '', d.goal ? durationMs(d.goal.within) : 0, ...Object.entries(fields).flat()],
      );
      return claimed === 1 ? parse(id, fields) : undefined;
    },
    get,
    async move(instance, from, next, waiting, due) {
      return (await moveScript([keys.instance(instance.id)], [from, next, nextVisit(instance, next), waiting, due])) === 1;
    },
    async end(instance, from, now) {
      const ended = await endScript([keys.instance(instance.id), keys.active(instance.journeyId), keys.history(instance.journeyId), keys.profileInstances(instance.profileId)], [instance.profileId, instance.id, from, now]);
      return ended === 1;
    },
    async ofProfile(profileId) {
      const ids = await redis.smembers(keys.profileInstances(profileId));
      return (await Promise.all(ids.map(get))).filter((i): i is Instance => i !== undefined);
    },
    ofJourney: (journeyId) => redis.hgetall(keys.active(journeyId)),
    activeOf: async (journeyId, profileId) => (await redis.hget(keys.active(journeyId), profileId)) ?? undefined,
    async goals(profileId) {
      const all = await redis.hgetall(keys.goals(profileId));
      return new Map(Object.entries(all).map(([id, json]) => [id, JSON.parse(json) as GoalWatch]));
    },
    async takeGoal(profileId, instanceId) {
      return (await redis.hdel(keys.goals(profileId), instanceId)) === 1;
    },
    activeCount: (journeyId) => redis.hlen(keys.active(journeyId)),
    async forget(profiles, journeyIds) {
      let removed = 0;
      for (const profileId of profiles) {
        const ids = await redis.smembers(keys.profileInstances(profileId));
        const multi = redis.multi();
        for (const id of ids) multi.del(keys.instance(id));
        for (const journeyId of journeyIds) multi.hdel(keys.active(journeyId), profileId).hdel(keys.history(journeyId), profileId);
        multi.del(keys.profileInstances(profileId), keys.goals(profileId));
        await multi.exec();
        removed += ids.length;
      }
      return removed;
    },
  };
}
