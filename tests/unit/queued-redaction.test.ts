import { describe, expect, test } from 'vitest';
import { identityRules } from '../../identity/identity-rules.js';
import { deletionKeys, queueMatcher } from '../../identity/queued-redaction.js';
import { loadConfig } from '../../pipeline/core/config.js';
import type { EnrichedEvent, RejectedEvent } from '../../pipeline/core/load-job.js';

const rules = identityRules(loadConfig({}));
const key = (type: string, value: string) => `${type}\u001f${value}`;
const T = Date.UTC(2026, 0, 1);
const event = (fields: Partial<EnrichedEvent>): EnrichedEvent => ({ messageId: 'm', type: 'track', event: 'E', context: {}, integrations: {}, timestamp: T, originalTimestamp: T, receivedAt: T, sourceId: 'web', ...fields });
const refused = (payload: unknown, identifiers?: string[]): RejectedEvent => ({
  rejectionId: 'r', receivedAt: T, sourceId: 'web', requestId: 'q', route: '/v1/track', index: 0, reason: 'invalid_event', errors: [], payload: JSON.stringify(payload), ip: '', ...(identifiers ? { identifiers } : {}),
});

describe('deletionKeys', () => {
  test('a user or anonymous id may also appear as an alias’s previous_id', () => {
    expect(deletionKeys([key('user_id', 'u'), key('anonymous_id', 'a'), key('email', 'e@x.example')]).sort()).toEqual(
      [key('user_id', 'u'), key('anonymous_id', 'a'), key('email', 'e@x.example'), key('previous_id', 'u'), key('previous_id', 'a')].sort(),
    );
  });
});

describe('queueMatcher', () => {
  const match = queueMatcher([key('user_id', '4242'), key('email', 'dave@example.com'), key('anonymous_id', 'a-1')], rules);

  test('queued events, by the identifiers the loader would resolve', () => {
    expect(match.event(event({ userId: '4242' }))).toBe(true);
    expect(match.event(event({ anonymousId: 'x', context: { traits: { email: ' Dave@Example.COM' } } }))).toBe(true);
    expect(match.event(event({ type: 'alias', userId: 'new', previousId: 'a-1' }))).toBe(true);
    expect(match.event(event({ userId: '42420', properties: { note: 'dave@example.com' } }))).toBe(false);
  });

  test('a malformed queued event (no context) does not stop the deletion: it is matched by its text', () => {
    expect(match.event(event({ userId: '4242', context: null as unknown as Record<string, unknown> }))).toBe(true);
    expect(match.event(event({ userId: 'other', context: null as unknown as Record<string, unknown> }))).toBe(false);
  });

  test('refused items, by their identifiers or, like rejected_events rows, by the values in the payload', () => {
    expect(match.rejected(refused({ userId: 4242 }, [key('user_id', '4242')]))).toBe(true);
    expect(match.rejected(refused({ userId: 'someone' }, [key('user_id', 'someone')]))).toBe(false);
    // Queued by a version that kept no identifiers.
    expect(match.rejected(refused({ anonymousId: 'A-1' }))).toBe(true);
    expect(match.rejected(refused({ anonymousId: 'a-10' }))).toBe(false);
  });
});
