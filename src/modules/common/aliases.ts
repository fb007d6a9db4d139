// Ansible's argument aliases (lineinfile's dest for path, user's createhome for create_home): the
// schemas list them as properties of their own, and a module folds them into the canonical name here.
import { ModuleError } from '../../engine/errors.js';

/**
 * A copy of `args` where the first of `aliases` given stands under `name`, the aliases removed.
 * Two spellings of one argument at once fail, naming both.
 */
export function foldAliases<T extends object>(args: T, name: string, aliases: readonly string[]): T {
  const a = args as Record<string, unknown>;
  const given = [name, ...aliases].filter((k) => a[k] !== undefined);
  if (given.length > 1) throw new ModuleError(`${given.join(' and ')} are the same argument; give only ${name}`);
  if (given.length === 0 || given[0] === name) return args;
  const out: Record<string, unknown> = { ...a, [name]: a[given[0] as string] };
  for (const k of aliases) delete out[k];
  return out as T;
}
