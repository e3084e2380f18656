// What a consent category may be called where the product is asked about one (the segment language's
// consent condition, the audience API's `consent=` list): the keys events use in categoryPreferences, such as
// "marketing" or "C0004". A comma separates categories in a query parameter, so it cannot be part of one.

export const CONSENT_CATEGORY_MAX = 100;
export const CONSENT_CATEGORY = /^[^,\p{Cc}]+$/u;
export const CONSENT_CATEGORY_RULE = `a consent category: 1 to ${CONSENT_CATEGORY_MAX} characters, no comma or control character`;
