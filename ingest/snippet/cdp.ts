import { createCdp } from './analytics.js';

// Entry of dist/web/cdp.js. The loader snippet left `window.cdp` as an array of queued calls
// (`[method, ...args]`); the real object takes its place and runs them in order, consent first.

const w = window as unknown as { cdp?: unknown };
const stub = w.cdp;
if (!(stub && (stub as { initialized?: unknown }).initialized)) {
  let origin = location.origin;
  try {
    // The API that served this script is the default API host.
    origin = new URL((document.currentScript as HTMLScriptElement).src).origin;
  } catch {
    // loaded without a src (inlined): the page's own origin
  }
  const cdp = createCdp(origin);
  w.cdp = cdp;
  if (Array.isArray(stub)) {
    // Consent stated on this page before the script arrived applies to all of the page's events, the first
    // page view (sent by load) included: it goes first.
    const isConsent = (call: unknown) => Array.isArray(call) && call[0] === 'consent';
    for (const call of stub) if (isConsent(call)) cdp.replay(call);
    for (const call of stub) if (!isConsent(call)) cdp.replay(call);
  }
}
