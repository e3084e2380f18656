import { InvalidTraitsError } from './errors/invalid-traits-error.js';

export const MAX_TRAITS = 50;

/**
 * The selected name that adds the member's product recommendations (the latest `recommendations` snapshot):
 * a list of product ids in rank order, [] when the snapshot does not hold the member. It is the
 * recommendations whatever other trait bears the name.
 */
export const RECOMMENDATIONS_TRAIT = 'recommendations';
/**
 * The selected names that add the member's loyalty standing (the latest `loyalty` snapshot): the level's name
 * (null when the snapshot does not hold the member) and the points balance (0 then). They are the loyalty
 * standing whatever other trait bears the names.
 */
export const LOYALTY_LEVEL_TRAIT = 'loyalty_level';
export const LOYALTY_POINTS_TRAIT = 'loyalty_points';
const TRAIT_NAME = /^[A-Za-z0-9_$][A-Za-z0-9_$.-]{0,127}$/;

/** The `traits` query parameter: a comma list of trait names, each once; empty or absent selects none. */
export function parseTraitList(raw: string | undefined): string[] {
  if (raw === undefined || raw.trim() === '') return [];
  const names = raw.split(',').map((s) => s.trim());
  const seen = new Set<string>();
  for (const name of names) {
    if (!TRAIT_NAME.test(name)) {
      throw new InvalidTraitsError(`traits: "${name}" is not a trait name (letters, digits, _ $ . -, at most 128 characters, comma-separated)`);
    }
    if (seen.has(name)) throw new InvalidTraitsError(`traits: "${name}" is listed twice`);
    seen.add(name);
  }
  if (names.length > MAX_TRAITS) throw new InvalidTraitsError(`traits: at most ${MAX_TRAITS} traits; got ${names.length}`);
  return names;
}
