import { createCdp } from './analytics.js';

// Entry of dist/web/cdp.js. The loader snippet left `window.cdp` as an array of queued calls
// (`[method, ...args]`); the real object takes its place and runs them in order.

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
  if (Array.isArray(stub)) for (const call of stub) cdp.replay(call);
}
