// Strings made only of literal text and plain `{{ name }}` / `{{ a.b.c }}` substitutions: most of
// a playbook's templates. render.ts and refs.ts handle them without Handlebars (whose compiler
// costs far more than the substitution); anything else, or any doubt, goes to Handlebars.
import { HELPER_NAMES } from './helpers.js';

/** Literal text, or the segments of a variable path. */
export type SimplePart = string | readonly string[];

// A segment is a subset of what Handlebars reads as an identifier. Words it reads otherwise
// (literals, `else`, `this...`) and Handlebars' own helpers are left to Handlebars.
const SEGMENT = /^[A-Za-z_][\w-]*$/;
const RESERVED = new Set(['true', 'false', 'null', 'undefined', 'else', 'as', 'this', 'constructor', '__proto__']);
const BUILTIN_HELPERS = ['blockHelperMissing', 'helperMissing'];
const MUSTACHE = /\{\{\s*([^{}~\s][^{}]*?)\s*\}\}/y;

function isPlainSegment(s: string, first: boolean): boolean {
  if (!SEGMENT.test(s) || RESERVED.has(s)) return false;
  return !first || !(s.startsWith('this') || HELPER_NAMES.has(s) || BUILTIN_HELPERS.includes(s));
}

/** The parts of a simple template, or undefined when it needs Handlebars. */
export function simpleParts(text: string): SimplePart[] | undefined {
  // A NUL ends Handlebars' content; a backslash before {{ escapes it.
  if (text.includes('\0')) return undefined;
  const parts: SimplePart[] = [];
  let at = 0;
  for (;;) {
    const open = text.indexOf('{{', at);
    if (open < 0) {
      if (at < text.length) parts.push(text.slice(at));
      return parts;
    }
    if (open > 0 && text[open - 1] === '\\') return undefined;
    if (open > at) parts.push(text.slice(at, open));
    MUSTACHE.lastIndex = open;
    const m = MUSTACHE.exec(text);
    if (!m || !m[1]) return undefined;
    const path = m[1].split('.');
    if (!path.every((s, i) => isPlainSegment(s, i === 0))) return undefined;
    parts.push(path);
    at = MUSTACHE.lastIndex;
    // `{{ x }}}` closes with the triple-stash token: a Handlebars syntax error.
    if (text[at] === '}') return undefined;
  }
}
