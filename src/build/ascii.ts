// The built files kiln compiles through node:vm (bundles, validators) are read as latin1, which is
// exact for ASCII and 2-4 times faster than decoding UTF-8; an ASCII source is also a one-byte
// string for V8, half the memory of a two-byte one. esbuild already escapes non-ASCII characters
// in strings and regular expressions; what it copies verbatim (comments) is escaped here.
import { readFileSync, writeFileSync } from 'node:fs';

/** `text` with every non-ASCII UTF-16 unit written as \uXXXX. */
export function escapeNonAscii(text: string): string {
  return text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Rewrite a built file as ASCII (a no-op for one that is). */
export function makeAscii(file: string): void {
  const text = readFileSync(file, 'utf8');
  const ascii = escapeNonAscii(text);
  if (ascii !== text) writeFileSync(file, ascii);
}
