import { getItem, setItem } from './storage.js';

// The visitor's consent as Segment's consent spec states it: categories granted or not, sent with every event
// as context.consent.categoryPreferences. Kept in localStorage, like the consent banner's own choice, so it
// holds across pages and a logout (reset): it is the device's choice, not the customer's.

const CONSENT = 'cdp_consent';

export type Preferences = Record<string, boolean>;

export interface Consent {
  /** The stated preferences, or undefined before any. */
  preferences(): Preferences | undefined;
  /** Merges the categories given as booleans (anything else says nothing); true when a preference changed. */
  update(given: Record<string, unknown>): boolean;
}

export function createConsent(): Consent {
  const preferences = (): Preferences | undefined => {
    try {
      const parsed: unknown = JSON.parse(getItem(CONSENT) || 'null');
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Preferences) : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    preferences,
    update(given) {
      const before = preferences() ?? {};
      const after: Preferences = { ...before };
      let changed = false;
      for (const category of Object.keys(given)) {
        const granted = given[category];
        if (typeof granted !== 'boolean') continue;
        if (before[category] !== granted) changed = true;
        after[category] = granted;
      }
      if (changed) setItem(CONSENT, JSON.stringify(after));
      return changed;
    },
  };
}
