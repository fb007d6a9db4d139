// fail: stop this host with a message.
import type { Module } from '../engine/module.js';
import { ModuleError } from '../engine/errors.js';

export interface FailArgs {
  msg?: string;
}

export const fail: Module<FailArgs | null, null> = {
  name: 'fail',
  read: () => Promise.resolve(null),
  plan(_current, args) {
    throw new ModuleError(args?.msg ?? 'Failed as requested from task');
  },
  apply: () => Promise.resolve({}),
};

export default fail;
