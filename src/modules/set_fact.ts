// set_fact: host variables for the rest of the run (the runner stores `data.ansible_facts`).
import type { Module, Plan } from '../engine/module.js';

export type SetFactArgs = Record<string, unknown>;

export const set_fact: Module<SetFactArgs, null> = {
  name: 'set_fact',
  aliases: ['ansible.builtin.set_fact'],
  local: true,
  read: () => Promise.resolve(null),
  plan(current, args): Plan<null> {
    const facts: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(args)) if (k !== 'cacheable') facts[k] = v;
    return { changes: [], okReason: `set ${Object.keys(facts).join(', ')}`, data: { ansible_facts: facts }, current };
  },
  apply: () => Promise.resolve({}),
};
