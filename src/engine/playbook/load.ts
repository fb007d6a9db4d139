// Load a playbook: parse, normalise, validate against the schemas, expand imports and roles,
// resolve inherited keywords, then run the static checks. Everything before any host is touched.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ConditionSyntaxError, parseCondition } from '../expr/parse.js';
import { Problem, ValidationError, type Loc } from '../errors.js';
import { keyLocOf, locOf, locsOfKeys, recordLocs, valueLocOf, type KeyLocs } from '../load/locations.js';
import { loadYamlFile } from '../load/yaml.js';
import { validateAgainst } from '../schema/validate.js';
import { moduleTraits } from '../schema/traits.js';
import { isTemplated } from '../template/render.js';
import { ACTION_KEYWORDS, moduleKeys, taskKeywords } from './keywords.js';
import type { BlockNode, Cond, IncludeNode, Inherited, Node, Play, Playbook, RoleInstance, TaskNode, VarLayer } from './model.js';
import { normalizeTask } from './normalize.js';
import { findRole, loadRole, yamlIn, type RoleSearch } from './roles.js';

type Raw = Record<string, unknown>;

/** The roles a play has run so far (name, parameters, tasks_from), each with its allow_duplicates. */
export type RolesSeen = Map<string, boolean>;

export interface LoadOptions {
  /** Extra folders to look for roles in (KILN_ROLES_PATH, the project's roles/). */
  rolesPath?: string[];
  /**
   * `kiln validate roles/x`: there is no caller, so required parameters are not checked and
   * every declared parameter counts as defined.
   */
  standaloneRole?: boolean;
}

/** Keywords an import_playbook passes to the plays it imports. */
interface ImportKeywords {
  tags: string[];
  when: Cond[];
}

/** A loading pass: collects problems instead of stopping at the first. */
export class Loader {
  readonly problems: Problem[] = [];
  private nextId = 1;
  private readonly importStack: string[] = [];

  constructor(private readonly opts: LoadOptions = {}) {}

  problem(message: string, init: ConstructorParameters<typeof Problem>[1]): void {
    this.problems.push(new Problem(message, init));
  }

  id(): number {
    return this.nextId++;
  }

  /** Read a YAML file and validate it against a schema; undefined (with problems noted) if bad. */
  readValidated(file: string, schema: string, context?: string): unknown {
    try {
      const loaded = loadYamlFile(file);
      this.sources.set(loaded.file, loaded.source.split('\n'));
      if (schema === 'playbook.schema.json' || schema === 'tasks.schema.json' || schema === 'handlers.schema.json') {
        walkTasks(loaded.value, normalizeTask);
      }
      const found = validateAgainst(schema, loaded.value, { context, deferred: (_p, v) => typeof v === 'string' && isTemplated(v) });
      if (found.length) {
        this.problems.push(...found);
        return undefined;
      }
      return loaded.value;
    } catch (e) {
      if (e instanceof ValidationError) {
        this.problems.push(...e.problems);
        return undefined;
      }
      throw e;
    }
  }

  private readonly sources = new Map<string, string[]>();

  /** Whether the scalar at `loc` starts with a quote (so a column inside it shifts by one). */
  private quotedAt(loc: Loc): boolean {
    const lines = this.sources.get(loc.file);
    const ch = lines?.[loc.line - 1]?.[loc.col - 1];
    return ch === '"' || ch === "'";
  }

  get standaloneRole(): boolean {
    return this.opts.standaloneRole === true;
  }

  /** The folder of the playbook being loaded (not of the ones it imports): its roles/ serve every role. */
  private topDir?: string;

  roleSearch(baseDir: string): RoleSearch {
    const top = this.topDir ? [join(this.topDir, 'roles'), this.topDir] : [];
    return { baseDir, extra: [...(this.opts.rolesPath ?? []), ...top] };
  }

  // ------------------------------------------------------------------ playbook and plays

  playbook(file: string, importVars: VarLayer = {}, outer: ImportKeywords = { tags: [], when: [] }): Play[] {
    const abs = resolve(file);
    if (this.importStack.includes(abs)) {
      this.problem(`import_playbook loop: ${[...this.importStack, abs].join(' -> ')}`, { fix: 'remove the import that leads back to an earlier playbook' });
      return [];
    }
    this.topDir ??= dirname(abs);
    this.importStack.push(abs);
    try {
      const raw = this.readValidated(abs, 'playbook.schema.json');
      if (!Array.isArray(raw)) return [];
      const plays: Play[] = [];
      for (const entry of raw as Raw[]) {
        if (Object.hasOwn(entry, 'import_playbook')) {
          const target = resolve(dirname(abs), String(entry['import_playbook']));
          if (!existsSync(target)) {
            this.problem(`import_playbook: ${entry['import_playbook']} does not exist`, {
              loc: valueLocOf(entry, 'import_playbook'),
              key: 'import_playbook',
              value: JSON.stringify(entry['import_playbook']),
              fix: `the path is relative to ${dirname(abs)}`,
            });
            continue;
          }
          // tags and when of an import_playbook apply to every task of the plays it brings in.
          const keywords = { tags: [...outer.tags, ...strList(entry['tags'])], when: [...outer.when, ...this.conds(entry['when'], entry, 'when')] };
          plays.push(...this.playbook(target, { ...importVars, ...((entry['vars'] as Raw) ?? {}) }, keywords));
        } else {
          plays.push(this.play(entry, abs, importVars, outer));
        }
      }
      return plays;
    } finally {
      this.importStack.pop();
    }
  }

  private play(raw: Raw, file: string, importVars: VarLayer, outer: ImportKeywords): Play {
    const dir = dirname(file);
    const loc = locOf(raw) ?? { file, line: 1, col: 1 };
    const hosts = Array.isArray(raw['hosts']) ? (raw['hosts'] as string[]).join(':') : String(raw['hosts']);
    const name = typeof raw['name'] === 'string' ? raw['name'] : hosts;
    const varsFiles: VarLayer[] = [];
    for (const [i, vf] of ((raw['vars_files'] as string[] | undefined) ?? []).entries()) {
      const path = isAbsolute(vf) ? vf : resolve(dir, vf);
      if (isTemplated(vf)) {
        this.problem('vars_files entries cannot be templated in kiln', { loc: valueLocOf(raw['vars_files'], i), value: JSON.stringify(vf), fix: 'give a plain path' });
        continue;
      }
      if (!existsSync(path)) {
        this.problem(`vars_files: ${vf} does not exist`, {
          loc: valueLocOf(raw['vars_files'], i),
          key: 'vars_files',
          value: JSON.stringify(vf),
          fix: `check the path: it is relative to the playbook's folder, ${dir}`,
        });
        continue;
      }
      const v = this.readValidated(path, 'vars.schema.json');
      if (v && typeof v === 'object') varsFiles.push(v as VarLayer);
    }
    const base: Inherited = {
      when: [...outer.when],
      tags: [...outer.tags, ...strList(raw['tags'])],
      blockVars: [],
      become: raw['become'] as boolean | undefined,
      becomeUser: raw['become_user'] as string | undefined,
      ignoreErrors: raw['ignore_errors'] as boolean | undefined,
      checkMode: raw['check_mode'] as boolean | undefined,
      diff: raw['diff'] as boolean | undefined,
      noLog: raw['no_log'] as boolean | undefined,
      environment: raw['environment'] as Record<string, unknown> | undefined,
      anyErrorsFatal: raw['any_errors_fatal'] as boolean | undefined,
    };
    const handlers: TaskNode[] = [];
    const sections: Node[][] = [];
    sections.push(this.tasks(raw['pre_tasks'], dir, base, handlers));
    const roleNodes: Node[] = [];
    const seen: RolesSeen = new Map();
    for (const [i, ref] of ((raw['roles'] as unknown[] | undefined) ?? []).entries()) {
      roleNodes.push(...this.roleRef(ref, dir, base, handlers, seen, locOf(ref) ?? valueLocOf(raw['roles'], i) ?? loc));
    }
    // As in Ansible, roles and tasks are one section: handlers the roles notify run after the tasks.
    sections.push([...roleNodes, ...this.tasks(raw['tasks'], dir, base, handlers)]);
    sections.push(this.tasks(raw['post_tasks'], dir, base, handlers));
    for (const h of (raw['handlers'] as Raw[] | undefined) ?? []) {
      const node = this.node(h, dir, base, handlers, true);
      if (node?.kind === 'task') handlers.push(node);
      else if (node) this.problem('a handler must be a task, not a block or include', { loc: locOf(h), fix: 'move the block into a task file and notify a handler per task' });
    }
    return {
      name,
      hosts,
      loc,
      file,
      vars: (raw['vars'] as VarLayer | undefined) ?? {},
      varsFiles,
      gatherFacts: raw['gather_facts'] !== false,
      serial: serialList(raw['serial']),
      maxFailPercentage: raw['max_fail_percentage'] as number | undefined,
      anyErrorsFatal: raw['any_errors_fatal'] === true,
      forceHandlers: raw['force_handlers'] === true,
      remoteUser: raw['remote_user'] as string | undefined,
      connection: raw['connection'] as 'local' | 'ssh' | undefined,
      checkMode: raw['check_mode'] as boolean | undefined,
      diff: raw['diff'] as boolean | undefined,
      sections,
      handlers,
      importVars,
    };
  }

  // ------------------------------------------------------------------ roles

  /**
   * The nodes of one role reference (and first its dependencies). As in Ansible, a role that
   * `seen` already ran with the same parameters runs again only when its meta/main.yml says
   * allow_duplicates: true.
   */
  roleRef(ref: unknown, dir: string, parent: Inherited, handlers: TaskNode[], seen: RolesSeen, loc: Loc, tasksFrom = 'main'): Node[] {
    const r = typeof ref === 'string' ? ({ role: ref } as Raw) : (ref as Raw);
    const name = String(r['role'] ?? r['name'] ?? '');
    const params: Raw = Object.create(null);
    for (const [k, v] of Object.entries(r)) if (!['role', 'name', 'tags', 'when', 'become', 'become_user', 'vars'].includes(k)) params[k] = v;
    Object.assign(params, (r['vars'] as Raw | undefined) ?? {});
    // Positions of the parameters in the caller's file, so argument_specs problems point there.
    const keys: KeyLocs = new Map();
    for (const k of Object.keys(params)) {
      const at = locsOfKeys(r['vars'] ?? {})?.get(k) ?? (typeof ref === 'object' && ref ? locsOfKeys(ref)?.get(k) : undefined);
      if (at) keys.set(k, at);
    }
    recordLocs(params, locOf(r) ?? loc, keys);
    const key = `${name}\0${JSON.stringify(params)}\0${tasksFrom}`;
    if (seen.get(key) === false) return [];
    const role = loadRole(this, name, this.roleSearch(dir), loc, params, tasksFrom);
    if (!role) return [];
    seen.set(key, role.allowDuplicates);
    const instance: RoleInstance = { name: role.name, dir: role.dir, defaults: role.defaults, vars: role.vars, params, paramSchema: role.paramSchema };
    const inherited: Inherited = {
      ...parent,
      when: [...parent.when, ...this.conds(r['when'], r, 'when')],
      tags: [...parent.tags, ...strList(r['tags'])],
      become: (r['become'] as boolean | undefined) ?? parent.become,
      becomeUser: (r['become_user'] as string | undefined) ?? parent.becomeUser,
      role: instance,
    };
    const out: Node[] = [];
    // Like Ansible, a dependency is looked up beside the role first (its siblings), then as usual.
    for (const dep of role.dependencies) out.push(...this.roleRef(dep.ref, dirname(role.dir), { ...inherited, role: undefined }, handlers, seen, dep.loc));
    out.push(...this.tasks(role.tasks, role.dir, inherited, handlers));
    for (const h of role.handlers) {
      const node = this.node(h as Raw, role.dir, inherited, handlers, true);
      if (node?.kind === 'task') handlers.push(node);
    }
    return out;
  }

  // ------------------------------------------------------------------ tasks

  tasks(list: unknown, baseDir: string, parent: Inherited, handlers: TaskNode[]): Node[] {
    if (!Array.isArray(list)) return [];
    const out: Node[] = [];
    for (const raw of list as Raw[]) {
      if (Object.hasOwn(raw, 'import_tasks')) {
        out.push(...this.importTasks(raw, baseDir, parent, handlers));
        continue;
      }
      if (Object.hasOwn(raw, 'import_role')) {
        const spec = raw['import_role'] as Raw;
        const inherited = this.inherit(parent, raw);
        // vars of an import_role are the role's parameters (checked against its argument_specs).
        out.push(...this.roleRef({ role: spec['name'], vars: raw['vars'] }, baseDir, inherited, handlers, new Map(), locOf(raw) ?? { file: baseDir, line: 1, col: 1 }, (spec['tasks_from'] as string) ?? 'main'));
        continue;
      }
      const node = this.node(raw, baseDir, parent, handlers, false);
      if (node) out.push(node);
    }
    return out;
  }

  private importTasks(raw: Raw, baseDir: string, parent: Inherited, handlers: TaskNode[]): Node[] {
    const spec = raw['import_tasks'];
    const rel = typeof spec === 'string' ? spec : String((spec as Raw)['file']);
    const loc = valueLocOf(raw, 'import_tasks');
    if (isTemplated(rel)) {
      this.problem('import_tasks is static: its file name cannot be templated', { loc, value: JSON.stringify(rel), fix: 'use include_tasks for a file name decided at run time' });
      return [];
    }
    const role = parent.role;
    const candidates = role ? [resolve(role.dir, 'tasks', rel), resolve(baseDir, rel)] : [resolve(baseDir, rel)];
    const file = candidates.find((c) => existsSync(c));
    if (!file) {
      this.problem(`import_tasks: ${rel} does not exist`, { loc, key: 'import_tasks', value: JSON.stringify(rel), fix: `looked in ${candidates.join(', ')}` });
      return [];
    }
    if (this.importStack.includes(file)) {
      this.problem(`import_tasks loop: ${file} imports itself`, { loc, fix: 'remove the import that leads back' });
      return [];
    }
    this.importStack.push(file);
    try {
      const list = this.readValidated(file, 'tasks.schema.json');
      const inherited = this.inherit(parent, raw);
      // vars of an import_tasks apply to every imported task, like a block's.
      if (raw['vars']) inherited.blockVars = [...parent.blockVars, raw['vars'] as VarLayer];
      return this.tasks(list ?? [], dirname(file), inherited, handlers);
    } finally {
      this.importStack.pop();
    }
  }

  /** Merge a block's or task's inheritable keywords under its parent's. */
  inherit(parent: Inherited, raw: Raw): Inherited {
    return {
      ...parent,
      when: [...parent.when, ...this.conds(raw['when'], raw, 'when')],
      tags: [...parent.tags, ...strList(raw['tags'])],
      become: (raw['become'] as boolean | undefined) ?? parent.become,
      becomeUser: (raw['become_user'] as string | undefined) ?? parent.becomeUser,
      ignoreErrors: (raw['ignore_errors'] as boolean | string | undefined) ?? parent.ignoreErrors,
      checkMode: (raw['check_mode'] as boolean | undefined) ?? parent.checkMode,
      diff: (raw['diff'] as boolean | undefined) ?? parent.diff,
      noLog: (raw['no_log'] as boolean | undefined) ?? parent.noLog,
      environment: raw['environment'] ? { ...(parent.environment ?? {}), ...(raw['environment'] as Raw) } : parent.environment,
      delegateTo: (raw['delegate_to'] as string | undefined) ?? parent.delegateTo,
      runOnce: (raw['run_once'] as boolean | undefined) ?? parent.runOnce,
      anyErrorsFatal: (raw['any_errors_fatal'] as boolean | undefined) ?? parent.anyErrorsFatal,
    };
  }

  node(raw: Raw, baseDir: string, parent: Inherited, handlers: TaskNode[], isHandler: boolean): Node | undefined {
    const loc = locOf(raw) ?? { file: baseDir, line: 1, col: 1 };
    if (Object.hasOwn(raw, 'block')) {
      const inherited = this.inherit(parent, raw);
      if (raw['vars']) inherited.blockVars = [...parent.blockVars, raw['vars'] as VarLayer];
      const block: BlockNode = {
        kind: 'block',
        id: this.id(),
        name: raw['name'] as string | undefined,
        loc,
        block: this.tasks(raw['block'], baseDir, inherited, handlers),
        rescue: this.tasks(raw['rescue'], baseDir, inherited, handlers),
        always: this.tasks(raw['always'], baseDir, inherited, handlers),
      };
      return block;
    }
    // The raw mapping itself (not a copy): conditions keep their positions for problems.
    const inherited = this.inherit(parent, raw);
    if (Object.hasOwn(raw, 'include_tasks') || Object.hasOwn(raw, 'include_role')) {
      const isRole = Object.hasOwn(raw, 'include_role');
      const spec = raw[isRole ? 'include_role' : 'include_tasks'];
      const target = typeof spec === 'string' ? spec : String((spec as Raw)[isRole ? 'name' : 'file']);
      const inc: IncludeNode = {
        kind: 'include',
        id: this.id(),
        name: (raw['name'] as string | undefined) ?? `${isRole ? 'include_role' : 'include_tasks'}: ${target}`,
        loc,
        what: isRole ? 'role' : 'tasks',
        target,
        tasksFrom: isRole ? ((spec as Raw)['tasks_from'] as string | undefined) : undefined,
        baseDir,
        inherited,
        parent,
        vars: (raw['vars'] as VarLayer | undefined) ?? {},
        loop: raw['loop'] ?? raw['with_items'],
        loopVar: (((raw['loop_control'] as Raw | undefined) ?? {})['loop_var'] as string | undefined) ?? 'item',
        indexVar: ((raw['loop_control'] as Raw | undefined) ?? {})['index_var'] as string | undefined,
        defines: isTemplated(target) ? [] : this.namesDefinedIn(isRole ? 'role' : 'tasks', target, baseDir, parent, isRole ? ((spec as Raw)['tasks_from'] as string | undefined) : undefined),
      };
      return inc;
    }
    const mods = [...Object.keys(raw)].filter((k) => moduleKeys().has(k));
    const unknown = Object.keys(raw).filter((k) => !moduleKeys().has(k) && !taskKeywords().has(k) && !ACTION_KEYWORDS.has(k));
    if (unknown.length) return undefined; // the schema already reported it
    if (mods.length === 0) {
      this.problem('this task has no module', { loc, context: taskLabel(raw), fix: `add one module key, e.g. ${suggestModules()}` });
      return undefined;
    }
    if (mods.length > 1) {
      this.problem(`a task runs exactly one module, this one names ${mods.length}: ${mods.join(', ')}`, {
        loc: keyLocOf(raw, mods[1] as string) ?? loc,
        context: taskLabel(raw),
        fix: 'split it into one task per module',
      });
      return undefined;
    }
    const key = mods[0] as string;
    const module = moduleKeys().get(key) as string;
    const loopRaw = raw['loop'] ?? raw['with_items'];
    const lc = (raw['loop_control'] as Raw | undefined) ?? {};
    const task: TaskNode = {
      kind: 'task',
      id: this.id(),
      name: typeof raw['name'] === 'string' ? raw['name'] : `${key}`,
      module,
      args: raw[key] ?? {},
      loc,
      baseDir,
      inherited,
      vars: (raw['vars'] as VarLayer | undefined) ?? {},
      loop: loopRaw,
      loopVar: (lc['loop_var'] as string | undefined) ?? 'item',
      indexVar: lc['index_var'] as string | undefined,
      loopLabel: lc['label'] as string | undefined,
      register: raw['register'] as string | undefined,
      notify: strList(raw['notify']),
      listen: isHandler ? strList(raw['listen']) : [],
      changedWhen: raw['changed_when'] === undefined ? undefined : this.conds(raw['changed_when'], raw, 'changed_when'),
      failedWhen: raw['failed_when'] === undefined ? undefined : this.conds(raw['failed_when'], raw, 'failed_when'),
      until: raw['until'] === undefined ? undefined : this.conds(raw['until'], raw, 'until'),
      retries: raw['retries'] as number | undefined,
      delay: raw['delay'] as number | undefined,
      timeout: raw['timeout'] as number | undefined,
    };
    return task;
  }

  /**
   * The register and set_fact names of an included file, read without validating it (that
   * happens when the include runs). A file that cannot be read defines nothing.
   */
  private namesDefinedIn(what: 'tasks' | 'role', target: string, baseDir: string, parent: Inherited, tasksFrom = 'main'): string[] {
    let file: string | undefined;
    if (what === 'tasks') file = parent.role ? join(parent.role.dir, 'tasks', target) : resolve(baseDir, target);
    else {
      const dir = findRole(target, this.roleSearch(baseDir));
      file = dir ? yamlIn(dir, 'tasks', tasksFrom) : undefined;
    }
    if (!file || !existsSync(file)) return [];
    const names: string[] = [];
    try {
      walkTasks(loadYamlFile(file).value, (t) => {
        if (typeof t['register'] === 'string') names.push(t['register']);
        for (const [key, args] of Object.entries(t)) {
          const sets = moduleTraits(key).setsFacts;
          if (sets && args && typeof args === 'object' && !Array.isArray(args)) names.push(...Object.keys(args).filter((k) => !sets.except.includes(k)));
        }
      });
    } catch {
      return [];
    }
    return names;
  }

  /** Parse a condition (or list of them), reporting syntax errors at their position. */
  conds(value: unknown, owner: Raw, key: string): Cond[] {
    if (value === undefined || value === null) return [];
    const list = Array.isArray(value) ? value : [value];
    const out: Cond[] = [];
    list.forEach((v, i) => {
      const loc = Array.isArray(value) ? valueLocOf(value, i) : valueLocOf(owner, key);
      if (typeof v === 'boolean') {
        out.push({ text: String(v), parsed: v, loc });
        return;
      }
      const text = String(v);
      try {
        out.push({ text, parsed: parseCondition(text), loc });
      } catch (e) {
        if (!(e instanceof ConditionSyntaxError)) throw e;
        const at = loc && !text.includes('\n') ? { ...loc, col: loc.col + e.offset + (this.quotedAt(loc) ? 1 : 0) } : loc;
        this.problem(`${key}: ${e.reason}`, { loc: at, key, value: JSON.stringify(text), context: taskLabel(owner), fix: e.hint ?? 'see the condition grammar in src/engine/expr/GRAMMAR.md' });
      }
    });
    return out;
  }
}

function taskLabel(raw: Raw): string {
  return typeof raw['name'] === 'string' ? `task "${raw['name']}"` : 'task';
}

function suggestModules(): string {
  return 'copy, file, template, command';
}

function strList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v.map(String) : [String(v)];
}

function serialList(v: unknown): (number | string)[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? (v as (number | string)[]) : [v as number | string];
}

/** Visit every task mapping of a playbook, tasks file or handlers file (blocks included). */
export function walkTasks(value: unknown, fn: (task: Raw) => void): void {
  const visitList = (list: unknown): void => {
    if (!Array.isArray(list)) return;
    for (const t of list) {
      if (!t || typeof t !== 'object' || Array.isArray(t)) continue;
      const task = t as Raw;
      if (Object.hasOwn(task, 'hosts') || Object.hasOwn(task, 'import_playbook')) {
        for (const k of ['pre_tasks', 'tasks', 'post_tasks', 'handlers']) visitList(task[k]);
        continue;
      }
      fn(task);
      for (const k of ['block', 'rescue', 'always']) visitList(task[k]);
    }
  };
  visitList(value);
}

/** Load and validate a playbook; throws ValidationError listing every problem found. */
export function loadPlaybook(file: string, opts: LoadOptions = {}): { playbook: Playbook; loader: Loader } {
  const loader = new Loader(opts);
  const plays = loader.playbook(file);
  if (loader.problems.length) throw new ValidationError(loader.problems);
  return { playbook: { file: resolve(file), dir: dirname(resolve(file)), plays }, loader };
}

