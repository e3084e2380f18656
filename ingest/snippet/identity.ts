import { uuid } from './ids.js';
import { getCookie, getItem, removeItem, setCookie, setItem } from './storage.js';

const ANONYMOUS_ID = 'cdp_anonymous_id';
const USER_ID = 'cdp_user_id';
const TRAITS = 'cdp_user_traits';

export type Traits = Record<string, unknown>;

export interface Identity {
  anonymousId(): string;
  userId(): string | null;
  traits(): Traits;
  /** Sets the user (a different user's traits replace the old ones, the same user's are merged). */
  identify(userId: string | null, traits: Traits): void;
  /** Logout on a shared device: forget the user and start a new anonymous visitor. */
  reset(): void;
}

/**
 * Who the visitor is, kept first-party in a cookie and in localStorage. Either one restores the other (a
 * cleared cookie, a cleared storage), and both are read on every event so that tabs of one site agree.
 */
export function createIdentity(cookieDomain: string | undefined): Identity {
  const save = (key: string, value: string | null) => {
    if (value === null) {
      setCookie(key, '', cookieDomain, 0);
      removeItem(key);
    } else {
      setCookie(key, value, cookieDomain);
      setItem(key, value);
    }
  };
  const read = (key: string): string | null => {
    const cookie = getCookie(key);
    const stored = getItem(key);
    const value = cookie || stored;
    if (value && (cookie !== value || stored !== value)) save(key, value);
    return value || null;
  };
  const traits = (): Traits => {
    try {
      const parsed: unknown = JSON.parse(getItem(TRAITS) || '{}');
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Traits) : {};
    } catch {
      return {};
    }
  };
  return {
    anonymousId() {
      let id = read(ANONYMOUS_ID);
      if (!id) save(ANONYMOUS_ID, (id = uuid()));
      return id;
    },
    userId: () => read(USER_ID),
    traits,
    identify(userId, newTraits) {
      const previous = read(USER_ID);
      const kept = userId !== null && previous !== null && userId !== previous ? {} : traits();
      if (userId !== null) save(USER_ID, userId);
      setItem(TRAITS, JSON.stringify({ ...kept, ...newTraits }));
    },
    reset() {
      save(USER_ID, null);
      removeItem(TRAITS);
      save(ANONYMOUS_ID, uuid());
    },
  };
}
