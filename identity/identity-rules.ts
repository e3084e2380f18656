import type { Config } from '../pipeline/core/config.js';
import { DEFAULT_BLOCKED_VALUES, type IdentityRules } from './identifiers.js';

export function identityRules(config: Pick<Config, 'IDENTITY_EMAIL_KEYS' | 'IDENTITY_PHONE_KEYS' | 'IDENTITY_BLOCKED_VALUES' | 'IDENTITY_LIMITS'>): IdentityRules {
  return {
    emailKeys: config.IDENTITY_EMAIL_KEYS,
    phoneKeys: config.IDENTITY_PHONE_KEYS,
    blockedValues: new Set([...DEFAULT_BLOCKED_VALUES, ...config.IDENTITY_BLOCKED_VALUES.map((v) => v.trim().toLowerCase())]),
    limits: config.IDENTITY_LIMITS,
  };
}
