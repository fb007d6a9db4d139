// The master-file lexer (RFC 1035 section 5.1, as BIND reads it): entries of tokens with their byte
// offsets, so an editor can replace exactly one token and keep every other byte.
import { ModuleError } from '../../engine/errors.js';

export interface Token {
  /** The token as written, escapes and quotes included. */
  raw: string;
  /** Quoted strings and escapes decoded, one char per byte. */
  value: string;
  quoted: boolean;
  /** Offsets into the text: [start, end). */
  start: number;
  end: number;
}

/** One logical line: a directive, a record (parentheses may span lines), or nothing but a comment. */
export interface Entry {
  /** [start, end) in the text; end is past the newline, if there is one. */
  start: number;
  end: number;
  tokens: Token[];
  /** The line starts with a blank: the owner is the previous record's. */
  blankOwner: boolean;
  /** 1-based line of `start`, for messages. */
  line: number;
  /** Whether the entry has parentheses (so it may span lines). */
  parens: boolean;
}

const BLANK = new Set([' ', '\t', '\r']);
const SPECIAL = new Set([' ', '\t', '\r', '\n', ';', '(', ')', '"']);

/** Split a zone file (or a record line) into entries. `what` names the text in errors. */
export function lex(text: string, what: string): Entry[] {
  const entries: Entry[] = [];
  let pos = 0;
  let line = 1;
  while (pos < text.length) {
    const start = pos;
    const startLine = line;
    const tokens: Token[] = [];
    let depth = 0;
    let parens = false;
    let openLine = line;
    for (;;) {
      if (pos >= text.length) {
        if (depth > 0) throw new ModuleError(`${what} line ${openLine}: a parenthesis opened here is never closed`);
        break;
      }
      const c = text[pos] as string;
      if (c === '\n') {
        pos++;
        line++;
        if (depth === 0) break;
      } else if (BLANK.has(c)) pos++;
      else if (c === ';') {
        while (pos < text.length && text[pos] !== '\n') pos++;
      } else if (c === '(') {
        if (depth === 0) openLine = line;
        depth++;
        parens = true;
        pos++;
      } else if (c === ')') {
        if (depth === 0) throw new ModuleError(`${what} line ${line}: a closing parenthesis without an opening one`);
        depth--;
        pos++;
      } else if (c === '"') {
        const t0 = pos;
        pos++;
        let value = '';
        for (;;) {
          if (pos >= text.length) throw new ModuleError(`${what} line ${line}: a quoted string is never closed`);
          const q = text[pos] as string;
          if (q === '"') {
            pos++;
            break;
          }
          if (q === '\\') {
            const [v, n] = unescape(text, pos);
            value += v;
            pos += n;
            continue;
          }
          if (q === '\n') line++;
          value += q;
          pos++;
        }
        tokens.push({ raw: text.slice(t0, pos), value, quoted: true, start: t0, end: pos });
      } else {
        const t0 = pos;
        let value = '';
        while (pos < text.length && !SPECIAL.has(text[pos] as string)) {
          if (text[pos] === '\\') {
            const [v, n] = unescape(text, pos);
            value += v;
            pos += n;
          } else {
            value += text[pos];
            pos++;
          }
        }
        tokens.push({ raw: text.slice(t0, pos), value, quoted: false, start: t0, end: pos });
      }
    }
    entries.push({ start, end: pos, tokens, blankOwner: BLANK.has(text[start] ?? ''), line: startLine, parens });
  }
  return entries;
}

/** A backslash escape at `pos`: \DDD (a byte) or \X (X itself). Returns the byte and the length. */
function unescape(text: string, pos: number): [string, number] {
  const ddd = /^\\(\d{3})/.exec(text.slice(pos, pos + 4));
  if (ddd) return [String.fromCharCode(Number(ddd[1]) & 0xff), 4];
  if (pos + 1 >= text.length) return ['\\', 1];
  return [text[pos + 1] as string, 2];
}

/** A character-string as a zone file writes it: quoted, with " and \ escaped and other non-printables as \DDD. */
export function quoteString(bytes: string): string {
  let out = '"';
  for (const ch of bytes) {
    const b = ch.charCodeAt(0);
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (b < 0x20 || b === 0x7f) out += `\\${String(b).padStart(3, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** JS text (UTF-16) as byte text: its UTF-8 bytes, one char each. */
export function toBytes(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** Byte text back to JS text, reading the bytes as UTF-8. */
export function fromBytes(bytes: string): string {
  return Buffer.from(bytes, 'latin1').toString('utf8');
}
