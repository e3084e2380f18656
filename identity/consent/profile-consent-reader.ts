import type { ClickHouseClient } from '../../pipeline/clickhouse/client.js';
import type { ConsentPreferences } from './consent-preferences.js';

/**
 * The latest preference per category of each of `profileIds` (loaded profile ids), read from profile_consent
 * under their surviving profiles: a merged profile answers its survivor's preferences, the most recent
 * statement of any profile merged into it winning. A profile with no statement is absent from the map.
 */
export async function readProfileConsent(_clickhouse: ClickHouseClient, _database: string, _profileIds: readonly string[]): Promise<Map<string, ConsentPreferences>> {
  // Contract for issue 16: implemented by the consent work (profile_consent, migration 0015).
  return new Map();
}
