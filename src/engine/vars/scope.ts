// The variable levels, resolved in one function. Lowest first; a later level wins:
//
//   1. role defaults           (roles/x/defaults/main.yml, argument_specs defaults)
//   2. inventory               (group vars from all down to the deepest group, then host vars)
//   3. facts                   (ansible_facts / kiln_facts and their ansible_* names)
//   4. play vars               (vars:, then vars_files in order, then import_playbook vars)
//   5. role vars and params    (roles/x/vars/main.yml, then the role's parameters)
//   6. block vars              (outermost block first)
//   7. task vars               (vars: on the task, include parameters, the loop variable)
//   8. host facts set at run   (register and set_fact)
//   9. extra vars              (-e), always win
//
// Magic variables (inventory_hostname, groups, hostvars, ...) are set by kiln and cannot be
// overridden except by extra vars.
import type { Inherited, Play, VarLayer } from '../playbook/model.js';
import { lazilyRendered } from './lazy.js';

export interface HostLayers {
  inventory: VarLayer;
  facts: VarLayer;
  magic: VarLayer;
  /** register and set_fact results, per host, growing during the run. */
  runtime: VarLayer;
  extra: VarLayer;
}

export interface TaskLayers {
  play: Play;
  inherited: Inherited;
  taskVars: VarLayer;
  /** Loop variable and include parameters. */
  local?: VarLayer;
}

export const LEVELS = [
  'role defaults',
  'inventory (group, then host)',
  'facts',
  'play vars, vars_files',
  'role vars, role params',
  'block vars',
  'task vars, loop variable',
  'register, set_fact',
  'extra vars (-e)',
] as const;

/** Merge the levels into one scope (shallow: a later level replaces a whole value, like Ansible). */
export function resolveScope(host: HostLayers, task: TaskLayers): Record<string, unknown> {
  const role = task.inherited.role;
  const layers: VarLayer[] = [
    role?.defaults ?? {},
    host.inventory,
    host.facts,
    task.play.vars,
    ...task.play.varsFiles,
    task.play.importVars,
    role?.vars ?? {},
    role?.params ?? {},
    ...task.inherited.blockVars,
    task.taskVars,
    task.local ?? {},
    host.runtime,
    host.magic,
    host.extra,
  ];
  const raw: Record<string, unknown> = Object.create(null);
  for (const l of layers) Object.assign(raw, l);
  if (role) {
    raw['role_path'] = role.dir;
    raw['role_name'] = role.name;
  }
  return lazilyRendered(raw);
}
