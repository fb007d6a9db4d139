// What check mode remembers of package tasks, as other modules read it: a file or a service that
// does not exist yet may come from a package an earlier task would install.
import type { PlannedState } from '../../engine/planned.js';

/** Every package planned for install, in plan order (a service or a folder may come from any of them). */
export function plannedInstalls(planned: PlannedState): { name: string; task: string }[] {
  return planned
    .list('package')
    .filter((p) => p.state === 'present')
    .map((p) => ({ name: p.key, task: p.task }));
}
