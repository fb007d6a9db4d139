// Filters (`x | name(args)`) and tests (`x is name(args)`) available in conditions.
// Each entry states its arity so parse.ts can reject bad calls before anything runs.
import { deepEqual, isMapping, isTruthy, toPyString, typeName } from './truthy.js';

/** Thrown by a filter or test; evaluate.ts adds the expression context. */
export class FilterError extends Error {}

export interface FilterDef {
  min: number;
  max: number;
  apply(value: unknown, args: readonly unknown[]): unknown;
}

export interface TestDef {
  min: number;
  max: number;
  /** The subject may be undefined without error (`is defined`). */
  soft?: boolean;
  apply(value: unknown, args: readonly unknown[]): boolean;
}

function fail(what: string, v: unknown, want: string): never {
  throw new FilterError(`${what} needs ${want}, got ${typeName(v)}`);
}

function str(v: unknown, what: string): string {
  return typeof v === 'string' ? v : fail(what, v, 'a string');
}

function num(v: unknown, what: string): number {
  return typeof v === 'number' ? v : fail(what, v, 'a number');
}

/** Iterate like Python: strings by character, mappings by key. */
function items(v: unknown, what: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [...v];
  if (isMapping(v)) return Object.keys(v);
  return fail(what, v, 'a list, string or mapping');
}

const INT_RE = /^[+-]?\d+(_\d+)*$/;
const FLOAT_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|infinity|nan)$/i;

function parseFloatPy(s: string): number | undefined {
  const t = s.trim().replaceAll('_', '');
  if (!FLOAT_RE.test(t)) return undefined;
  const lower = t.toLowerCase().replace(/^\+/, '');
  if (lower.endsWith('nan')) return NaN;
  if (lower.endsWith('inf') || lower.endsWith('infinity')) return lower.startsWith('-') ? -Infinity : Infinity;
  return Number(t);
}

// Jinja's int/float never fail: unconvertible values give the default (0).
function toInt(v: unknown, dflt: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : dflt;
  if (typeof v !== 'string') return dflt;
  if (INT_RE.test(v.trim())) return Number(v.trim().replaceAll('_', ''));
  const f = parseFloatPy(v);
  return f !== undefined && Number.isFinite(f) ? Math.trunc(f) : dflt;
}

function toFloat(v: unknown, dflt: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return dflt;
  return parseFloatPy(v) ?? dflt;
}

/** Ansible's `bool` filter: only yes/on/1/true (any case) and the number 1 are true. */
function toBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return ['yes', 'on', '1', 'true'].includes(v.trim().toLowerCase());
  return v === 1;
}

function unique(list: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const x of list) if (!out.some((y) => deepEqual(x, y))) out.push(x);
  return out;
}

/** Python str.split: no separator splits on runs of whitespace and drops empties. */
function split(s: string, sep: unknown): string[] {
  if (sep === undefined || sep === null) return s.split(/\s+/).filter((x) => x !== '');
  const by = str(sep, 'split separator');
  if (by === '') throw new FilterError('split separator must not be empty');
  return s.split(by);
}

const f = (min: number, max: number, apply: FilterDef['apply']): FilterDef => ({ min, max, apply });

const FILTER_TABLE: Record<string, FilterDef> = {
  length: f(0, 0, (v) => items(v, 'length').length),
  int: f(0, 1, (v, [d = 0]) => toInt(v, d)),
  float: f(0, 1, (v, [d = 0]) => toFloat(v, d)),
  string: f(0, 0, (v) => toPyString(v)),
  bool: f(0, 0, (v) => toBool(v)),
  lower: f(0, 0, (v) => toPyString(v).toLowerCase()),
  upper: f(0, 0, (v) => toPyString(v).toUpperCase()),
  trim: f(0, 0, (v) => toPyString(v).trim()),
  // default(value, boolean=false): with boolean true, falsy values are replaced too.
  default: f(0, 2, (v, [d = '', ifFalsy = false]) => (v === undefined || (isTruthy(ifFalsy) && !isTruthy(v)) ? d : v)),
  join: f(0, 1, (v, [sep = '']) => items(v, 'join').map(toPyString).join(toPyString(sep))),
  first: f(0, 0, (v) => items(v, 'first')[0]),
  last: f(0, 0, (v) => items(v, 'last').at(-1)),
  list: f(0, 0, (v) => [...items(v, 'list')]),
  keys: f(0, 0, (v) => (isMapping(v) ? Object.keys(v) : fail('keys', v, 'a mapping'))),
  abs: f(0, 0, (v) => Math.abs(num(v, 'abs'))),
  unique: f(0, 0, (v) => unique(items(v, 'unique'))),
  replace: f(2, 2, (v, [a, b]) => str(v, 'replace').replaceAll(str(a, 'replace'), str(b, 'replace'))),
  split: f(0, 1, (v, [sep]) => split(str(v, 'split'), sep)),
};
// Jinja's short aliases.
FILTER_TABLE.d = FILTER_TABLE.default!;
FILTER_TABLE.count = FILTER_TABLE.length!;

export const FILTER_NAMES: readonly string[] = Object.freeze(Object.keys(FILTER_TABLE).sort());

// Own-property lookups only: `x | constructor` must not reach Object.prototype.
export function getFilter(name: string): FilterDef | undefined {
  return Object.hasOwn(FILTER_TABLE, name) ? FILTER_TABLE[name] : undefined;
}

/** Registered task results: the test reads the status fields Ansible sets. */
function result(v: unknown, test: string): Record<string, unknown> {
  return isMapping(v) ? v : fail(`'is ${test}'`, v, 'a registered result (a mapping)');
}

function changed(v: unknown): boolean {
  const r = result(v, 'changed');
  if (Object.hasOwn(r, 'changed')) return isTruthy(r.changed);
  // A loop's result: changed if any iteration changed.
  return Array.isArray(r.results) && r.results.some((x) => isMapping(x) && isTruthy(x.changed));
}

function regex(pattern: unknown, flags: string, test: string): RegExp {
  // Python named groups (?P<n>...) are the one common syntax JS lacks.
  const src = str(pattern, `'is ${test}' pattern`).replaceAll('(?P<', '(?<');
  try {
    return new RegExp(src, flags);
  } catch (e) {
    throw new FilterError(`'is ${test}': invalid regular expression: ${(e as Error).message}`);
  }
}

/** Loose version comparison: numeric parts compare as numbers, others as strings. */
function compareVersions(a: string, b: string): number {
  const pa = a.match(/\d+|[a-z]+/gi) ?? [];
  const pb = b.match(/\d+|[a-z]+/gi) ?? [];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    const nx = Number(x);
    const ny = Number(y);
    const c = Number.isNaN(nx) || Number.isNaN(ny) ? x.localeCompare(y) : nx - ny;
    if (c !== 0) return Math.sign(c);
  }
  return 0;
}

const VERSION_OPS: Record<string, (c: number) => boolean> = {
  '<': (c) => c < 0, lt: (c) => c < 0, '<=': (c) => c <= 0, le: (c) => c <= 0,
  '>': (c) => c > 0, gt: (c) => c > 0, '>=': (c) => c >= 0, ge: (c) => c >= 0,
  '==': (c) => c === 0, '=': (c) => c === 0, eq: (c) => c === 0,
  '!=': (c) => c !== 0, '<>': (c) => c !== 0, ne: (c) => c !== 0,
};

function version(v: unknown, other: unknown, op: unknown = 'eq'): boolean {
  const name = str(op, "'is version' operator");
  const check = Object.hasOwn(VERSION_OPS, name) ? VERSION_OPS[name] : undefined;
  if (!check) throw new FilterError(`'is version': unknown operator '${name}'; use one of ${Object.keys(VERSION_OPS).join(', ')}`);
  return check(compareVersions(toPyString(v), toPyString(other)));
}

const t = (min: number, max: number, apply: TestDef['apply'], soft = false): TestDef => ({ min, max, apply, soft });
const isInt = (v: unknown, what: string): number => {
  const n = num(v, what);
  return Number.isInteger(n) ? n : fail(what, v, 'an integer');
};

const TEST_TABLE: Record<string, TestDef> = {
  defined: t(0, 0, (v) => v !== undefined, true),
  undefined: t(0, 0, (v) => v === undefined, true),
  none: t(0, 0, (v) => v === null),
  true: t(0, 0, (v) => v === true),
  false: t(0, 0, (v) => v === false),
  truthy: t(0, 0, (v) => isTruthy(v)),
  falsy: t(0, 0, (v) => !isTruthy(v)),
  string: t(0, 0, (v) => typeof v === 'string'),
  number: t(0, 0, (v) => typeof v === 'number'),
  integer: t(0, 0, (v) => Number.isInteger(v)),
  float: t(0, 0, (v) => typeof v === 'number' && !Number.isInteger(v)),
  boolean: t(0, 0, (v) => typeof v === 'boolean'),
  mapping: t(0, 0, (v) => isMapping(v)),
  // Jinja: anything with a length and items, so strings and mappings too.
  sequence: t(0, 0, (v) => typeof v === 'string' || Array.isArray(v) || isMapping(v)),
  iterable: t(0, 0, (v) => typeof v === 'string' || Array.isArray(v) || isMapping(v)),
  even: t(0, 0, (v) => isInt(v, "'is even'") % 2 === 0),
  odd: t(0, 0, (v) => Math.abs(isInt(v, "'is odd'") % 2) === 1),
  divisibleby: t(1, 1, (v, [n]) => isInt(v, "'is divisibleby'") % isInt(n, "'is divisibleby' argument") === 0),
  equalto: t(1, 1, (v, [x]) => deepEqual(v, x)),
  match: t(1, 1, (v, [p]) => {
    const re = regex(p, 'y', 'match'); // sticky: anchored at the start, like re.match
    return re.test(str(v, "'is match'"));
  }),
  search: t(1, 1, (v, [p]) => regex(p, '', 'search').test(str(v, "'is search'"))),
  version: t(1, 2, (v, [other, op]) => version(v, other, op)),
  succeeded: t(0, 0, (v) => !isTruthy(result(v, 'succeeded').failed)),
  failed: t(0, 0, (v) => isTruthy(result(v, 'failed').failed)),
  changed: t(0, 0, changed),
  skipped: t(0, 0, (v) => isTruthy(result(v, 'skipped').skipped)),
};
// Ansible's aliases.
TEST_TABLE.success = TEST_TABLE.succeeded!;
TEST_TABLE.failure = TEST_TABLE.failed!;
TEST_TABLE.change = TEST_TABLE.changed!;
TEST_TABLE.skip = TEST_TABLE.skipped!;
TEST_TABLE.eq = TEST_TABLE.equalto!;

export const TEST_NAMES: readonly string[] = Object.freeze(Object.keys(TEST_TABLE).sort());

export function getTest(name: string): TestDef | undefined {
  return Object.hasOwn(TEST_TABLE, name) ? TEST_TABLE[name] : undefined;
}
