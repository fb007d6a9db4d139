// Executable inventory scripts (`script --list`) and the dynamic-inventory JSON format they print.
import { execFile } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { Problem, ValidationError, type Loc } from '../errors.js';
import { keyLocOf, locOf, valueLocOf } from '../load/locations.js';
import { parseYaml } from '../load/yaml.js';
import { showValue } from '../schema/validate.js';
import { addChildGroup, addHostToGroup, assignVars, ensureGroup, GROUP_NAME, type Inventory } from './types.js';

/** Ansible's limit for an inventory script, so a hung script cannot stall the run. */
export const SCRIPT_TIMEOUT_MS = 30_000;

/** Extensions that always mean data, even when a file system marks every file executable. */
const DATA_EXTENSIONS = new Set(['.yml', '.yaml', '.json', '.ini', '.cfg', '.txt', '.md']);

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True for an executable file that starts with "#!" or is a binary: a file merely marked executable is still read as data. */
export function isInventoryScript(file: string): boolean {
  if (process.platform === 'win32' || DATA_EXTENSIONS.has(extname(file).toLowerCase())) return false;
  try {
    if ((statSync(file).mode & 0o111) === 0) return false;
    const fd = openSync(file, 'r');
    try {
      const head = Buffer.alloc(4);
      const n = readSync(fd, head, 0, 4, 0);
      return (n >= 2 && head.toString('latin1', 0, 2) === '#!') || (n === 4 && head.toString('latin1') === '\x7fELF');
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** Run an inventory script with --list (and --host per host when it gives no _meta) and add its groups to `inv`. */
export async function addScriptInventory(inv: Inventory, file: string): Promise<void> {
  const label = `${file} (--list output)`;
  const out = await run(file, ['--list']);
  const { value } = parseOutput(out, label, file);
  const hosts = addDynamicInventory(inv, value, label);
  if (isObj(value) && isObj(value['_meta'])) return;
  // Old scripts give host variables one host at a time.
  for (const host of hosts) {
    const hostLabel = `${file} (--host ${host} output)`;
    const parsed = parseOutput(await run(file, ['--host', host]), hostLabel, file).value;
    if (parsed === null) continue;
    if (!isObj(parsed)) {
      throw new ValidationError(
        new Problem(`--host ${host} must print a JSON object of variables`, { loc: locOf(parsed) ?? { file: hostLabel, line: 1, col: 1 }, value: showValue(parsed), fix: 'print {} when the host has no variables' }),
      );
    }
    const h = inv.hosts.get(host);
    if (h) assignVars(h.vars, parsed);
  }
}

function run(file: string, args: string[]): Promise<string> {
  const where: Loc = { file, line: 1, col: 1 };
  const cmd = `${file} ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    // No shell: the path and arguments reach the script exactly as given.
    execFile(file, args, { timeout: SCRIPT_TIMEOUT_MS, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8', windowsHide: true }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null; code?: number | string | null };
      const tail = lastLines(stderr);
      let message: string;
      let fix: string;
      if (e.killed && e.signal) {
        message = `inventory script did not finish within ${SCRIPT_TIMEOUT_MS / 1000} s (${cmd})`;
        fix = 'make the script faster (cache its data) or check what it waits for';
      } else if (typeof e.code === 'string') {
        message = `cannot run inventory script ${file} (${e.code})`;
        fix = e.code === 'EACCES' ? 'make it executable (chmod +x) or give it a data extension such as .yml' : 'check the "#!" line names an installed interpreter';
      } else {
        message = `inventory script failed with exit code ${String(e.code ?? e.signal)} (${cmd})${tail ? `: ${tail}` : ''}`;
        fix = `run "${cmd}" by hand to see the error`;
      }
      reject(new ValidationError(new Problem(message, { loc: where, fix })));
    });
  });
}

function lastLines(text: string): string {
  const lines = text.trim().split('\n').slice(-3).join(' / ');
  return lines.length > 300 ? `${lines.slice(0, 297)}...` : lines;
}

function parseOutput(out: string, label: string, file: string): { value: unknown } {
  if (out.trim() === '') {
    throw new ValidationError(new Problem('inventory script printed nothing', { loc: { file, line: 1, col: 1 }, key: label, fix: 'it must print a JSON object on standard output' }));
  }
  // JSON is YAML, and the YAML loader remembers positions, so errors in the output point at a line.
  return parseYaml(out, label, { cache: false });
}

/** True when a parsed file is in the dynamic-inventory format (what `--list` prints) rather than the YAML format. */
export function looksLikeDynamicInventory(value: unknown): boolean {
  if (!isObj(value)) return false;
  if (Object.hasOwn(value, '_meta')) return true;
  return Object.values(value).some((g) => Array.isArray(g) || (isObj(g) && (Array.isArray(g['hosts']) || Array.isArray(g['children']))));
}

const GROUP_KEYS = ['hosts', 'vars', 'children'];

/** Add dynamic-inventory JSON to `inv`; returns the hosts it named, in order. Throws ValidationError on a bad shape. */
export function addDynamicInventory(inv: Inventory, value: unknown, label: string): string[] {
  const problems: Problem[] = [];
  const fallback: Loc = { file: label, line: 1, col: 1 };
  const problem = (message: string, loc: Loc | undefined, key: string, v: unknown, fix: string): void => {
    problems.push(new Problem(message, { loc: loc ?? fallback, key, value: showValue(v), fix }));
  };
  if (!isObj(value)) {
    problem('inventory JSON must be an object of groups', locOf(value), '(top level)', value, 'print {"group": {"hosts": [...]}, "_meta": {"hostvars": {}}}');
    throw new ValidationError(problems);
  }
  const seen: string[] = [];
  const names = (list: unknown, owner: Obj, key: string, path: string): { name: string; loc: Loc | undefined }[] => {
    if (list === null || list === undefined) return [];
    if (!Array.isArray(list)) {
      problem(`${path} must be a list of names`, valueLocOf(owner, key), path, list, 'write a JSON list: ["a", "b"]');
      return [];
    }
    const ok: { name: string; loc: Loc | undefined }[] = [];
    list.forEach((n, i) => {
      if (typeof n === 'string' || typeof n === 'number') ok.push({ name: String(n), loc: keyLocOf(list, i) });
      else problem(`${path}[${i}] must be a name`, keyLocOf(list, i), `${path}[${i}]`, n, 'write names as strings');
    });
    return ok;
  };
  for (const group of Object.keys(value)) {
    if (group === '_meta') continue;
    if (!GROUP_NAME.test(group)) {
      problem(`"${group}" is not a valid group name`, keyLocOf(value, group), group, group, 'group names start with a letter or "_" and contain only letters, digits, "_" and "-"');
      continue;
    }
    const raw = value[group];
    // A bare list is shorthand for {"hosts": [...]}.
    const def: Obj = Array.isArray(raw) ? { hosts: raw } : isObj(raw) ? raw : {};
    if (!Array.isArray(raw) && !isObj(raw) && raw !== null) {
      problem(`group ${group} must be an object or a list of hosts`, valueLocOf(value, group), group, raw, 'write {"hosts": [...], "vars": {...}, "children": [...]}');
      continue;
    }
    for (const k of Object.keys(def)) {
      if (!GROUP_KEYS.includes(k)) problem(`unknown key "${group}.${k}"`, keyLocOf(def, k), `${group}.${k}`, def[k], 'allowed keys here: hosts, vars, children');
    }
    ensureGroup(inv, group);
    for (const { name: h } of names(def['hosts'], isObj(raw) ? raw : value, isObj(raw) ? 'hosts' : group, `${group}.hosts`)) {
      addHostToGroup(inv, group, h);
      if (!seen.includes(h)) seen.push(h);
    }
    const vars = def['vars'];
    if (isObj(vars)) assignVars(ensureGroup(inv, group).vars, vars);
    else if (vars !== undefined && vars !== null) problem(`${group}.vars must be an object`, valueLocOf(def, 'vars'), `${group}.vars`, vars, 'write {"name": value, ...}');
    for (const { name: child, loc } of names(def['children'], def, 'children', `${group}.children`)) {
      if (!GROUP_NAME.test(child)) {
        problem(`"${child}" is not a valid group name`, loc, `${group}.children`, child, 'group names start with a letter or "_" and contain only letters, digits, "_" and "-"');
        continue;
      }
      addChildGroup(inv, group, child, loc);
    }
  }
  const meta = value['_meta'];
  if (meta !== undefined) {
    const hostvars = isObj(meta) ? meta['hostvars'] : undefined;
    if (!isObj(meta) || (hostvars !== undefined && hostvars !== null && !isObj(hostvars))) {
      problem('_meta.hostvars must be an object of host name → variables', valueLocOf(value, '_meta'), '_meta', meta, 'print "_meta": {"hostvars": {"host1": {...}}}');
    } else if (isObj(hostvars)) {
      // Like Ansible, variables only apply to hosts that some group lists.
      for (const h of seen) {
        const hv = hostvars[h];
        if (hv === undefined || hv === null) continue;
        const host = inv.hosts.get(h);
        if (isObj(hv) && host) assignVars(host.vars, hv);
        else problem(`_meta.hostvars.${h} must be an object`, valueLocOf(hostvars, h), `_meta.hostvars.${h}`, hv, 'write {"name": value, ...}');
      }
    }
  }
  if (problems.length) throw new ValidationError(problems);
  return seen;
}
