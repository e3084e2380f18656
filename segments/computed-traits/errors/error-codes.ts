/**
 * Machine-readable codes of the computed traits' errors. trait-routes.ts answers NotFound with 404, Invalid
 * with 400 and its problems by path, and ProfileNotFound (a preview for a profile no event names) with 404.
 */
export const TraitErrorCodes = {
  NotFound: 'CDP_TRAIT_NOT_FOUND',
  Invalid: 'CDP_TRAIT_INVALID',
  ProfileNotFound: 'CDP_TRAIT_PROFILE_NOT_FOUND',
} as const;
