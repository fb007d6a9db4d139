// YAML loading that remembers where every value came from, so later errors can name file:line:column.
import { readFileSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { Problem, ValidationError, type Loc } from '../errors.js';
import { valueLocOf } from './locations.js';
import { scalarSourceOf } from './scalar_sources.js';
import { cacheSlot, readCached, writeCached, writeFailed } from './yaml_cache.js';
import { parseYamlText } from './yaml_parse.js';
import { isVaulted } from '../vault/format.js';
import { decryptVaulted, rememberSecretValues } from '../vault/keyring.js';

export { scalarSourceOf, type ScalarSource } from './scalar_sources.js';

export interface LoadedYaml {
  file: string;
  value: unknown;
  /** The raw text, used to quote offending scalars as the user wrote them. */
  source: string;
}

/** Read and parse a YAML file; throws ValidationError with positions on any syntax problem. */
export function loadYamlFile(file: string): LoadedYaml {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ValidationError(
      new Problem(`cannot read ${file} (${code ?? String(e)})`, {
        fix: code === 'ENOENT' ? 'check the path; relative paths are resolved from the current directory' : undefined,
      }),
    );
  }
  return parseVaultable(source, shownPath(file));
}

/**
 * parseYaml for a file's text that may be a whole Ansible Vault file: decrypted first, then every
 * string in it is a secret. Neither a vaulted file nor a text with `!vault` values is cached: the
 * parse cache would hold their clear text on disk.
 */
export function parseVaultable(source: string, file: string): LoadedYaml {
  if (isVaulted(source)) {
    const text = decryptVaulted(source, { file, line: 1, col: 1 }, 'this file').toString('utf8');
    const loaded = parseYaml(text, file, { cache: false });
    rememberSecretValues(loaded.value);
    return { ...loaded, source: text };
  }
  return parseYaml(source, file);
}

/** Paths inside the working directory are shown relative to it, as the user typed them. */
function shownPath(file: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/**
 * Where character `offset` of the string under `key` stands in the file, when that can be known:
 * a plain or quoted scalar with nothing escaped or folded before the offset. Else the string's
 * own position.
 */
export function locInScalar(owner: unknown, key: string | number, offset: number): Loc | undefined {
  const at = valueLocOf(owner, key);
  const value = typeof owner === 'object' && owner !== null ? (owner as Record<string | number, unknown>)[key] : undefined;
  const src = scalarSourceOf(owner, key);
  if (!at || !src?.oneLine || typeof value !== 'string' || offset < 0 || offset > value.length) return at;
  const before = value.slice(0, offset);
  const shift =
    src.style === 'PLAIN' ? 0 : src.style === 'QUOTE_SINGLE' && !before.includes("'") ? 1 : src.style === 'QUOTE_DOUBLE' && !escapable(before) ? 1 : undefined;
  return shift === undefined ? at : { ...at, col: at.col + shift + offset };
}

/**
 * Parse YAML text with Ansible's dialect (YAML 1.1: yes/no booleans, 0644 octal) and merge keys.
 * Duplicate keys are errors. Every map and sequence gets its source positions recorded.
 * Texts parsed before come from the parse cache (yaml_cache.ts), unless `cache` is false (for
 * texts that seldom repeat, such as an inventory script's output).
 */
export function parseYaml(source: string, file: string, { cache = true }: { cache?: boolean } = {}): LoadedYaml {
  const slot = cache && !source.includes('!vault') ? cacheSlot(source) : undefined;
  const hit = slot && readCached(slot, file);
  if (hit && 'value' in hit) return { file, value: hit.value, source };
  // A text known not to parse is parsed again, for its error.
  const value = parseYamlText(source, file);
  if (slot) writeCached(slot, value, file);
  return { file, value, source };
}

/**
 * parseYaml for a text that may be in another format (an inventory without an extension may be
 * INI): undefined where it is not YAML. That answer is cached too, so such a file does not load
 * the yaml package on every run.
 */
export function probeYaml(source: string, file: string, { cache = true }: { cache?: boolean } = {}): LoadedYaml | undefined {
  const slot = !cache || source.includes('!vault') ? undefined : cacheSlot(source);
  const hit = slot && readCached(slot, file);
  if (hit) return 'value' in hit ? { file, value: hit.value, source } : undefined;
  let value: unknown;
  try {
    value = parseYamlText(source, file);
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    if (slot) writeFailed(slot);
    return undefined;
  }
  if (slot) writeCached(slot, value, file);
  return { file, value, source };
}

/** Characters a double-quoted YAML string may have written as an escape (\", \\, \t...). */
function escapable(s: string): boolean {
  for (const c of s) if (c === '"' || c === '\\' || c.charCodeAt(0) < 0x20) return true;
  return false;
}
