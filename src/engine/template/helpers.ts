// The Handlebars helpers kiln templates can use, in addition to Handlebars' own (if, each, ...).
import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import type Handlebars from 'handlebars';
import { deepEqual, isTruthy } from '../expr/truthy.js';
import { quote } from '../connection/quote.js';
import yaml from '../load/yaml_lib.cjs';

type HelperOptions = Handlebars.HelperOptions;

/** Drop Handlebars' trailing options argument from a helper's arguments. */
function args(all: unknown[]): unknown[] {
  return all.slice(0, -1);
}

function str(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Where relative `file` paths resolve from; set by the runner per playbook. */
export const helperState = { baseDir: process.cwd() };

export const HELPERS: Record<string, (...a: unknown[]) => unknown> = {
  /** {{default x "fallback"}}: x unless it is undefined or null (empty strings stay). */
  default: (...a) => {
    const [v, fb] = args(a);
    return v === undefined || v === null ? fb : v;
  },
  eq: (...a) => deepEqual(args(a)[0], args(a)[1]),
  ne: (...a) => !deepEqual(args(a)[0], args(a)[1]),
  lt: (...a) => (args(a)[0] as number) < (args(a)[1] as number),
  le: (...a) => (args(a)[0] as number) <= (args(a)[1] as number),
  gt: (...a) => (args(a)[0] as number) > (args(a)[1] as number),
  ge: (...a) => (args(a)[0] as number) >= (args(a)[1] as number),
  and: (...a) => args(a).every(isTruthy),
  or: (...a) => args(a).some(isTruthy),
  not: (...a) => !isTruthy(args(a)[0]),
  /** {{join list ", "}} */
  join: (...a) => {
    const [list, sep] = args(a);
    return Array.isArray(list) ? list.map(str).join(sep === undefined ? '' : str(sep)) : str(list);
  },
  to_json: (...a) => JSON.stringify(args(a)[0]),
  to_nice_json: (...a) => JSON.stringify(args(a)[0], null, 2),
  to_yaml: (...a) => yaml().stringify(args(a)[0]).replace(/\n$/, ''),
  upper: (...a) => str(args(a)[0]).toUpperCase(),
  lower: (...a) => str(args(a)[0]).toLowerCase(),
  trim: (...a) => str(args(a)[0]).trim(),
  replace: (...a) => {
    const [s, from, to] = args(a);
    return str(s).split(str(from)).join(str(to));
  },
  basename: (...a) => basename(str(args(a)[0])),
  dirname: (...a) => dirname(str(args(a)[0])),
  length: (...a) => {
    const v = args(a)[0];
    if (typeof v === 'string' || Array.isArray(v)) return v.length;
    return v && typeof v === 'object' ? Object.keys(v).length : 0;
  },
  /** Shell-quote a value for a command line inside a template (e.g. a cron line). */
  quote: (...a) => quote(str(args(a)[0])),
  b64encode: (...a) => Buffer.from(str(args(a)[0]), 'utf8').toString('base64'),
  b64decode: (...a) => Buffer.from(str(args(a)[0]), 'base64').toString('utf8'),
  /** {{file "path"}}: a controller-side file's content (relative to the playbook). */
  file: (...a) => {
    const p = str(args(a)[0]);
    return readFileSync(isAbsolute(p) ? p : resolve(helperState.baseDir, p), 'utf8');
  },
  /** {{env "HOME"}}: a controller environment variable. */
  env: (...a) => process.env[str(args(a)[0])] ?? '',
  /** {{concat a b c}} */
  concat: (...a) => args(a).map(str).join(''),
  /** {{#each (range 1 3)}}: integers from..to inclusive. */
  range: (...a) => {
    const [from, to] = args(a) as number[];
    const out: number[] = [];
    for (let i = Number(from); i <= Number(to); i++) out.push(i);
    return out;
  },
};

/** Helper names, for telling helpers from variables in static checks. */
export const HELPER_NAMES = new Set([...Object.keys(HELPERS), 'if', 'unless', 'each', 'with', 'lookup', 'log']);

/** Helpers whose first argument may be undefined on purpose (like Ansible's `is defined`). */
export const GUARDING_HELPERS = new Set(['default', 'if', 'unless', 'with']);

export type { HelperOptions };
