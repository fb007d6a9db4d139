// Check mode: a command check mode does not run (no creates/removes to decide it) registers no
// output. A later task that reads that variable before it runs (taskReads) cannot be predicted
// either: it is skipped, naming the task it waits for, instead of failing on an undefined
// `result.stdout` (Ansible's check mode fails or guesses there). What it registers or sets is
// then unknown too, so the tasks after it are skipped the same way.
import { parseCondition } from '../expr/parse.js';
import { freeVariables } from '../expr/refs.js';
import type { TaskNode } from '../playbook/model.js';
import { moduleTraits } from '../schema/traits.js';
import { templateRefs } from '../template/refs.js';

const reads = new WeakMap<TaskNode, ReadonlySet<string>>();

/**
 * The root variable names a task reads before it runs: its when, loop, arguments (the bare
 * conditions of assert's `that` too), delegate_to and environment.
 */
export function taskReads(task: TaskNode): ReadonlySet<string> {
  let r = reads.get(task);
  if (!r) reads.set(task, (r = collect(task)));
  return r;
}

function collect(task: TaskNode): Set<string> {
  const out = new Set<string>();
  const condition = (text: string): void => {
    try {
      for (const n of freeVariables(parseCondition(text))) out.add(n);
    } catch {
      // a syntax error: the task reports it when it runs
    }
  };
  for (const c of task.inherited.when) {
    if (typeof c.parsed !== 'boolean') for (const n of freeVariables(c.parsed)) out.add(n);
  }
  const strings = (v: unknown): void => {
    if (typeof v === 'string') {
      try {
        for (const ref of templateRefs(v)) out.add(ref.name);
      } catch {
        // a syntax error: the task reports it when it runs
      }
    } else if (Array.isArray(v)) v.forEach(strings);
    else if (v && typeof v === 'object') Object.values(v).forEach(strings);
  };
  strings(task.args);
  strings(task.loop);
  strings(task.inherited.delegateTo);
  strings(task.inherited.environment);
  const args = task.args as Record<string, unknown> | null;
  for (const key of moduleTraits(task.module).conditions ?? []) {
    const v = args?.[key];
    for (const t of typeof v === 'string' ? [v] : Array.isArray(v) ? v : []) if (typeof t === 'string') condition(t);
  }
  return out;
}

/** The reason a task is skipped when it reads `name`, which `task` (check mode did not run it) would have set. */
export function waitsFor(name: string, task: string): string {
  return `depends on ${name}, set by task '${task}', which check mode does not run`;
}
