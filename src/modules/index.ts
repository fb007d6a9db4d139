// The module registry: every YAML key a task may use, by name and by alias.
import type { Module } from '../engine/module.js';
import { assert } from './assert.js';
import { command } from './command.js';
import { copy } from './copy.js';
import { debug } from './debug.js';
import { dns_record } from './dns_record.js';
import { fail } from './fail.js';
import { file } from './file.js';
import { meta } from './meta.js';
import { packageModule } from './package.js';
import { service } from './service.js';
import { set_fact } from './set_fact.js';
import { shell } from './shell.js';
import { template } from './template.js';

// Each module has its own argument and state types; the runner validates arguments by schema.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModule = Module<any, any>;

const ALL: readonly AnyModule[] = [assert, command, copy, debug, dns_record, fail, file, meta, packageModule, service, set_fact, shell, template];

function build(): ReadonlyMap<string, AnyModule> {
  const map = new Map<string, AnyModule>();
  for (const m of ALL) {
    for (const key of [m.name, ...(m.aliases ?? [])]) {
      if (map.has(key)) throw new Error(`module key ${key} is claimed twice`);
      map.set(key, m);
    }
  }
  return map;
}

/** Every module by its name and by each alias (ansible.builtin.copy, ...). */
export const MODULES: ReadonlyMap<string, AnyModule> = build();

/** The canonical module names, sorted (aliases left out). */
export function moduleNames(): string[] {
  return ALL.map((m) => m.name).sort();
}
