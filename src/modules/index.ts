// The module registry: every YAML key a task may use, by name and by alias. The list of modules
// is written by the build from the files in this folder (registry.gen.ts): adding a module is
// adding its file and its schema.
import type { Module } from '../engine/module.js';
import { moduleSchemas } from '../engine/schema/registry.js';
import { ALL } from './registry.gen.js';

// Each module has its own argument and state types; the runner validates arguments by schema.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModule = Module<any, any, any>;

let map: Map<string, AnyModule> | undefined;

/** The keys come from each module's schema: its file name and its `x-aliases`. */
function registry(): ReadonlyMap<string, AnyModule> {
  if (map) return map;
  const byName = new Map(ALL.map((m) => [m.name, m]));
  map = new Map();
  for (const s of moduleSchemas()) {
    const m = byName.get(s.name);
    if (!m) throw new Error(`schemas/${s.file} has no module src/modules/${s.name}.ts`);
    for (const key of s.keys) {
      if (map.has(key)) throw new Error(`module key ${key} is claimed twice`);
      map.set(key, m);
    }
  }
  return map;
}

/** Every module by its name and by each alias (ansible.builtin.copy, ...), read on first use. */
export const MODULES: Pick<ReadonlyMap<string, AnyModule>, 'get' | 'has' | 'keys'> = {
  get: (key) => registry().get(key),
  has: (key) => registry().has(key),
  keys: () => registry().keys(),
};

/** The canonical module names, sorted (aliases left out). */
export function moduleNames(): string[] {
  return ALL.map((m) => m.name).sort();
}
