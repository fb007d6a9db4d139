// What the engine must know of a module before it runs it, read from the module's schema (the
// x-… keywords), so that the engine never names a module.
import type { ModuleTraits } from '../module.js';
import { moduleSchemas } from './registry.js';

let byKey: Map<string, ModuleTraits> | undefined;

function read(schema: Record<string, unknown>): ModuleTraits {
  const t: { -readonly [K in keyof ModuleTraits]: ModuleTraits[K] } = {};
  if (typeof schema['x-free-form'] === 'string') t.freeForm = schema['x-free-form'];
  if (schema['x-raw-string'] === true) t.rawString = true;
  if (Array.isArray(schema['x-conditions'])) t.conditions = schema['x-conditions'] as string[];
  const facts = schema['x-sets-facts'] as { except?: string[] } | undefined;
  if (facts && typeof facts === 'object') t.setsFacts = { except: facts.except ?? [] };
  if (schema['x-play-control'] === true) t.playControl = true;
  if (schema['x-local'] === true) t.local = true;
  return Object.freeze(t);
}

const NONE: ModuleTraits = Object.freeze({});

/** The traits of the module a task key names (a name or an alias); none for an unknown key. */
export function moduleTraits(key: string): ModuleTraits {
  if (!byKey) {
    byKey = new Map();
    for (const m of moduleSchemas()) {
      const t = read(m.schema);
      for (const k of m.keys) byKey.set(k, t);
    }
  }
  return byKey.get(key) ?? NONE;
}
