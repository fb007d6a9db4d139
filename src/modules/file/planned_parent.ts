// Check mode's view of a directory a file will be written into, which a planned package install
// may create. Here, not beside withPlanned in the engine's path facts: it knows the package module.
import { type PathState, withPlanned } from '../../engine/facts/path.js';
import type { PlannedState } from '../../engine/planned.js';
import { plannedInstalls } from '../package/planned.js';

/**
 * withPlanned for a directory something will be written into. When it is missing and nothing
 * planned it, a planned package install may still create it (nginx creates /etc/nginx/...):
 * check mode reports the write as pending, saying "may", instead of failing.
 */
export function withPlannedParent(state: PathState, planned: PlannedState): PathState {
  const s = withPlanned(state, planned);
  if (s.exists || s.pending !== undefined) return s;
  const install = plannedInstalls(planned).at(-1);
  if (!install) return s;
  return { path: s.path, exists: true, type: 'directory', pending: `${s.path} does not exist yet; task '${install.task}' plans package installs that may create it` };
}
