import type { Profile } from '../../identity/profile-store.js';
import { profileModelReply } from '../../identity/profile-customer-model.js';

// What a template sees: `profile.traits` (each trait's value; an object or list trait as itself),
// `profile.computed_traits` (by id, as the profile API answers them), `profile.lifecycle` (the stage's name)
// and `profile.value_tier` (the tier's name), `profile.id`, the `event` that entered the customer into the
// journey, and `unsubscribe_url`. A trait the customer does not have renders empty.

/** A stored trait value: text as it was sent; numbers, booleans, objects and lists as their JSON. */
function traitValue(stored: string): unknown {
  if (!/^[[{]/.test(stored)) return stored;
  try {
    return JSON.parse(stored);
  } catch {
    return stored;
  }
}

export function templateScope(profile: Profile, event: Record<string, unknown> | undefined, unsubscribeUrl: string): Record<string, unknown> {
  const model = profileModelReply(profile);
  return {
    profile: {
      id: profile.profile_id,
      traits: Object.fromEntries(Object.entries(profile.traits).map(([k, t]) => [k, traitValue(t.value)])),
      computed_traits: model.computed_traits,
      lifecycle: model.lifecycle?.stage ?? null,
      value_tier: model.value_tier,
    },
    event: event ?? {},
    unsubscribe_url: unsubscribeUrl,
  };
}

/** A trait's text (the address traits `email` and `phone`), or undefined when the customer has none. */
export function traitText(profile: Profile, trait: string): string | undefined {
  const value = profile.traits[trait]?.value.trim();
  return value ? value : undefined;
}
