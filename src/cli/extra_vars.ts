// -e k=v, -e '{"json": 1}', -e @file.yml: extra variables, the highest level.
import { UsageError, ValidationError } from '../engine/errors.js';
import { loadYamlFile, parseYaml } from '../engine/load/yaml.js';
import { validateAgainst } from '../engine/schema/validate.js';
import { split } from 'shlex';

/** Parse every -e value in order; later ones win. */
export function parseExtraVars(values: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  for (const v of values) Object.assign(out, one(v));
  return out;
}

function one(v: string): Record<string, unknown> {
  if (v.startsWith('@')) {
    const loaded = loadYamlFile(v.slice(1));
    const problems = validateAgainst('vars.schema.json', loaded.value);
    if (problems.length) throw new ValidationError(problems);
    return (loaded.value ?? {}) as Record<string, unknown>;
  }
  const t = v.trim();
  if (t.startsWith('{')) {
    const loaded = parseYaml(t, '-e', { cache: false });
    if (!loaded.value || typeof loaded.value !== 'object' || Array.isArray(loaded.value)) throw new UsageError(`-e ${JSON.stringify(v)}: expected a mapping`);
    return loaded.value as Record<string, unknown>;
  }
  const out: Record<string, unknown> = {};
  let words: string[];
  try {
    words = split(v);
  } catch {
    throw new UsageError(`-e ${JSON.stringify(v)}: unbalanced quotes; write -e 'key=value' or -e @vars.yml`);
  }
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new UsageError(`-e ${JSON.stringify(v)}: expected key=value, a JSON/YAML mapping, or @file.yml`);
    const key = w.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new UsageError(`-e: ${JSON.stringify(key)} is not a valid variable name`);
    // key=value values stay strings, as in Ansible.
    out[key] = w.slice(eq + 1);
  }
  return out;
}
