// SQL quoting: every name and every value kiln writes into SQL goes through sqlQuote, once.
import { ModuleError } from '../../engine/errors.js';

/** What a piece of SQL text is: a string literal ('...') or an identifier (`...`). */
export type SqlKind = 'string' | 'ident';

// Inside '...' with backslash escapes on (the session turns NO_BACKSLASH_ESCAPES off: see client.ts).
const STRING_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  "'": "\\'",
  '\0': '\\0',
  '\n': '\\n',
  '\r': '\\r',
  '\x1a': '\\Z',
};

/**
 * Quote `value` as an SQL string literal or identifier. Strings: backslash-escaped, so any
 * character survives, NUL included. Identifiers: backticks doubled; NUL cannot be in a name.
 * `%` and `_` are left as they are: they are wildcards only where SQL says so (LIKE, the host of
 * an account, the database of a GRANT), and there they mean what the user wrote.
 */
export function sqlQuote(value: string, kind: SqlKind): string {
  if (kind === 'string') return `'${[...value].map((c) => STRING_ESCAPES[c] ?? c).join('')}'`;
  if (value.includes('\0')) throw new ModuleError(`${JSON.stringify(value)} cannot be an SQL name: it holds a NUL character`);
  return `\`${value.replace(/`/g, '``')}\``;
}

/** An account as SQL writes it: 'name'@'host'. */
export function sqlAccount(name: string, host: string): string {
  return `${sqlQuote(name, 'string')}@${sqlQuote(host, 'string')}`;
}
