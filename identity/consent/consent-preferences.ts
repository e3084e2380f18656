// Consent as Segment's consent spec states it: an event's `context.consent.categoryPreferences`, e.g.
// {"marketing": false, "analytics": true}. The one rule of what is allowed is `consentAllows`; the loader,
// the destinations and the segment language all ask it.

/** A category's preference: granted or not. */
export type ConsentPreferences = Record<string, boolean>;

/** The categories an event states (booleans only; anything else says nothing), or undefined when it states none. */
export function statedConsent(context: Record<string, unknown> | undefined): ConsentPreferences | undefined {
  const consent = context?.consent;
  if (!consent || typeof consent !== 'object') return undefined;
  const prefs = (consent as Record<string, unknown>).categoryPreferences;
  if (!prefs || typeof prefs !== 'object' || Array.isArray(prefs)) return undefined;
  const out: ConsentPreferences = {};
  for (const [category, granted] of Object.entries(prefs as Record<string, unknown>)) {
    if (typeof granted === 'boolean') out[category] = granted;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Whether every one of `categories` is granted: by the event's own statement, or, where the event says nothing
 * about a category, by the profile's latest preference; with no statement at all a category is not granted.
 */
export function consentAllows(categories: readonly string[], stated: ConsentPreferences | undefined, profile: ConsentPreferences | undefined): boolean {
  return categories.every((c) => (stated?.[c] ?? profile?.[c]) === true);
}
