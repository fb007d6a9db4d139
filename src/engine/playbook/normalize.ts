// Before schema validation: free-form module arguments become mappings, as Ansible reads them.
import type { Loc } from '../errors.js';
import { copyLocs, locOf, recordLocs, valueLocOf, type KeyLocs } from '../load/locations.js';
import { locInScalar } from '../load/yaml.js';
import { moduleSchemas } from '../schema/registry.js';
import { moduleTraits } from '../schema/traits.js';
import { moduleKeys } from './keywords.js';

/**
 * Rewrite `module: "k=v k2=v2"` into a mapping and `args:` into the module's arguments.
 * Positions are kept: each argument points at its own word when that can be known, else at
 * the string it came from.
 */
export function normalizeTask(task: Record<string, unknown>): void {
  const mods = moduleKeys();
  for (const key of Object.keys(task)) {
    const mod = mods.get(key);
    if (!mod) continue;
    const value = task[key];
    const at = valueLocOf(task, key);
    const traits = moduleTraits(mod);
    if (typeof value === 'string' && !traits.rawString) {
      const free = traits.freeForm;
      const obj: Record<string, unknown> = Object.create(null);
      const keys: KeyLocs = new Map();
      if (free) {
        obj[free] = value;
        if (at) keys.set(free, { key: at, value: at });
      } else {
        for (const word of splitArgs(value)) {
          const eq = word.text.indexOf('=');
          const name = eq > 0 ? word.text.slice(0, eq) : word.text;
          obj[name] = eq > 0 ? typedArg(mod, name, word.text.slice(eq + 1)) : '';
          if (at) {
            const column = (i: number): Loc => locInScalar(task, key, i) ?? at;
            keys.set(name, { key: column(word.start), value: column(eq > 0 && word.valueStart >= 0 ? word.valueStart : word.start) });
          }
        }
      }
      recordLocs(obj, at, keys);
      task[key] = obj;
    }
    const args = task['args'];
    if (args && typeof args === 'object' && !Array.isArray(args)) {
      const target = task[key];
      const merged: Record<string, unknown> = Object.assign(Object.create(null), args, target && typeof target === 'object' ? target : {});
      if (target && typeof target === 'object') copyLocs(target, merged);
      else if (locOf(args)) copyLocs(args, merged);
      task[key] = merged;
      delete task['args'];
    }
  }
}

interface Word {
  /** The word with its quotes removed (templates inside {{ }} are kept verbatim). */
  text: string;
  /** Offset of the word in the string. */
  start: number;
  /** Offset just after the first "=" (the value's start), or -1. */
  valueStart: number;
}

/**
 * Split `k=v k2="a b" k3={{ x }}` like Ansible's parse_kv: whitespace separates words, except
 * inside quotes and inside {{ }} / {% %}, which may hold spaces.
 */
export function splitArgs(s: string): Word[] {
  const words: Word[] = [];
  let cur: Word | undefined;
  let quote: string | undefined;
  let braces = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    const two = s.slice(i, i + 2);
    if (!cur) {
      if (/\s/.test(c)) continue;
      cur = { text: '', start: i, valueStart: -1 };
      words.push(cur);
    }
    if (braces > 0) {
      cur.text += c;
      if (two === '}}' || two === '%}') {
        cur.text += s[i + 1];
        i++;
        braces--;
      }
      continue;
    }
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && (s[i + 1] === '"' || s[i + 1] === '\\')) cur.text += s[++i];
      else cur.text += c;
      continue;
    }
    if (two === '{{' || two === '{%') {
      cur.text += two;
      i++;
      braces++;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (/\s/.test(c)) {
      cur = undefined;
    } else {
      cur.text += c;
      if (c === '=' && cur.valueStart < 0) cur.valueStart = i + 1;
    }
  }
  return words;
}

const BOOLEANS: Readonly<Record<string, boolean>> = { yes: true, no: false, true: true, false: false, on: true, off: false, y: true, n: false, '1': true, '0': false };

type PropSchema = { type?: string | string[]; oneOf?: { type?: string }[]; anyOf?: { type?: string }[] };

/** The JSON types a module's argument takes, from the schema the registry holds (type, or the types of oneOf/anyOf). */
function argTypes(module: string, name: string): Set<string> {
  const schema = moduleSchemas().find((m) => m.keys.includes(module))?.schema;
  const props = (schema?.['properties'] ?? {}) as Record<string, PropSchema>;
  const p = props[name];
  const out = new Set<string>();
  if (!p) return out;
  for (const t of [p.type, ...(p.oneOf ?? p.anyOf ?? []).map((x) => x.type)].flat()) if (typeof t === 'string') out.add(t);
  return out;
}

/**
 * A `key=value` word's value typed by the module's argument, as Ansible's argument spec converts
 * it: yes/no/true/false (any case) for a boolean, digits for an integer, a comma list for a list.
 * A templated value stays text: it is typed once rendered. A value that fits no type stays text,
 * and the schema then says what is wrong with it.
 */
export function typedArg(module: string, name: string, value: string): unknown {
  if (value.includes('{{') || value.includes('{%')) return value;
  const types = argTypes(module, name);
  if (types.size === 0 || (types.has('string') && !types.has('array'))) return value;
  if (types.has('boolean')) {
    const b = BOOLEANS[value.toLowerCase()];
    if (b !== undefined) return b;
  }
  if ((types.has('integer') && /^-?\d+$/.test(value)) || (types.has('number') && /^-?\d+(\.\d+)?$/.test(value))) return Number(value);
  if (types.has('array') && (!types.has('string') || value.includes(','))) return value.split(',').map((v) => v.trim()).filter((v) => v !== '');
  return value;
}
