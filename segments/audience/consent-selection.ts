import { CONSENT_CATEGORY, CONSENT_CATEGORY_MAX, CONSENT_CATEGORY_RULE } from '../../identity/consent/consent-category.js';
import { InvalidConsentError } from './errors/invalid-consent-error.js';

export const MAX_CONSENT_CATEGORIES = 20;

/** The `consent` query parameter: a comma list of consent categories, each once; empty or absent asks for none. */
export function parseConsentList(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === '') return [];
  const categories = raw.split(',').map((s) => s.trim());
  const seen = new Set<string>();
  for (const category of categories) {
    if (category === '' || category.length > CONSENT_CATEGORY_MAX || !CONSENT_CATEGORY.test(category)) {
      throw new InvalidConsentError(`consent: "${category}" is not ${CONSENT_CATEGORY_RULE} (comma-separated)`);
    }
    if (seen.has(category)) throw new InvalidConsentError(`consent: "${category}" is listed twice`);
    seen.add(category);
  }
  if (categories.length > MAX_CONSENT_CATEGORIES) throw new InvalidConsentError(`consent: at most ${MAX_CONSENT_CATEGORIES} categories; got ${categories.length}`);
  return categories;
}
