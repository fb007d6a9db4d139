// Static checks after loading: undefined variables, unknown handlers, bad templates.
// They run before any host is contacted.
import { closest, distance } from 'fastest-levenshtein';
import { Problem, type Loc } from '../errors.js';
import { ConditionSyntaxError, parseCondition, variableRefs } from '../expr/parse.js';
import { valueLocOf } from '../load/locations.js';
import { templateRefs } from '../template/refs.js';
import type { Cond, Node, Play, TaskNode } from './model.js';

export interface KnownNames {
  /** Extra vars, inventory variables of every host and group, facts, magic variables. */
  global: ReadonlySet<string>;
}

/** Names every task may read without defining them. */
export const MAGIC_VARS = [
  'inventory_hostname',
  'inventory_hostname_short',
  'group_names',
  'groups',
  'hostvars',
  'playbook_dir',
  'role_path',
  'role_name',
  'ansible_facts',
  'kiln_facts',
  'ansible_check_mode',
  'ansible_diff_mode',
  'ansible_play_hosts',
  'ansible_play_batch',
  'ansible_loop',
  'omit',
];

function isFactLike(name: string): boolean {
  return name.startsWith('ansible_') || name.startsWith('kiln_');
}

/** Run every static check on the loaded plays; returns the problems found. */
export function checkPlays(plays: Play[], known: KnownNames): Problem[] {
  const problems: Problem[] = [];
  const registered = new Set<string>();
  const facts = new Set<string>();
  for (const play of plays) {
    forEachTask(play, (t) => {
      if (t.register) registered.add(t.register);
      if (t.module === 'set_fact' && t.args && typeof t.args === 'object') for (const k of Object.keys(t.args)) facts.add(k);
    });
  }
  for (const play of plays) {
    const playNames = new Set<string>([
      ...known.global,
      ...MAGIC_VARS,
      ...registered,
      ...facts,
      ...Object.keys(play.vars),
      ...play.varsFiles.flatMap((v) => Object.keys(v)),
      ...Object.keys(play.importVars),
    ]);
    checkHandlers(play, problems);
    forEachTask(play, (t) => checkTask(t, playNames, problems));
  }
  return problems;
}

function forEachTask(play: Play, fn: (t: TaskNode) => void): void {
  const visit = (nodes: Node[]): void => {
    for (const n of nodes) {
      if (n.kind === 'task') fn(n);
      else if (n.kind === 'block') {
        visit(n.block);
        visit(n.rescue);
        visit(n.always);
      }
    }
  };
  for (const s of play.sections) visit(s);
  for (const h of play.handlers) fn(h);
}

function checkHandlers(play: Play, problems: Problem[]): void {
  const names = new Set<string>();
  for (const h of play.handlers) {
    names.add(h.name);
    for (const l of h.listen) names.add(l);
  }
  forEachTask(play, (t) => {
    for (const n of t.notify) {
      if (names.has(n)) continue;
      const guess = names.size ? closest(n, [...names]) : undefined;
      problems.push(
        new Problem(`notify: no handler is named or listens to "${n}"`, {
          loc: t.loc,
          context: `task "${t.name}"`,
          key: 'notify',
          value: JSON.stringify(n),
          fix: guess && distance(guess, n) <= Math.max(2, n.length / 3) ? `did you mean "${guess}"?` : names.size ? `handlers of this play: ${[...names].join(', ')}` : 'add a handlers: section with a task of this name',
        }),
      );
    }
  });
}

function checkTask(t: TaskNode, playNames: ReadonlySet<string>, problems: Problem[]): void {
  const role = t.inherited.role;
  const local = new Set<string>([
    ...Object.keys(t.vars),
    ...t.inherited.blockVars.flatMap((v) => Object.keys(v)),
    ...(role ? [...Object.keys(role.defaults), ...Object.keys(role.vars), ...Object.keys(role.params)] : []),
  ]);
  if (t.loop !== undefined) {
    local.add(t.loopVar);
    if (t.indexVar) local.add(t.indexVar);
  }
  const isKnown = (n: string): boolean => local.has(n) || playNames.has(n) || isFactLike(n);
  const context = `task "${t.name}"`;
  const report = (name: string, where: Loc | undefined, key: string, text: string): void => {
    const all = [...local, ...playNames].filter((x) => !MAGIC_VARS.includes(x));
    const guess = all.length ? closest(name, all) : undefined;
    problems.push(
      new Problem(`undefined variable "${name}"`, {
        loc: where ?? t.loc,
        context,
        key,
        value: JSON.stringify(text),
        fix:
          guess && distance(guess, name) <= Math.max(1, Math.floor(name.length / 3))
            ? `did you mean "${guess}"?`
            : `define "${name}" in vars, vars_files, the inventory, a role's defaults, register/set_fact, or -e; or guard it: {{default ${name} "..."}} / when: ${name} is defined`,
      }),
    );
  };
  const checkString = (text: string, where: Loc | undefined, key: string): void => {
    let refs;
    try {
      refs = templateRefs(text);
    } catch (e) {
      problems.push(
        new Problem(`template syntax error: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`, {
          loc: where ?? t.loc,
          context,
          key,
          value: JSON.stringify(text),
          fix: 'kiln templates are Handlebars: {{ var }}, {{default var "x"}}, {{#if var}}...{{/if}}, {{#each list}}{{this}}{{/each}}',
        }),
      );
      return;
    }
    for (const r of refs) if (!r.guarded && !isKnown(r.name)) report(r.name, where, key, text);
  };
  const walk = (value: unknown, owner: unknown, key: string | number, path: string): void => {
    if (typeof value === 'string') checkString(value, valueLocOf(owner, key), path);
    else if (Array.isArray(value)) value.forEach((v, i) => walk(v, value, i, `${path}[${i}]`));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, value, k, `${path}.${k}`);
  };
  walk(t.args, { [t.module]: t.args }, t.module, t.module);
  walk(t.vars, { vars: t.vars }, 'vars', 'vars');
  if (typeof t.loop === 'string') checkString(t.loop, t.loc, 'loop');
  else if (Array.isArray(t.loop)) walk(t.loop, { loop: t.loop }, 'loop', 'loop');
  checkString(t.name, t.loc, 'name');
  const conds = (list: Cond[] | undefined, key: string): void => {
    for (const c of list ?? []) {
      if (typeof c.parsed === 'boolean') continue;
      for (const r of variableRefs(c.parsed)) if (!r.guarded && !isKnown(r.name)) report(r.name, c.loc, key, c.text);
    }
  };
  conds(t.inherited.when, 'when');
  conds(t.changedWhen, 'changed_when');
  conds(t.failedWhen, 'failed_when');
  conds(t.until, 'until');
  if (t.module === 'assert' && t.args && typeof t.args === 'object') {
    const args = t.args as Record<string, unknown>;
    const that = args['that'];
    const list = Array.isArray(that) ? that : [that];
    list.forEach((text, i) => {
      if (typeof text !== 'string') return;
      const where = Array.isArray(that) ? valueLocOf(that, i) : valueLocOf(args, 'that');
      try {
        for (const r of variableRefs(parseCondition(text))) if (!r.guarded && !isKnown(r.name)) report(r.name, where, 'assert.that', text);
      } catch (e) {
        if (!(e instanceof ConditionSyntaxError)) throw e;
        problems.push(new Problem(`assert.that: ${e.reason}`, { loc: where, context, key: 'assert.that', value: JSON.stringify(text), fix: e.hint ?? 'see src/engine/expr/GRAMMAR.md' }));
      }
    });
  }
}
