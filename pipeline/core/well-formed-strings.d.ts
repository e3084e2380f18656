// ES2024 string methods, native in Node 20 (V8 11.3) but outside the ES2022 library the project compiles
// against (a newer library would also admit methods Node 20 lacks, such as Promise.withResolvers).
interface String {
  /** False when the string holds a lone UTF-16 surrogate. */
  isWellFormed(): boolean;
  /** The string with each lone surrogate replaced with U+FFFD. */
  toWellFormed(): string;
}
