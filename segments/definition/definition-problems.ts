import type { FastifySchemaValidationError } from 'fastify';
import type { z } from 'zod';
import { requestIssues } from '../../pipeline/core/route-schemas.js';
import { InvalidSegmentError, type SegmentProblem } from '../errors/invalid-segment-error.js';

/**
 * The segment routes' answer to a request that does not fit their schemas: 400 `CDP_SEGMENT_INVALID` with
 * `problems`, each with its path in the definition ("conditions.conditions.1.value"), as a saved definition
 * that fails its checks is answered.
 */
export function invalidSegment(errors: FastifySchemaValidationError[]): InvalidSegmentError {
  return new InvalidSegmentError(problemsOf(requestIssues(errors)));
}

/** zod's issues with a segment definition as problems with paths. */
export function problemsOf(issues: z.core.$ZodIssue[]): SegmentProblem[] {
  const out: SegmentProblem[] = [];
  const walk = (issues: z.core.$ZodIssue[], prefix: (string | number | symbol)[]) => {
    for (const issue of issues) {
      const path = [...prefix, ...issue.path];
      // A union reports each branch; the branch that got furthest says what is wrong most precisely.
      if (issue.code === 'invalid_union' && issue.errors.length > 0) {
        const best = issue.errors.reduce((a, b) => (deepest(b) > deepest(a) ? b : a));
        walk(best, path);
      } else {
        out.push({ path: path.map(String).join('.'), message: issue.message });
      }
    }
  };
  walk(issues, []);
  return out;
}

function deepest(issues: z.core.$ZodIssue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length + (i.code === 'invalid_union' ? Math.max(0, ...i.errors.map(deepest)) : 0)));
}
