// Entry point: read every -i source (file, folder, script, "a,b," list) into one reconciled inventory.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { Problem, ValidationError, type Loc } from '../errors.js';
import { parseYaml, probeYaml, type LoadedYaml } from '../load/yaml.js';
import { isVaulted } from '../vault/format.js';
import { decryptVaulted, rememberSecretText } from '../vault/keyring.js';
import { addIniInventory } from './ini.js';
import { parseHostEntry } from './ranges.js';
import { addDynamicInventory, addScriptInventory, isInventoryScript, looksLikeDynamicInventory } from './script.js';
import { addChildGroup, addHostToGroup, childLinkLoc, newInventory, type Inventory } from './types.js';
import { applyVarsDirs } from './vars_dirs.js';
import { addYamlInventory, looksLikeYamlInventory } from './yaml.js';

export interface LoadInventoryOptions {
  /** The playbook's folder: its group_vars/ and host_vars/ win over the inventory's. */
  playbookDir?: string;
}

const YAML_EXTENSIONS = new Set(['.yml', '.yaml', '.json']);

// Files Ansible skips in an inventory folder: backups, editor files, docs, retry files.
const IGNORED_EXTENSIONS = new Set(['.orig', '.bak', '.swp', '.retry', '.pyc', '.pyo', '.rpm', '.md', '.txt', '.rst', '.cfg']);

/**
 * `sources` are -i values: file paths, directories (every file inside, in name order), executable
 * scripts, or a comma list "host1,host2," (trailing comma like Ansible). No sources → the implicit localhost.
 */
export async function loadInventory(sources: string[], opts: LoadInventoryOptions = {}): Promise<Inventory> {
  const inv = newInventory();
  const varsBases: string[] = [];
  if (sources.length === 0) {
    implicitLocalhost(inv);
  } else {
    const problems: Problem[] = [];
    for (const source of sources) {
      try {
        const base = await addSource(inv, source);
        if (base !== undefined) varsBases.push(base);
      } catch (e) {
        if (!(e instanceof ValidationError)) throw e;
        problems.push(...e.problems);
      }
    }
    problems.push(...reconcile(inv));
    if (problems.length) throw new ValidationError(problems);
  }
  if (opts.playbookDir !== undefined) varsBases.push(opts.playbookDir);
  // Each folder is read once, at its last (strongest) position: the playbook's comes last.
  const bases = varsBases.map((b) => resolve(b));
  const ordered = bases.filter((b, i) => bases.lastIndexOf(b) === i);
  for (const base of ordered) applyVarsDirs(inv, base);
  return inv;
}

/** The inventory used without -i: one host, localhost, run without SSH. */
function implicitLocalhost(inv: Inventory): void {
  addHostToGroup(inv, 'ungrouped', 'localhost');
  const host = inv.hosts.get('localhost');
  if (host) host.vars['kiln_connection'] = 'local';
}

/** Read one -i value; returns the folder whose group_vars/ and host_vars/ belong to it. */
async function addSource(inv: Inventory, source: string): Promise<string | undefined> {
  if (!existsSync(source)) {
    if (source.includes(',')) {
      addHostList(inv, source);
      return undefined;
    }
    throw new ValidationError(
      new Problem(`inventory source ${source} does not exist`, {
        key: '-i',
        value: JSON.stringify(source),
        fix: 'give a file, a folder, an executable script, or a comma-separated host list ending in "," (e.g. -i web1,)',
      }),
    );
  }
  if (statSync(source).isDirectory()) {
    const problems: Problem[] = [];
    for (const file of inventoryFilesIn(source)) {
      try {
        await addFile(inv, file);
      } catch (e) {
        if (!(e instanceof ValidationError)) throw e;
        problems.push(...e.problems);
      }
    }
    if (problems.length) throw new ValidationError(problems);
    return source;
  }
  await addFile(inv, source);
  return dirname(source);
}

/** "web1,web2:2222,db[1:2]," → ungrouped hosts, as Ansible's host_list plugin does. */
function addHostList(inv: Inventory, list: string): void {
  const problems: Problem[] = [];
  let offset = 0;
  for (const part of list.split(',')) {
    const entry = part.trim();
    const loc: Loc = { file: '-i', line: 1, col: offset + part.indexOf(entry) + 1 };
    offset += part.length + 1;
    if (entry === '') continue;
    try {
      const parsed = parseHostEntry(entry, { loc, key: '-i' });
      for (const name of parsed.names) {
        addHostToGroup(inv, 'ungrouped', name);
        const host = inv.hosts.get(name);
        if (host && parsed.port !== undefined) host.vars['kiln_port'] = parsed.port;
      }
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      problems.push(...e.problems);
    }
  }
  if (problems.length) throw new ValidationError(problems);
}

/** Every inventory file in a folder, recursively in name order, without vars folders, hidden or ignored files. */
export function inventoryFilesIn(dir: string): string[] {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const ent of entries) {
    const path = join(dir, ent.name);
    if (ent.name.startsWith('.') || ent.name.endsWith('~')) continue;
    const isDir = ent.isDirectory() || (ent.isSymbolicLink() && statSync(path).isDirectory());
    if (isDir) {
      if (ent.name !== 'group_vars' && ent.name !== 'host_vars') out.push(...inventoryFilesIn(path));
      continue;
    }
    const ext = extname(ent.name).toLowerCase();
    if (IGNORED_EXTENSIONS.has(ext)) continue;
    // A script's settings file (ec2.ini next to ec2.py) is not an inventory; Ansible skips every .ini here, kiln only those.
    if (ext === '.ini' && entries.some((o) => o !== ent && stem(o.name) === stem(ent.name) && isInventoryScript(join(dir, o.name)))) continue;
    out.push(path);
  }
  return out;
}

function stem(name: string): string {
  return basename(name, extname(name));
}

/**
 * Read one inventory file, choosing the format as Ansible's plugins do: a script (executable);
 * YAML for .yml/.yaml/.json; for a file without an extension, YAML when it parses as YAML and
 * has an inventory's shape; else INI. (Ansible's yaml plugin skips other extensions: hosts.ini
 * is never read as YAML.)
 */
async function addFile(inv: Inventory, file: string): Promise<void> {
  inv.sources.push(file);
  if (isInventoryScript(file)) {
    await addScriptInventory(inv, file);
    return;
  }
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ValidationError(new Problem(`cannot read inventory ${file} (${code ?? String(e)})`, { fix: 'check the path and its permissions' }));
  }
  // A vaulted inventory (any format) is decrypted first, and its values are secrets.
  const vaulted = isVaulted(source);
  if (vaulted) {
    source = decryptVaulted(source, { file, line: 1, col: 1 }, 'this inventory').toString('utf8');
    rememberSecretText(source);
  }
  let loaded: LoadedYaml | undefined;
  const ext = extname(file).toLowerCase();
  if (YAML_EXTENSIONS.has(ext)) {
    loaded = parseYaml(source, file, { cache: !vaulted });
  } else if (ext === '') {
    // INI lines such as "[web]" or "host a=1" are seldom YAML, and never an inventory's shape.
    const tried = probeYaml(source, file, { cache: !vaulted });
    if (tried && looksLikeYamlInventory(tried.value)) loaded = tried;
  }
  if (!loaded) addIni(inv, source, file, ext);
  else if (looksLikeDynamicInventory(loaded.value)) addDynamicInventory(inv, loaded.value, file);
  else addYamlInventory(inv, loaded);
}

/** A YAML inventory's first line: a top-level key alone ("all:", "web:"). */
const YAML_TOP_KEY = /^[A-Za-z0-9_.-]+:\s*(#.*)?$/;

/**
 * Read INI; when that fails on a file whose extension says INI but whose first line reads as a
 * YAML inventory's ("all:"), say that first, with the rename that fixes it.
 */
function addIni(inv: Inventory, source: string, file: string, ext: string): void {
  try {
    addIniInventory(inv, source, file);
  } catch (e) {
    const first = source.split('\n').find((l) => l.trim() && !/^\s*[#;]/.test(l));
    if (!(e instanceof ValidationError) || ext === '' || !first || !YAML_TOP_KEY.test(first.trimEnd())) throw e;
    const renamed = `${stem(file)}.yml`;
    throw new ValidationError([
      new Problem(`this file reads as a YAML inventory, but its extension (${ext}) makes it INI, as in Ansible`, {
        loc: { file, line: source.split('\n').indexOf(first) + 1, col: 1 },
        fix: `rename it to ${renamed} (or give it no extension); YAML inventories are .yml, .yaml or .json files`,
      }),
      ...e.problems,
    ]);
  }
}

/**
 * What Ansible's reconcile_inventory does after parsing: top groups become children of 'all',
 * hosts with no group go to 'ungrouped' (and leave it once grouped); plus kiln's cycle check.
 * Afterwards 'all' lists no hosts directly and no host lists 'all' among its groups.
 */
function reconcile(inv: Inventory): Problem[] {
  const problems: Problem[] = [];
  const all = inv.groups.get('all');
  for (const parent of all?.parents ?? []) {
    const g = inv.groups.get(parent);
    problems.push(
      new Problem(`the group "all" cannot be a child of "${parent}"`, {
        loc: g ? childLinkLoc(g, 'all') : undefined,
        key: `${parent}.children`,
        value: '"all"',
        fix: `remove "all" from the children of ${parent}; every group is already inside "all"`,
      }),
    );
  }
  if (problems.length) return problems;
  problems.push(...cycles(inv));
  for (const g of inv.groups.values()) if (g.name !== 'all' && g.parents.length === 0) addChildGroup(inv, 'all', g.name);
  const ungrouped = inv.groups.get('ungrouped');
  // Every host is in 'all' implicitly; one listed there directly (YAML all.hosts, INI [all]) is just ungrouped.
  if (all) all.hosts = [];
  for (const host of inv.hosts.values()) {
    host.groups = host.groups.filter((g) => g !== 'all');
    const real = host.groups.filter((g) => g !== 'all' && g !== 'ungrouped');
    if (real.length === 0) addHostToGroup(inv, 'ungrouped', host.name);
    else if (ungrouped && host.groups.includes('ungrouped')) {
      ungrouped.hosts = ungrouped.hosts.filter((h) => h !== host.name);
      host.groups = host.groups.filter((g) => g !== 'ungrouped');
    }
  }
  return problems;
}

/** One problem per parent→child link that closes a loop (a group that is its own ancestor). */
function cycles(inv: Inventory): Problem[] {
  const problems: Problem[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'open');
    stack.push(name);
    const g = inv.groups.get(name);
    for (const child of g?.children ?? []) {
      const s = state.get(child);
      if (s === 'open') {
        const loop = [...stack.slice(stack.indexOf(child)), child].join(' → ');
        problems.push(
          new Problem(`group "${child}" is its own ancestor: ${loop}`, {
            loc: g ? childLinkLoc(g, child) : undefined,
            key: `${name}.children`,
            value: JSON.stringify(child),
            fix: `remove "${child}" from the children of "${name}"; groups must form a tree (or a graph without loops)`,
          }),
        );
      } else if (s === undefined) visit(child);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of inv.groups.keys()) if (!state.has(name)) visit(name);
  return problems;
}
