import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { PrivateAddressError } from './errors/private-address-error.js';
import { PrivateUrlError } from './errors/private-url-error.js';
import { isPrivateAddress } from './private-address.js';

/** The URL's host as DNS and net take it: IPv6 literals without their brackets. */
export function urlHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * The check at creation: every address the URL's host resolves to now must be public (refused with
 * PrivateUrlError, 400). A host that does not resolve yet is taken: every connection is checked again
 * (`guardedLookup`), so this only spares the caller a destination that could never deliver.
 */
export async function checkDestinationUrl(raw: string): Promise<void> {
  const host = urlHost(new URL(raw));
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return;
  }
  const bad = addresses.find(isPrivateAddress);
  if (bad !== undefined) throw new PrivateUrlError(host, bad);
}

/**
 * A `lookup` for http(s).request that resolves, checks and hands the socket only the checked address: the
 * connection goes where the check looked, whatever DNS answers next (no gap for a rebinding answer).
 */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { family: options.family, hints: options.hints, all: true }, (err, addresses: LookupAddress[]) => {
    if (err) return callback(err, '', 0);
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad) return callback(Object.assign(new PrivateAddressError(hostname, bad.address), { errno: undefined }) as NodeJS.ErrnoException, '', 0);
    // net asks for every address (all: true) when it races IPv4 and IPv6, else for one.
    if (options.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};
