// The names a notify can use for a handler. As in Ansible: its name, each of its listen topics,
// and for a handler from a role also "role : name" (the form ansible-playbook prints, which keeps
// two roles' "restart nginx" apart). ansible-core 2.14 does not qualify listen topics: nor does kiln.
import type { TaskNode } from './model.js';

/** Every notify string that reaches this handler. */
export function handlerNames(h: TaskNode): string[] {
  const role = h.inherited.role?.name;
  return role ? [h.name, `${role} : ${h.name}`, ...h.listen] : [h.name, ...h.listen];
}
