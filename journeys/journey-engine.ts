import type { Job } from 'bullmq';
import type { ClickHouseClient } from '../pipeline/clickhouse/client.js';
import type { Logger } from '../pipeline/core/logger.js';
import { meetsCondition } from './branch-condition.js';
import { passesWhere } from './event-match.js';
import { durationMs, type JourneyDefinition } from './journey-definition.js';
import { nextVisit, type Instance, type JourneyInstances } from './journey-instances.js';
import { addJob, BACKOFF_MS, JOB_ATTEMPTS, jobIds, type JourneyQueue, type JourneyTrigger, type StepJob } from './journey-queue.js';
import type { JourneyEvent, JourneyEventKind, JourneyRecords } from './journey-records.js';
import type { Journey, JourneyStore } from './journey-store.js';
import type { MessageSender } from './messages/message-sender.js';

export interface EngineDeps {
  store: JourneyStore;
  instances: JourneyInstances;
  records: JourneyRecords;
  queue: JourneyQueue;
  sender: MessageSender;
  /** Branch conditions, segment and lifecycle entries. */
  clickhouse: ClickHouseClient;
  database: string;
  /** The segment language's time zone (branch conditions' windows). */
  segmentsTimeZone: string;
  /**
   * The profiles merged into this one (the live identity graph): an instance keeps the profile it entered
   * with, and once that profile is merged into another, the customer's events arrive under the survivor.
   */
  mergedInto(profileId: string): Promise<string[]>;
  log: Logger;
}

export interface JourneyEngine {
  /** Starts instances of a journey (current version) for the profiles that may enter now; answers how many. */
  enter(journey: Journey, profiles: readonly string[], now: number, entryEvent?: Record<string, unknown>): Promise<number>;
  /** Loaded events that journeys name: exits, waits for an event, goals, then event entries. */
  onEvents(triggers: readonly JourneyTrigger[]): Promise<void>;
  /** Ends every active instance of a journey (it is being deleted), recorded as exited. */
  endAll(journeyId: string, reason: string): Promise<number>;
  runStep(job: Job<StepJob>): Promise<void>;
  /** A wait_for's timeout: the instance moves to on_timeout unless its event came first. */
  runTimeout(job: Job<StepJob>): Promise<void>;
}

/** The deterministic message id of a send: the same step of the same instance at the same visit asks with the same id. */
export function messageIdOf(d: StepJob): string {
  return `${d.j}.${d.i}.${d.s}.${d.v}`;
}

const stepOf = (at: string) => at.slice(0, at.lastIndexOf(':'));
/** Profiles handled at once by one entry or events job: each waits mostly on Redis and on its records' group commit. */
const PROFILES_AT_ONCE = 64;

/** Runs `each` over the items, PROFILES_AT_ONCE at a time. */
async function inParallel<T>(items: readonly T[], each: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += PROFILES_AT_ONCE) await Promise.all(items.slice(i, i + PROFILES_AT_ONCE).map(each));
}
const visitOf = (at: string) => Number(at.slice(at.lastIndexOf(':') + 1));

/**
 * The journey engine: instances move step by step, each step a job of the journeys queue. A step runs only
 * while its instance is at it (`step:visit`, moved atomically in Redis), records itself in journey_events,
 * then moves the instance on and queues the next step (a wait: delayed until due). A step job that finds its
 * instance elsewhere makes sure the step it is at is queued, so a crash between moving and queueing loses nothing.
 */
export function createJourneyEngine(deps: EngineDeps): JourneyEngine {
  const { store, instances, records, queue, log } = deps;

  const row = (i: Pick<Instance, 'id' | 'journeyId' | 'version' | 'profileId'>, step: string, visit: number, kind: JourneyEventKind, detail?: Record<string, unknown>): JourneyEvent => ({
    journey_id: i.journeyId,
    version: i.version,
    profile_id: i.profileId,
    instance_id: i.id,
    step,
    visit,
    kind,
    at: Date.now(),
    ...(detail ? { detail } : {}),
  });

  const stepJob = (i: Instance, s: string, v: number): StepJob => ({ i: i.id, j: i.journeyId, p: i.profileId, s, v });

  /** Queues the step the instance is at, due when it is due (nothing, while its job exists). */
  async function ensureQueued(i: Instance): Promise<void> {
    const d = stepJob(i, stepOf(i.at), visitOf(i.at));
    await addJob(queue, 'step', d, jobIds.step(d), i.due - Date.now());
  }

  async function moveTo(i: Instance, d: JourneyDefinition, from: string, next: string, due: number): Promise<void> {
    const target = d.steps[next]!;
    const waiting = target.type === 'wait_for' ? target.event : '';
    if (!(await instances.move(i, from, next, waiting, due))) return;
    const job = stepJob(i, next, nextVisit(i, next));
    await addJob(queue, 'step', job, jobIds.step(job), due - Date.now());
  }

  /**
   * Records the exit, then ends the instance (a retried exit records under the same key). `detail`: why
   * (exit_step, exit_on, journey_deleted) and `at_step`, the step it was at: running, or due next after a wait.
   */
  async function finish(i: Instance, from: string, detail: Record<string, unknown>): Promise<void> {
    await records.record(row(i, '', 0, 'exited', detail));
    await instances.end(i, from, Date.now());
  }

  /**
   * Runs the step `d` of the instance: from its job (`attempts`: how many it has had and may have), or inline
   * (undefined: the first step, run by the entry itself; a retryable failure queues the step as a job).
   */
  async function runStepOf(d: StepJob, attempts: { made: number; of: number } | undefined, known?: Instance): Promise<void> {
    const here = `${d.s}:${d.v}`;
    const i = known ?? (await instances.get(d.i));
    if (!i) return;
    if (i.at !== here) return ensureQueued(i);
    const def = await store.version(i.journeyId, i.version);
    if (!def) return finish(i, here, { at_step: d.s, reason: 'journey_deleted' });
    const step = def.steps[d.s]!;
    const now = Date.now();
    switch (step.type) {
      case 'wait':
        await records.record(row(i, d.s, d.v, 'step'));
        return moveTo(i, def, here, step.next, now + durationMs(step.duration));
      case 'branch': {
        const yes = await meetsCondition(deps.clickhouse, deps.database, deps.segmentsTimeZone, step.condition, i.profileId, now);
        await records.record(row(i, d.s, d.v, 'step', { branch: yes ? 'yes' : 'no' }));
        return moveTo(i, def, here, yes ? step.yes : step.no, now);
      }
      case 'wait_for':
        await records.record(row(i, d.s, d.v, 'step', { waiting_for: step.event }));
        await addJob(queue, 'timeout', d, jobIds.timeout(d), durationMs(step.timeout));
        return;
      case 'exit':
        await records.record(row(i, d.s, d.v, 'step'));
        return finish(i, here, { at_step: d.s, reason: 'exit_step' });
      case 'send': {
        await records.record(row(i, d.s, d.v, 'step', { channel: step.channel, template: step.template }));
        const messageId = messageIdOf(d);
        const outcome = await deps.sender.send({
          messageId,
          journeyId: i.journeyId,
          journeyVersion: i.version,
          instanceId: i.id,
          step: d.s,
          profileId: i.profileId,
          channel: step.channel,
          templateId: step.template,
          ...(step.subscription_group !== undefined ? { subscriptionGroup: step.subscription_group } : {}),
          ...(step.destination_id !== undefined ? { destinationId: step.destination_id } : {}),
          ...(i.entryEvent ? { entryEvent: i.entryEvent } : {}),
        });
        switch (outcome.status) {
          case 'held':
            // Quiet hours: the same step, same visit (so the same message id), asked again when they end.
            await addJob(queue, 'step', d, jobIds.held(d, outcome.until), outcome.until - Date.now());
            return;
          case 'failed':
            if (outcome.retryable && !attempts) {
              await addJob(queue, 'step', d, jobIds.step(d), BACKOFF_MS);
              return;
            }
            if (outcome.retryable && attempts!.made + 1 < attempts!.of) throw new Error(`send ${messageId} failed: ${outcome.reason}`);
            await records.record(row(i, d.s, d.v, 'failed', { message_id: messageId, reason: outcome.reason, retryable: outcome.retryable }));
            break;
          case 'sent':
            await records.record(row(i, d.s, d.v, 'sent', { message_id: messageId, ...(outcome.providerId !== undefined ? { provider_id: outcome.providerId } : {}) }));
            break;
          case 'suppressed':
            await records.record(row(i, d.s, d.v, 'suppressed', { message_id: messageId, reason: outcome.reason }));
            break;
        }
        return moveTo(i, def, here, step.next, Date.now());
      }
    }
  }

  const runStep = (job: Job<StepJob>) => runStepOf(job.data, { made: job.attemptsMade, of: job.opts.attempts ?? JOB_ATTEMPTS });

  async function runTimeout(job: Job<StepJob>): Promise<void> {
    const d = job.data;
    const here = `${d.s}:${d.v}`;
    const i = await instances.get(d.i);
    if (!i || i.at !== here) return;
    const def = await store.version(i.journeyId, i.version);
    if (!def) return finish(i, here, { at_step: d.s, reason: 'journey_deleted' });
    const step = def.steps[d.s]!;
    if (step.type === 'wait_for') await moveTo(i, def, here, step.on_timeout, Date.now());
  }

  async function enter(journey: Journey, profiles: readonly string[], now: number, entryEvent?: Record<string, unknown>): Promise<number> {
    if (journey.paused) return 0;
    let entered = 0;
    await inParallel(profiles, async (profileId) => {
      const i = await instances.claim(journey.id, journey.version, journey, profileId, now, entryEvent);
      if (!i) {
        // Already in: make sure the step it is at is queued (an entry retried after a crash between its claim,
        // its first step and the queueing of the next; re-running a step where the instance is does no harm).
        const active = await instances.activeOf(journey.id, profileId);
        const current = active === undefined ? undefined : await instances.get(active);
        if (current) await ensureQueued(current);
        return;
      }
      // Recorded in the same group commit as the first step's rows.
      const recorded = records.record(row(i, '', 0, 'entered', entryEvent ? { message_id: entryEvent.messageId } : undefined));
      entered++;
      // The first step at once, without a trip through the queue: were this to fail or the process to die, the
      // entry is retried, finds the profile in, and queues the step.
      await Promise.all([recorded, runStepOf(stepJob(i, journey.start, 1), undefined, i)]);
    });
    return entered;
  }

  async function onEvents(triggers: readonly JourneyTrigger[]): Promise<void> {
    const journeys = await store.list();
    const versions = new Map<string, Promise<JourneyDefinition | undefined>>();
    const definition = (i: Instance) => {
      const key = `${i.journeyId}@${i.version}`;
      if (!versions.has(key)) versions.set(key, store.version(i.journeyId, i.version));
      return versions.get(key)!;
    };
    // Each profile's events in their order; the profiles side by side.
    const byProfile = new Map<string, JourneyTrigger[]>();
    for (const t of triggers) byProfile.set(t.p, [...(byProfile.get(t.p) ?? []), t]);
    await inParallel([...byProfile.entries()], async ([profileId, list]) => {
      // An event speaks for its profile and for every profile merged into it: their instances and goals too.
      const profiles = [profileId, ...(await deps.mergedInto(profileId))];
      for (const t of list) await onEvent(t, profiles);
    });

    async function onEvent(t: JourneyTrigger, profiles: string[]): Promise<void> {
      for (const profileId of profiles) await onEventOf(profileId, t);
      const entryEvent = { type: 'track', event: t.event, messageId: t.messageId, properties: t.properties, timestamp: new Date(t.timestamp).toISOString() };
      for (const j of journeys) {
        if ('event' in j.entry && j.entry.event === t.event && passesWhere(t.properties, j.entry.where, t.timestamp)) await enter(j, [t.p], Date.now(), entryEvent);
      }
    }

    async function onEventOf(profileId: string, t: JourneyTrigger): Promise<void> {
      for (const i of await instances.ofProfile(profileId)) {
        const def = await definition(i);
        if (!def) continue;
        if (def.exit_on?.event === t.event) {
          await finish(i, '', { at_step: stepOf(i.at), reason: 'exit_on', message_id: t.messageId });
          continue;
        }
        const step = def.steps[stepOf(i.at)];
        if (i.waiting === t.event && step?.type === 'wait_for') await moveTo(i, def, i.at, step.on_event, Date.now());
      }
      for (const [instanceId, goal] of await instances.goals(profileId)) {
        if (goal.until < t.r) await instances.takeGoal(profileId, instanceId);
        else if (goal.event === t.event && (await instances.takeGoal(profileId, instanceId))) {
          await records.record({ journey_id: goal.journeyId, version: goal.version, profile_id: profileId, instance_id: instanceId, step: '', visit: 0, kind: 'goal', at: Date.now(), detail: { message_id: t.messageId } });
        }
      }
    }
  }

  return {
    enter,
    onEvents,
    runStep,
    runTimeout,
    async endAll(journeyId, reason) {
      let ended = 0;
      for (const instanceId of Object.values(await instances.ofJourney(journeyId))) {
        const i = await instances.get(instanceId);
        if (!i) continue;
        await finish(i, '', { at_step: stepOf(i.at), reason });
        ended++;
      }
      return ended;
    },
  };
}
