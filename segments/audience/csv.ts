// RFC 4180 CSV: fields holding a comma, quote, CR or LF are quoted, quotes doubled; lines end with CRLF.
// A null field is empty; an empty string is written as "" so that the two stay distinguishable.

const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(value: string | null): string {
  if (value === null) return '';
  if (value === '') return '""';
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function csvLine(fields: readonly (string | null)[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}
