import type { MessageChannel } from './messages/message-sender.js';
import { depth, MAX_DEPTH } from '../segments/definition/segment-definition.js';
import { InvalidJourneyError, type JourneyProblem } from './errors/invalid-journey-error.js';
import { nextSteps, type Condition, type JourneyDefinition } from './journey-definition.js';

/** What the whole-definition check asks of the rest of the product. */
export interface DefinitionLookups {
  segmentExists(id: string): Promise<boolean>;
  templateChannel(id: string): Promise<MessageChannel | undefined>;
  subscriptionGroupExists(id: string): Promise<boolean>;
  destinationExists(id: string): Promise<boolean>;
}

/** Every segment a condition reads, with the path of the condition naming it. */
function segmentsOf(c: Condition, path: string): { id: string; path: string }[] {
  if (c.type === 'segment') return [{ id: c.segment_id, path: `${path}.segment_id` }];
  if (c.type === 'and' || c.type === 'or') return c.conditions.flatMap((child, i) => segmentsOf(child, `${path}.conditions.${i}`));
  if (c.type === 'not') return segmentsOf(c.condition, `${path}.condition`);
  return [];
}

/** The graph's own faults: unknown targets, steps not reachable from start, cycles in which no step waits. */
function graphProblems(d: JourneyDefinition): JourneyProblem[] {
  const problems: JourneyProblem[] = [];
  const ids = Object.keys(d.steps);
  if (!(d.start in d.steps)) problems.push({ path: 'start', message: `no step "${d.start}"` });
  for (const [id, s] of Object.entries(d.steps)) {
    for (const { field, to } of nextSteps(s)) if (!(to in d.steps)) problems.push({ path: `steps.${id}.${field}`, message: `no step "${to}"` });
  }
  const known = (to: string) => to in d.steps;
  const reached = new Set<string>();
  const queue = known(d.start) ? [d.start] : [];
  while (queue.length > 0) {
    const id = queue.shift()!;
    if (reached.has(id)) continue;
    reached.add(id);
    for (const { to } of nextSteps(d.steps[id]!)) if (known(to)) queue.push(to);
  }
  for (const id of ids) if (!reached.has(id)) problems.push({ path: `steps.${id}`, message: 'is not reachable from start' });
  // A cycle through steps that do not wait would run without end: among the steps that do not wait, any cycle is refused.
  const waits = (id: string) => d.steps[id]!.type === 'wait' || d.steps[id]!.type === 'wait_for';
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const reported = new Set<string>();
  const visit = (id: string): void => {
    state.set(id, 'open');
    stack.push(id);
    for (const { to } of nextSteps(d.steps[id]!)) {
      if (!known(to) || waits(to)) continue;
      if (state.get(to) === 'open') {
        const cycle = [...stack.slice(stack.indexOf(to)), to];
        const key = [...new Set(cycle)].sort().join(',');
        if (!reported.has(key)) {
          reported.add(key);
          problems.push({ path: `steps.${to}`, message: `the cycle ${cycle.join(' → ')} has no wait or wait_for step` });
        }
      } else if (!state.has(to)) visit(to);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of ids) if (!waits(id) && !state.has(id)) visit(id);
  return problems;
}

/**
 * Checks a journey whole, as PUT: its graph, then what it names elsewhere (segments, templates and their
 * channels, subscription groups, event destinations). Throws InvalidJourneyError with every problem and its path.
 */
export async function checkDefinition(d: JourneyDefinition, lookups: DefinitionLookups): Promise<void> {
  const problems = graphProblems(d);
  if ('segment' in d.entry && !(await lookups.segmentExists(d.entry.segment))) problems.push({ path: 'entry.segment', message: `no segment "${d.entry.segment}"` });
  for (const [id, s] of Object.entries(d.steps)) {
    const at = `steps.${id}`;
    if (s.type === 'branch') {
      if (depth(s.condition) > MAX_DEPTH) problems.push({ path: `${at}.condition`, message: `nested deeper than ${MAX_DEPTH}` });
      for (const ref of segmentsOf(s.condition, `${at}.condition`)) {
        if (!(await lookups.segmentExists(ref.id))) problems.push({ path: ref.path, message: `no segment "${ref.id}"` });
      }
    }
    if (s.type !== 'send') continue;
    const channel = await lookups.templateChannel(s.template);
    if (channel === undefined) problems.push({ path: `${at}.template`, message: `no template "${s.template}"` });
    else if (channel !== s.channel) problems.push({ path: `${at}.channel`, message: `template "${s.template}" is for ${channel}, not ${s.channel}` });
    if (s.subscription_group !== undefined && !(await lookups.subscriptionGroupExists(s.subscription_group))) {
      problems.push({ path: `${at}.subscription_group`, message: `no subscription group "${s.subscription_group}"` });
    }
    if (s.channel === 'webhook' && s.destination_id === undefined) problems.push({ path: `${at}.destination_id`, message: 'is required for channel webhook (the event destination that carries it)' });
    if (s.channel !== 'webhook' && s.destination_id !== undefined) problems.push({ path: `${at}.destination_id`, message: 'is for channel webhook only' });
    if (s.destination_id !== undefined && s.channel === 'webhook' && !(await lookups.destinationExists(s.destination_id))) {
      problems.push({ path: `${at}.destination_id`, message: `no event destination "${s.destination_id}"` });
    }
  }
  if (problems.length > 0) throw new InvalidJourneyError(problems);
}
