import jsonata from 'jsonata';
import { InvalidTransformError } from './errors/invalid-transform-error.js';

export type Transform = (event: Record<string, unknown>) => Promise<unknown>;

// A transform runs in the loader's process: one that loops or recurses without end must fail (its event is
// counted as transform_failed) rather than hold up the load.
const TIME_LIMIT_MS = 100;
const STACK_LIMIT = 500;

/**
 * Compiles a destination's JSONata transform, or refuses it (InvalidTransformError, 400) with the parser's
 * position. Each evaluation is bounded in time and depth.
 */
export function compileTransform(source: string): Transform {
  let expression: jsonata.Expression;
  try {
    expression = jsonata(source, { timeout: TIME_LIMIT_MS, stack: STACK_LIMIT });
  } catch (err) {
    const e = err as { message?: string; position?: number; code?: string };
    throw new InvalidTransformError(e.message ?? String(err), e.position, e.code);
  }
  return (event) => expression.evaluate(event);
}

/** Compiled transforms by destination and definition: compiled once per change, not per event. */
export function transformCache(): (destinationId: string, updatedAt: string, source: string) => Transform {
  const compiled = new Map<string, { key: string; transform: Transform }>();
  return (destinationId, updatedAt, source) => {
    const key = `${updatedAt}\n${source}`;
    const hit = compiled.get(destinationId);
    if (hit?.key === key) return hit.transform;
    const transform = compileTransform(source);
    compiled.set(destinationId, { key, transform });
    return transform;
  };
}
