import { createConsent } from './consent.js';
import { campaignFromSearch, deviceContext, pageProperties, withoutHash } from './context.js';
import { uuid } from './ids.js';
import { createIdentity, type Identity, type Traits } from './identity.js';
import type { Message } from './queue.js';
import { createSender, type Sender } from './sender.js';
import { widestCookieDomain } from './storage.js';

export interface LoadOptions {
  /** Origin of the tracking API; by default the origin cdp.js was loaded from. */
  apiHost?: string;
  /** Send once this many events wait... */
  flushAt?: number;
  /** ...or this many ms after the first one waited. */
  flushInterval?: number;
  /** A page call when the script loads. */
  autoPage?: boolean;
  /** A page call when a single-page app changes the URL (pushState, replaceState, popstate). */
  historyPages?: boolean;
  /** Domain of the id cookies; by default the widest the page may set (example.com for www.example.com). */
  cookieDomain?: string;
  /** Most events kept in the offline queue; the oldest are dropped beyond it. */
  maxQueueSize?: number;
  /** Longest wait between retries. */
  maxRetryDelay?: number;
  /** Log refused events and internal errors with console.warn. */
  debug?: boolean;
}

/** Per-call options, as in analytics.js. */
export interface CallOptions {
  context?: Record<string, unknown>;
  integrations?: Record<string, unknown>;
  timestamp?: Date | string;
}

type Props = Record<string, unknown>;
type Method = 'load' | 'track' | 'identify' | 'page' | 'alias' | 'group' | 'reset' | 'consent';

export interface Cdp {
  initialized: true;
  load(writeKey: string, options?: LoadOptions): void;
  track(event: string, properties?: Props, options?: CallOptions): void;
  identify(userId?: string | number | Traits | null, traits?: Traits, options?: CallOptions): void;
  page(category?: string | Props, name?: string | Props, properties?: Props | CallOptions, options?: CallOptions): void;
  alias(userId: string | number, previousId?: string | number, options?: CallOptions): void;
  group(groupId: string | number, traits?: Traits, options?: CallOptions): void;
  reset(): void;
  /** Consent categories granted (true) or not (false), sent with every later event; merged with earlier calls. */
  consent(preferences: Record<string, boolean>): void;
  /** Runs a call queued by the loader snippet: `[method, ...args]`. */
  replay(call: unknown): void;
}

const METHODS: Method[] = ['load', 'track', 'identify', 'page', 'alias', 'group', 'reset', 'consent'];

/** The event a change of consent sends, named as Segment's consent tooling names it. */
export const CONSENT_UPDATED = 'Segment Consent Preference Updated';

const isObject = (v: unknown): v is Props => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Ids as strings (numbers are common); a missing one stays missing so that the API names it. */
const id = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));

/**
 * The public API. Calls made before `load` wait for it. No call ever throws into the host page: each one is
 * wrapped, and a failure is at most a console.warn in debug mode.
 */
export function createCdp(defaultApiHost: string): Cdp {
  let writeKey: string | undefined;
  let debug = false;
  let identity: Identity;
  let sender: Sender;
  const consent = createConsent();
  const waiting: [Method, unknown[]][] = [];
  // After a single-page-app navigation the page before it is the referrer, as a full load would say.
  let referrer = document.referrer;
  let lastPage = withoutHash(location.href);

  const warn = (message: string, detail?: unknown) => {
    if (debug) console.warn(message, detail);
  };

  const enqueue = (type: string, fields: Props, options: CallOptions | undefined) => {
    const context: Props = { ...deviceContext(), page: pageProperties(location, document.title, referrer) };
    const campaign = campaignFromSearch(location.search);
    if (campaign) context.campaign = campaign;
    const categoryPreferences = consent.preferences();
    if (categoryPreferences) context.consent = { categoryPreferences };
    const message: Message = {
      type,
      messageId: uuid(),
      timestamp: new Date(options?.timestamp ?? Date.now()).toISOString(),
      anonymousId: identity.anonymousId(),
      ...fields,
      context: { ...context, ...options?.context },
    };
    const userId = identity.userId();
    if (userId !== null) message.userId = userId;
    if (options?.integrations) message.integrations = options.integrations;
    sender.enqueue(message);
  };

  const api = {
    load(key: unknown, given?: unknown) {
      if (writeKey !== undefined) return warn('cdp: load was called twice; the second call is ignored');
      // A setup mistake, not a runtime failure: said even without debug.
      if (typeof key !== 'string' || key === '') return console.warn('cdp: load needs the write key: cdp.load("wk_...")');
      const options: LoadOptions = isObject(given) ? given : {};
      writeKey = key;
      debug = options.debug === true;
      let host = (options.apiHost || defaultApiHost).replace(/\/+$/, '');
      if (!/^https?:\/\//.test(host)) host = `https://${host}`;
      identity = createIdentity(options.cookieDomain ?? widestCookieDomain(location.hostname));
      // The visitor's id is set from the first page on, whether or not the page sends anything.
      identity.anonymousId();
      sender = createSender({
        batchUrl: `${host}/v1/batch`,
        writeKey: key,
        flushAt: options.flushAt ?? 20,
        flushInterval: options.flushInterval ?? 2000,
        maxQueueSize: options.maxQueueSize ?? 500,
        maxRetryDelay: options.maxRetryDelay ?? 60_000,
        warn,
      });
      const unload = guard(() => sender.unload());
      addEventListener('pagehide', unload);
      document.addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'hidden') unload();
      });
      if (options.historyPages !== false) watchHistory();
      if (options.autoPage !== false) api.page();
      for (const [method, args] of waiting.splice(0)) call(method, args);
      // What waits goes at once: the page call, and events an earlier page left in the offline queue.
      sender.flush();
    },
    track(event: unknown, properties?: Props, options?: CallOptions) {
      enqueue('track', { event, properties: isObject(properties) ? properties : {} }, options);
    },
    identify(userId?: unknown, traits?: unknown, options?: CallOptions) {
      if (isObject(userId)) {
        options = traits as CallOptions;
        traits = userId;
        userId = null;
      }
      identity.identify(id(userId) ?? null, isObject(traits) ? traits : {});
      enqueue('identify', { traits: identity.traits() }, options);
    },
    page(...args: unknown[]) {
      // page([category], [name], [properties], [options]), as analytics.js.
      const strings: string[] = [];
      while (typeof args[0] === 'string' && strings.length < 2) strings.push(args.shift() as string);
      const name = strings.pop();
      const category = strings.pop();
      const properties = isObject(args[0]) ? args[0] : {};
      const fields: Props = { properties: { ...pageProperties(location, document.title, referrer), ...properties } };
      if (name !== undefined) fields.name = name;
      if (category !== undefined) fields.category = category;
      enqueue('page', fields, args[1] as CallOptions | undefined);
    },
    alias(userId: unknown, previousId?: unknown, options?: CallOptions) {
      enqueue('alias', { userId: id(userId), previousId: id(previousId) ?? identity.userId() ?? identity.anonymousId() }, options);
    },
    group(groupId: unknown, traits?: Traits, options?: CallOptions) {
      enqueue('group', { groupId: id(groupId), traits: isObject(traits) ? traits : {} }, options);
    },
    reset() {
      identity.reset();
    },
    consent(given: unknown) {
      // A setup mistake, not a runtime failure: said even without debug.
      if (!isObject(given)) return console.warn('cdp: consent takes categories: cdp.consent({ marketing: true, analytics: false })');
      // A change is an event of its own, so the profile knows it before the visitor does anything else.
      if (consent.update(given)) call('track', [CONSENT_UPDATED, {}]);
    },
  };

  function guard<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    return (...args) => {
      try {
        fn(...args);
      } catch (err) {
        warn('cdp: call failed', err);
      }
    };
  }

  function call(method: Method, args: unknown[]): void {
    // Consent needs nothing of load: stated before it, it applies to every event, the first page view included.
    if (writeKey === undefined && method !== 'load' && method !== 'consent') waiting.push([method, args]);
    else guard(api[method] as (...a: unknown[]) => void)(...args);
  }

  function watchHistory(): void {
    const changed = () => {
      // Deferred: routers set document.title after they change the URL.
      setTimeout(
        guard(() => {
          const url = withoutHash(location.href);
          if (url === lastPage) return;
          referrer = lastPage;
          lastPage = url;
          api.page();
        }),
        0,
      );
    };
    for (const method of ['pushState', 'replaceState'] as const) {
      const original = history[method];
      history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
        const result = original.apply(this, args);
        changed();
        return result;
      };
    }
    addEventListener('popstate', changed);
  }

  const cdp = { initialized: true } as Cdp;
  for (const method of METHODS) {
    (cdp as unknown as Record<Method, unknown>)[method] = (...args: unknown[]) => call(method, args);
  }
  cdp.replay = guard((entry: unknown) => {
    if (Array.isArray(entry) && METHODS.indexOf(entry[0]) >= 0) call(entry[0] as Method, entry.slice(1));
  });
  return cdp;
}
