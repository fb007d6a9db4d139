// meta: engine actions. The runner carries them out (flush_handlers, end_play, ...);
// as a module it only reports what was done.
import type { Module, Plan } from '../engine/module.js';

export type MetaArgs = 'flush_handlers' | 'end_play' | 'end_host' | 'noop' | 'clear_host_errors';

export const meta: Module<MetaArgs, null> = {
  name: 'meta',
  read: () => Promise.resolve(null),
  plan: (current, args): Plan<null> => ({ steps: [], okReason: String(args), current }),
  apply: () => Promise.resolve({}),
};

export default meta;
