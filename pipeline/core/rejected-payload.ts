// The payload kept with a refused event in rejected_events: its JSON text, cut to a bounded size.

const PAYLOAD_KEEP_BYTES = 64 * 1024;

/** JSON text of `value` (its string form when it cannot be serialized), at most 64 KiB of whole characters. */
export function rejectedPayload(value: unknown): string {
  let payload: string;
  try {
    payload = JSON.stringify(value) ?? 'null';
  } catch {
    payload = String(value);
  }
  if (payload.length * 3 > PAYLOAD_KEEP_BYTES && Buffer.byteLength(payload) > PAYLOAD_KEEP_BYTES) {
    // Cut at a byte bound without splitting a character: encodeInto writes whole characters only.
    const kept = new Uint8Array(PAYLOAD_KEEP_BYTES);
    const { written } = new TextEncoder().encodeInto(payload, kept);
    payload = Buffer.from(kept.subarray(0, written)).toString('utf8');
  }
  return payload;
}
