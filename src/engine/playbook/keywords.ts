// Task keywords vs module keys, read from the playbook schema (the single source of truth).
import { readJson } from '../schema/registry.js';

interface PropSchema {
  $ref?: string;
}

let cache: { keywords: Set<string>; moduleKeys: Map<string, string> } | undefined;

function load(): { keywords: Set<string>; moduleKeys: Map<string, string> } {
  if (cache) return cache;
  const schema = readJson('playbook.schema.json') as { $defs: Record<string, { properties: Record<string, PropSchema> }> };
  const keywords = new Set<string>();
  const moduleKeys = new Map<string, string>();
  for (const def of ['task', 'handler', 'block']) {
    for (const [k, v] of Object.entries(schema.$defs[def]?.properties ?? {})) {
      const m = /^modules\/(.+)\.schema\.json$/.exec(v.$ref ?? '');
      if (m?.[1]) moduleKeys.set(k, m[1]);
      else keywords.add(k);
    }
  }
  cache = { keywords, moduleKeys };
  return cache;
}

/** Keys that are task/block/handler keywords (when, loop, block, import_tasks, ...). */
export function taskKeywords(): ReadonlySet<string> {
  return load().keywords;
}

/** Every module key a task may use (names and Ansible aliases) → canonical module name. */
export function moduleKeys(): ReadonlyMap<string, string> {
  return load().moduleKeys;
}

/** Keywords that stand in for a module (the task has no module of its own). */
export const ACTION_KEYWORDS = new Set(['import_tasks', 'include_tasks', 'include_role', 'import_role', 'block']);
