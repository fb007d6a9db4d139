// set_fact: host variables for the rest of the run (the plan's facts, which the runner merges).
import type { Module, Plan } from '../engine/module.js';

export type SetFactArgs = Record<string, unknown>;

export const set_fact: Module<SetFactArgs, null> = {
  name: 'set_fact',
  read: () => Promise.resolve(null),
  plan(current, args): Plan<null> {
    const facts: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(args)) if (k !== 'cacheable') facts[k] = v;
    return { steps: [], okReason: `set ${Object.keys(facts).join(', ')}`, facts, current };
  },
  apply: () => Promise.resolve({}),
};

export default set_fact;
