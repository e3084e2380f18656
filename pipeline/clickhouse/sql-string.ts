/** A value as a ClickHouse string literal: quoted, with its quotes and backslashes escaped. */
export function sqlString(value: string): string {
  return `'${value.replace(/[\\']/g, (ch) => `\\${ch}`)}'`;
}
