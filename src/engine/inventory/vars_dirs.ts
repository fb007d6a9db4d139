// group_vars/ and host_vars/ next to an inventory or a playbook, as Ansible's host_group_vars plugin reads them.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Problem, ValidationError } from '../errors.js';
import { parseVaultable } from '../load/yaml.js';
import { assignVars, dict, type Inventory } from './types.js';

/** Extensions tried after the bare name, in Ansible's order; later files win. */
const EXTENSIONS = ['', '.yml', '.yaml', '.json'];

/**
 * Merge `<base>/group_vars/<group>*` into every group and `<base>/host_vars/<host>*` into every host.
 * Files win over variables written in the inventory; call again with a later base to let it win.
 */
export function applyVarsDirs(inv: Inventory, base: string): void {
  const problems: Problem[] = [];
  const read = (kind: 'group_vars' | 'host_vars', listing: Set<string>, name: string, into: Record<string, unknown>): void => {
    for (const file of varsFilesFor(join(base, kind), name, listing)) {
      try {
        assignVars(into, readVarsFile(file));
        inv.sources.push(file);
      } catch (e) {
        if (!(e instanceof ValidationError)) throw e;
        problems.push(...e.problems);
      }
    }
  };
  // One listing per folder: inventories can have thousands of hosts and few files.
  const groupFiles = listing(join(base, 'group_vars'));
  if (groupFiles.size) for (const g of inv.groups.values()) read('group_vars', groupFiles, g.name, g.vars);
  const hostFiles = listing(join(base, 'host_vars'));
  if (hostFiles.size) for (const h of inv.hosts.values()) read('host_vars', hostFiles, h.name, h.vars);
  if (problems.length) throw new ValidationError(problems);
}

/** The files that hold variables for `name` in a group_vars/ or host_vars/ folder, in merge order. */
export function varsFilesFor(dir: string, name: string, entries: Set<string> = listing(dir)): string[] {
  const out: string[] = [];
  for (const ext of EXTENSIONS) {
    if (!entries.has(name + ext)) continue;
    const path = join(dir, name + ext);
    const st = statOrUndefined(path);
    if (st?.isFile()) out.push(path);
    else if (st?.isDirectory() && ext === '') out.push(...filesInDir(path));
  }
  return out;
}

/** A folder like group_vars/web/: its files (recursively) in name order, skipping hidden and editor files. */
function filesInDir(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    const st = statOrUndefined(path);
    if (st?.isDirectory()) out.push(...filesInDir(path));
    else if (st?.isFile() && isVarsFileName(name)) out.push(path);
  }
  return out;
}

function isVarsFileName(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? !name.endsWith('~') : EXTENSIONS.includes(name.slice(dot));
}

/** Read one variables file: a YAML (or JSON) mapping, or empty. */
export function readVarsFile(file: string): Record<string, unknown> {
  const source = readFileSync(file, 'utf8');
  const { value } = parseVaultable(source, file);
  if (value === null) return dict();
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError(
      new Problem('a variables file must be a mapping of variable names to values', {
        loc: { file, line: 1, col: 1 },
        value: Array.isArray(value) ? 'a list' : JSON.stringify(value),
        fix: 'write one "name: value" per line at the top level',
      }),
    );
  }
  return value as Record<string, unknown>;
}

function statOrUndefined(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function listing(dir: string): Set<string> {
  try {
    return new Set(readdirSync(dir));
  } catch {
    return new Set();
  }
}
