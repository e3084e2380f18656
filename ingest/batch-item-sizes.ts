const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_OBJECT = 123;
const CLOSE_OBJECT = 125;
const OPEN_ARRAY = 91;
const CLOSE_ARRAY = 93;
const COMMA = 44;
const SPACE = 32;

/**
 * The items of the top-level "batch" array of a JSON batch body that are larger than `maxBytes` as the
 * client sent them (UTF-8), by index, with their size. The text must be valid JSON (it is scanned after
 * JSON.parse). One pass over the text: re-serializing every event just to measure it cost as much as
 * parsing the whole body.
 */
export function oversizedBatchItems(text: string, maxBytes: number): Map<number, number> {
  // A string assembled from network chunks is a rope; coercing it to a number flattens it (as pino's
  // flatstr does), which makes charCodeAt several times faster below.
  Number(text);
  const oversized = new Map<number, number>();
  let depth = 0;
  let lastTopString: string | undefined;
  let inBatch = false;
  let index = 0;
  let start = -1;
  let end = -1;
  const close = () => {
    if (start === -1) return;
    const units = end - start;
    // A UTF-16 unit is 1 to 3 UTF-8 bytes: only items that could cross the limit are measured exactly.
    if (units > maxBytes) oversized.set(index, utf8Length(text, start, end));
    else if (units * 3 > maxBytes) {
      const bytes = utf8Length(text, start, end);
      if (bytes > maxBytes) oversized.set(index, bytes);
    }
    index++;
    start = -1;
  };

  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c <= SPACE) continue;
    if (inBatch && depth === 2 && start === -1 && c !== COMMA && c !== CLOSE_ARRAY) start = i;
    if (c === QUOTE) {
      const from = i;
      // Most of a body is string content: jump from quote to quote with the native indexOf, and step over
      // quotes that are escaped (preceded by an odd run of backslashes).
      i = text.indexOf('"', i + 1);
      while (i !== -1 && escaped(text, i)) i = text.indexOf('"', i + 1);
      if (i === -1) break;
      // In valid JSON an array value at depth 1 directly follows its key, the last string read there.
      if (depth === 1) lastTopString = text.slice(from + 1, i);
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth++;
      if (depth === 2 && c === OPEN_ARRAY && lastTopString === 'batch') {
        // JSON.parse keeps the last of repeated keys, so a later "batch" array replaces an earlier one.
        oversized.clear();
        index = 0;
        inBatch = true;
        continue;
      }
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
      if (inBatch && depth === 1) {
        close();
        inBatch = false;
        continue;
      }
    } else if (c === COMMA && inBatch && depth === 2) {
      close();
      continue;
    }
    if (inBatch && depth >= 2) end = i + 1;
  }
  return oversized;
}

function escaped(text: string, quote: number): boolean {
  let backslashes = 0;
  for (let k = quote - 1; k >= 0 && text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
  return backslashes % 2 === 1;
}

function utf8Length(text: string, start: number, end: number): number {
  let bytes = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    // A surrogate pair is 4 bytes in UTF-8: 2 for each half.
    else if (c >= 0xd800 && c <= 0xdfff) bytes += 2;
    else bytes += 3;
  }
  return bytes;
}
