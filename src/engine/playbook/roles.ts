// Finding and reading roles: tasks, handlers, defaults, vars, meta dependencies, argument specs.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { Loc, Problem } from '../errors.js';
import { locOf } from '../load/locations.js';
import { validateInline } from '../schema/validate.js';
import { isTemplated } from '../template/render.js';
import { specDefaults, specToSchema } from './argument_specs.js';
import type { VarLayer } from './model.js';

type Raw = Record<string, unknown>;

export interface RoleSearch {
  /** The folder of the playbook (or role) that names the role. */
  baseDir: string;
  extra: string[];
}

export interface LoadedRole {
  name: string;
  dir: string;
  tasks: unknown[];
  handlers: unknown[];
  defaults: VarLayer;
  vars: VarLayer;
  dependencies: { ref: unknown; loc: Loc }[];
  /** Set when some parameters are templated: the runner checks them once rendered. */
  paramSchema?: Raw;
  /** meta/main.yml's allow_duplicates: run again when listed again with the same parameters. */
  allowDuplicates: boolean;
}

/**
 * Where a role may live, in order: beside the playbook, the project's roles/, KILN_ROLES_PATH.
 * A playbook in a role's tests/ folder also finds that role and its siblings.
 */
export function roleDirs(search: RoleSearch): string[] {
  const env = (process.env['KILN_ROLES_PATH'] ?? '').split(':').filter(Boolean);
  const owner = dirname(search.baseDir);
  const tested = basename(search.baseDir) === 'tests' && isRoleDir(owner) ? [dirname(owner)] : [];
  return [...new Set([join(search.baseDir, 'roles'), search.baseDir, ...tested, ...search.extra, ...env, resolve('roles')])];
}

function isRoleDir(p: string): boolean {
  return existsSync(join(p, 'tasks')) || existsSync(join(p, 'meta')) || existsSync(join(p, 'handlers'));
}

/** The folder of a role named (or given by path) at `search`; undefined when there is none. */
export function findRole(name: string, search: RoleSearch): string | undefined {
  if (isAbsolute(name) || name.includes('/')) {
    const p = resolve(search.baseDir, name);
    return existsSync(p) ? p : undefined;
  }
  for (const d of roleDirs(search)) {
    const p = join(d, name);
    if (isRoleDir(p)) return p;
  }
  return undefined;
}

/** Whether a parameter holds a template anywhere, so only rendering can tell its type. */
function templated(v: unknown): boolean {
  if (typeof v === 'string') return isTemplated(v);
  if (Array.isArray(v)) return v.some(templated);
  if (v && typeof v === 'object') return Object.values(v).some(templated);
  return false;
}

/** The YAML file `dir/sub/base(.yml|.yaml|)`, if it exists. */
export function yamlIn(dir: string, sub: string, base: string): string | undefined {
  for (const ext of ['.yml', '.yaml', '']) {
    const p = join(dir, sub, base + ext);
    if (existsSync(p) && statSync(p).isFile()) return p;
  }
  return undefined;
}

/** What reading a role needs of the playbook loader (load.ts's Loader), which passes itself. */
export interface RoleReader {
  /** Problems found so far; a role's parameter problems join them. */
  readonly problems: Problem[];
  /** Validating a role folder on its own (kiln validate roles/x): its parameters are unknown. */
  readonly standaloneRole: boolean;
  problem(message: string, init: ConstructorParameters<typeof Problem>[1]): void;
  /** A YAML file's content once it passed `schema`; undefined (problems noted) when it did not. */
  readValidated(file: string, schema: string): unknown;
}

/** Read a role, validate its files and the caller's parameters; undefined (problems noted) if bad. */
export function loadRole(loader: RoleReader, name: string, search: RoleSearch, loc: Loc, params: Raw, tasksFrom = 'main'): LoadedRole | undefined {
  const dir = findRole(name, search);
  if (!dir) {
    loader.problem(`role "${name}" not found`, { loc, key: 'role', value: JSON.stringify(name), fix: `looked in ${roleDirs(search).join(', ')}; set KILN_ROLES_PATH to add folders` });
    return undefined;
  }
  const read = (sub: string, base: string, schema: string): unknown => {
    const f = yamlIn(dir, sub, base);
    return f ? loader.readValidated(f, schema) : undefined;
  };
  const tasksFile = yamlIn(dir, 'tasks', tasksFrom);
  if (tasksFrom !== 'main' && !tasksFile) {
    loader.problem(`role "${name}" has no tasks/${tasksFrom}.yml`, { loc, key: 'tasks_from', value: JSON.stringify(tasksFrom), fix: `create ${join(dir, 'tasks', `${tasksFrom}.yml`)}` });
  }
  const tasks = (tasksFile ? loader.readValidated(tasksFile, 'tasks.schema.json') : []) ?? [];
  const handlers = read('handlers', 'main', 'handlers.schema.json') ?? [];
  const defaults = (read('defaults', 'main', 'vars.schema.json') ?? {}) as Raw;
  const vars = (read('vars', 'main', 'vars.schema.json') ?? {}) as Raw;
  const meta = (read('meta', 'main', 'role_meta.schema.json') ?? {}) as Raw;
  const specs = read('meta', 'argument_specs', 'argument_specs.schema.json') as Raw | undefined;
  let paramSchema: Raw | undefined;
  if (specs) {
    const schema = specToSchema(specs, tasksFrom);
    if (schema && loader.standaloneRole) {
      for (const k of Object.keys((schema['properties'] as Raw | undefined) ?? {})) if (!Object.hasOwn(params, k)) params[k] = null;
    } else if (schema) {
      const found = validateInline(schema, params, {
        context: `role "${name}" parameters`,
        fallback: loc,
        deferred: (_p, v) => typeof v === 'string' && isTemplated(v),
      });
      // The params were copied from the caller's role entry: problems point at the caller's line.
      loader.problems.push(...found);
      if (Object.values(params).some(templated)) paramSchema = schema;
    }
    Object.assign(defaults, { ...specDefaults(specs, tasksFrom), ...defaults });
  }
  const deps = ((meta['dependencies'] as unknown[] | undefined) ?? []).map((ref, i) => ({
    ref,
    loc: locOf(ref) ?? locOf(meta['dependencies']) ?? { file: join(dir, 'meta', 'main.yml'), line: i + 1, col: 1 },
  }));
  // A role given by path is named after its folder, as in Ansible (role_name, messages).
  return { name: basename(dir), dir, tasks: tasks as unknown[], handlers: handlers as unknown[], defaults, vars, dependencies: deps, paramSchema, allowDuplicates: meta['allow_duplicates'] === true };
}
