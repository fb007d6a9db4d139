// Turns ajv's errors into Problems that name file:line:column, the key, the value and a fix.
import type { ErrorObject } from 'ajv';
import { closest, distance } from 'fastest-levenshtein';
import { Problem, type Loc } from '../errors.js';
import { locAtPath, locOf } from '../load/locations.js';
import { validatorFor } from './registry.js';

export interface ValidateOptions {
  /** Context prefix for messages, e.g. `task "install nginx"`. */
  context?: string;
  /** Dotted prefix for keys, e.g. "copy" so that errors read "copy.mode". */
  keyPrefix?: string;
  /** Position to fall back on when nothing closer is known. */
  fallback?: Loc;
  /** Values (by JSON pointer) that are templated and will only be checked after rendering. */
  deferred?: (path: string[], value: unknown) => boolean;
}

/** Validate `value` against schemas/<rel>; returns problems (empty when valid). */
export function validateAgainst(rel: string, value: unknown, opts: ValidateOptions = {}): Problem[] {
  const validate = validatorFor(rel);
  if (validate(value)) return [];
  return explain(validate.errors ?? [], value, opts);
}

/** Split "/a/0/b" into ["a","0","b"] (JSON pointer unescaping included). */
export function pointerSteps(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function valueAt(root: unknown, steps: string[]): unknown {
  let node = root;
  for (const s of steps) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[s];
  }
  return node;
}

/** Show a value the way the user wrote it in YAML (strings quoted, numbers bare). */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'object') {
    const s = JSON.stringify(v);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  }
  return String(v);
}

function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a number';
  return `a ${typeof v}`;
}

/**
 * ajv reports one error per failed keyword, and for unions (anyOf/oneOf) one per branch.
 * Keep the most useful: the deepest path wins, and within a path the most specific keyword.
 */
function explain(errors: ErrorObject[], root: unknown, opts: ValidateOptions): Problem[] {
  const deepest = new Map<string, ErrorObject[]>();
  for (const e of errors) {
    const steps = pointerSteps(e.instancePath);
    if (opts.deferred?.(steps, valueAt(root, steps))) continue;
    const list = deepest.get(e.instancePath) ?? [];
    list.push(e);
    deepest.set(e.instancePath, list);
  }
  const paths = [...deepest.keys()];
  // Drop a path's union summary when a deeper path explains it.
  const kept = paths.filter((p) => !paths.some((q) => q !== p && q.startsWith(`${p}/`) && unionOnly(deepest.get(p) ?? [])));
  const out: Problem[] = [];
  for (const p of kept) {
    const errs = deepest.get(p) ?? [];
    const chosen = pick(errs);
    for (const e of chosen) out.push(toProblem(e, root, opts, errs));
  }
  return out;
}

function unionOnly(errs: ErrorObject[]): boolean {
  return errs.every((e) => ['anyOf', 'oneOf', 'if', 'then', 'else', 'type', 'const', 'enum', 'not'].includes(e.keyword));
}

const ORDER = ['additionalProperties', 'required', 'enum', 'const', 'pattern', 'format', 'minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties', 'type', 'not', 'oneOf', 'anyOf'];

function pick(errs: ErrorObject[]): ErrorObject[] {
  // Several properties can be wrong at once; keep every additionalProperties/required error,
  // and for the rest only the most specific one.
  const multi = errs.filter((e) => e.keyword === 'additionalProperties' || e.keyword === 'required' || e.keyword === 'errorMessage');
  if (multi.length) return dedupe(multi);
  const rank = (e: ErrorObject): number => {
    const i = ORDER.indexOf(e.keyword);
    return i === -1 ? ORDER.length : i;
  };
  const sorted = [...errs].sort((a, b) => rank(a) - rank(b));
  const first = sorted[0];
  if (!first) return [];
  // A type mismatch inside a union of types: merge into one "must be X or Y".
  return [first];
}

function dedupe(errs: ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  return errs.filter((e) => {
    const k = `${e.keyword}:${JSON.stringify(e.params)}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function join(prefix: string | undefined, steps: string[]): string {
  const parts = [...(prefix ? [prefix] : []), ...steps];
  return parts.map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function toProblem(e: ErrorObject, root: unknown, opts: ValidateOptions, siblings: ErrorObject[]): Problem {
  const steps = pointerSteps(e.instancePath);
  const value = valueAt(root, steps);
  const key = join(opts.keyPrefix, steps) || opts.keyPrefix || '(top level)';
  const base = { context: opts.context };
  const fixHint = (e.parentSchema as Record<string, unknown> | undefined)?.['x-fix'] as string | undefined;
  const loc = (k: 'key' | 'value', extra?: string): Loc | undefined =>
    locAtPath(root, extra === undefined ? steps : [...steps, extra], k) ?? locOf(root) ?? opts.fallback;
  switch (e.keyword) {
    case 'additionalProperties': {
      const bad = String((e.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys(((e.parentSchema as Record<string, unknown>)?.properties as object) ?? {});
      const guess = allowed.length ? closest(bad, allowed) : undefined;
      const k = join(opts.keyPrefix, [...steps, bad]);
      return new Problem(`unknown key "${k}"`, {
        ...base,
        loc: loc('key', bad),
        key: k,
        fix: guess && similar(bad, guess) ? `did you mean "${guess}"?` : `allowed keys here: ${allowed.join(', ')}`,
      });
    }
    case 'required': {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      return new Problem(`${join(opts.keyPrefix, [...steps, missing])} is required`, {
        ...base,
        loc: loc('value'),
        key: join(opts.keyPrefix, [...steps, missing]),
        fix: fixHint ?? `add "${missing}:" here`,
      });
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map(String);
      const guess = typeof value === 'string' ? closest(value, allowed) : undefined;
      return new Problem(`${key} must be one of ${allowed.join(', ')}`, {
        ...base,
        loc: loc('value'),
        key,
        value: showValue(value),
        fix: fixHint ?? (guess && typeof value === 'string' && similar(value, guess) ? `did you mean "${guess}"?` : `use one of: ${allowed.join(', ')}`),
      });
    }
    case 'type': {
      const want = String((e.params as { type: string | string[] }).type).replace(/,/g, ' or ');
      const also = siblings.filter((s) => s.keyword === 'type' && s !== e).map((s) => String((s.params as { type: string }).type));
      const all = [want, ...also].join(' or ');
      return new Problem(`${key} must be ${article(all)}, not ${typeName(value)}`, {
        ...base,
        loc: loc('value'),
        key,
        value: showValue(value),
        fix: fixHint ?? typeFix(all, value),
      });
    }
    case 'pattern':
      return new Problem(`${key} has the wrong form`, {
        ...base,
        loc: loc('value'),
        key,
        value: showValue(value),
        fix: fixHint ?? `it must match ${(e.params as { pattern: string }).pattern}`,
      });
    default:
      return new Problem(`${key} ${e.message ?? 'is invalid'}`, { ...base, loc: loc('value'), key, value: showValue(value), fix: fixHint });
  }
}

function article(t: string): string {
  return t
    .split(' or ')
    .map((x) => ({ string: 'a string', integer: 'an integer', number: 'a number', boolean: 'a boolean (true or false)', array: 'a list', object: 'a mapping', null: 'null' })[x] ?? x)
    .join(' or ');
}

function typeFix(want: string, value: unknown): string {
  if (want.includes('string') && (typeof value === 'number' || typeof value === 'boolean')) return `quote the value: "${String(value)}"`;
  if (want.includes('array')) return 'write a YAML list (one "- item" per line)';
  if (want.includes('boolean')) return 'write true or false';
  return `write ${article(want)}`;
}

function similar(a: string, b: string): boolean {
  const d = distance(a.toLowerCase(), b.toLowerCase());
  return d <= Math.max(2, Math.floor(b.length / 3));
}


