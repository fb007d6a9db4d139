// Read ahead: before a host's task runs, read the path facts of that task and of the tasks after
// it in one round trip (one stat, one sha256sum). In a converged run nothing is applied, so every
// later task answers from that one read. Any apply makes the facts stale (PathReads), and the
// next tasks read for themselves until a task applies nothing again.
import type { Module } from '../module.js';
import { asks, type PathAsk, readPathBatch } from '../facts/path.js';
import type { PathReads } from '../facts/path_cache.js';
import { MODULES } from '../../modules/index.js';
import type { Node, TaskNode } from '../playbook/model.js';
import { validateAgainst } from '../schema/validate.js';
import { renderDeep } from '../template/render.js';
import type { PlayEnv } from './env.js';
import type { HostState } from './host.js';
import { condsHold, loopItems, scopeFor } from './task_scope.js';

/** Tasks one read covers; a longer play reads again where the window ends. */
const WINDOW = 64;
/** Loop items one task may add. */
const MAX_ITEMS = 64;

/** The tasks that run after nodes[from] (itself included), in order, up to the next include. */
export function* upcoming(nodes: readonly Node[], from: number): Generator<TaskNode, boolean> {
  for (const node of nodes.slice(from)) {
    if (node.kind === 'include') return false;
    if (node.kind === 'task') yield node;
    else if (!(yield* upcoming(node.block, 0))) return false;
  }
  return true;
}

/** The become user a task's reads run as (the key its facts are cached under). */
export function becomeOf(task: TaskNode): string | undefined {
  return task.inherited.become ? (task.inherited.becomeUser ?? 'root') : undefined;
}

export class ReadAhead {
  /** The generation each host's previous task began at. */
  private readonly began = new WeakMap<HostState, number>();

  constructor(
    private readonly reads: PathReads,
    private readonly env: PlayEnv,
    private readonly selected: (t: TaskNode) => boolean,
  ) {}

  /**
   * Called before `task` runs on `host`. Reads ahead when nothing was applied anywhere since the
   * host's previous task began (after a change, reading ahead would likely be wasted) and no
   * current read already covers this task. Never fails: a task reads for itself when this cannot.
   */
  async before(task: TaskNode, rest: () => Iterable<TaskNode>, host: HostState): Promise<void> {
    const gen = this.reads.generation;
    const quiet = (this.began.get(host) ?? gen) === gen;
    this.began.set(host, gen);
    if (!quiet || task.inherited.delegateTo !== undefined || !MODULES.get(task.module)?.query) return;
    try {
      // A task that reads nothing here (skipped by when) must not wait for the host's connection.
      const own = this.queries(task, host);
      if (!own?.length) return;
      const conn = await this.env.connect(host);
      const become = becomeOf(task);
      if (this.reads.holds(conn, become, task)) return;
      const list: PathAsk[] = [];
      const tasks: TaskNode[] = [];
      for (const t of rest()) {
        if (tasks.length >= WINDOW) break;
        if (t.inherited.delegateTo !== undefined || becomeOf(t) !== become || !this.selected(t) || this.reads.holds(conn, become, t)) continue;
        const found = t === task ? own : this.queries(t, host);
        if (found === undefined) continue;
        list.push(...found);
        tasks.push(t);
      }
      if (!list.length) return;
      const batch = await readPathBatch({ conn, becomeUser: become }, list);
      this.reads.store(conn, become, batch, gen, tasks);
    } catch {
      // The task's own read reports whatever went wrong here.
    }
  }

  /** The paths a task would read on this host now ([] when it is skipped), or undefined when that cannot be known yet. */
  private queries(task: TaskNode, host: HostState): PathAsk[] | undefined {
    const module = MODULES.get(task.module) as Module<unknown, unknown> | undefined;
    if (!module?.query) return undefined;
    try {
      const scope = scopeFor(task, host, this.env);
      if (task.loop === undefined) return condsHold(task.inherited.when, scope).ok ? this.query(module, task, scope) : [];
      const items = loopItems(task, scope);
      if (items.length > MAX_ITEMS) return undefined;
      const out: PathAsk[] = [];
      for (const { locals } of items) {
        const itemScope = scopeFor(task, host, this.env, locals);
        if (condsHold(task.inherited.when, itemScope).ok) out.push(...(this.query(module, task, itemScope) ?? []));
      }
      return out;
    } catch {
      // An undefined variable (say, one a task before registers): that task reads for itself.
      return undefined;
    }
  }

  private query(module: Module<unknown, unknown>, task: TaskNode, scope: Record<string, unknown>): PathAsk[] | undefined {
    const args = renderDeep(task.args, scope, `${task.module} arguments`);
    if (validateAgainst(`modules/${task.module}.schema.json`, args, { keyPrefix: task.module }).length) return undefined;
    const q = module.query?.(args);
    return q ? asks(q) : undefined;
  }
}
