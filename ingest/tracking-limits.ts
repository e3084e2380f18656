import { identityRules } from '../identity/identity-rules.js';
import type { Config } from '../pipeline/core/config.js';
import type { Limits } from './accept.js';

/** The tracking API's limits as configured: the one place they are read from the configuration. */
export function trackingLimits(
  config: Pick<Config, 'INGEST_MAX_EVENT_BYTES' | 'INGEST_MAX_BATCH_BYTES' | 'INGEST_MAX_BATCH_EVENTS' | 'CLOCK_SKEW_MAX_CORRECTION_MS' | 'IP_ANONYMIZE' | 'IDENTITY_EMAIL_KEYS' | 'IDENTITY_PHONE_KEYS' | 'IDENTITY_BLOCKED_VALUES' | 'IDENTITY_LIMITS'>,
): Limits & { maxBatchBytes: number } {
  return {
    maxEventBytes: config.INGEST_MAX_EVENT_BYTES,
    maxBatchBytes: config.INGEST_MAX_BATCH_BYTES,
    maxBatchEvents: config.INGEST_MAX_BATCH_EVENTS,
    maxCorrectionMs: config.CLOCK_SKEW_MAX_CORRECTION_MS,
    identityRules: identityRules(config),
    anonymizeIp: config.IP_ANONYMIZE,
  };
}
