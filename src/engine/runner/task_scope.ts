// The variables a task sees on a host: its scope, a loop's items with their loop-local
// variables, and the conditions (when, until, changed_when, ...) judged in that scope.
import { ModuleError } from '../errors.js';
import { isTrue } from '../expr/evaluate.js';
import { factVars } from '../facts/gather.js';
import type { Cond, TaskNode } from '../playbook/model.js';
import { renderDeep, renderValue } from '../template/render.js';
import { resolveScope } from '../vars/scope.js';
import type { PlayEnv } from './env.js';
import type { HostState } from './host.js';

type Vars = Record<string, unknown>;

/** The variable scope of a task on a host, with optional loop-local variables. */
export function scopeFor(task: TaskNode, host: HostState, env: PlayEnv, local?: Vars): Vars {
  return resolveScope(
    {
      inventory: host.inventoryVars,
      facts: host.facts ? factVars(host.facts) : {},
      magic: { ...host.magic, playbook_dir: env.playbookDir, ansible_check_mode: env.options.check, ansible_diff_mode: env.options.diff },
      runtime: host.runtime,
      extra: env.options.extraVars,
    },
    { play: env.play, inherited: task.inherited, taskVars: task.vars, local },
  );
}

/** Whether every condition holds in `vars`; else the first that does not. */
export function condsHold(conds: readonly Cond[], vars: Vars): { ok: true } | { ok: false; failed: Cond } {
  for (const c of conds) {
    const v = typeof c.parsed === 'boolean' ? c.parsed : isTrue(c.parsed, vars);
    if (!v) return { ok: false, failed: c };
  }
  return { ok: true };
}

/** One loop item and the variables it adds to the scope. */
export interface LoopItem {
  item: unknown;
  locals: Vars;
}

/**
 * A task's or an include's loop, rendered in `scope`: a string is one expression that must give a
 * list, a list is rendered item by item. Each item comes with its loop-local variables (the loop
 * variable, ansible_loop, and the index variable if asked). Throws ModuleError when it is no list.
 */
export function loopItems(node: Pick<TaskNode, 'loop' | 'loopVar' | 'indexVar'>, scope: Vars): LoopItem[] {
  const items = typeof node.loop === 'string' ? renderValue(node.loop, scope, 'loop') : renderDeep(node.loop, scope, 'loop');
  if (!Array.isArray(items)) throw new ModuleError(`loop must be a list, but it gave ${items === null ? 'null' : typeof items}`);
  const length = items.length;
  return items.map((item: unknown, i) => {
    const locals: Vars = { [node.loopVar]: item, ansible_loop: { index: i + 1, index0: i, first: i === 0, last: i === length - 1, length } };
    if (node.indexVar) locals[node.indexVar] = i;
    return { item, locals };
  });
}

/** The scope with one more variable, without rendering the others (they stay lazy). */
export function withVar(scope: Vars, name: string, value: unknown): Vars {
  const out = Object.defineProperties(Object.create(null) as Vars, Object.getOwnPropertyDescriptors(scope));
  Object.defineProperty(out, name, { value, enumerable: true, configurable: true, writable: true });
  return out;
}
