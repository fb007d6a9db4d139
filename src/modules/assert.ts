// assert: fail unless every condition holds.
import type { Module, Plan } from '../engine/module.js';
import { ModuleError } from '../engine/errors.js';
import { parseCondition } from '../engine/expr/parse.js';
import { isTrue } from '../engine/expr/evaluate.js';

export interface AssertArgs {
  that: string | boolean | (string | boolean)[];
  fail_msg?: string;
  msg?: string;
  success_msg?: string;
  quiet?: boolean;
}

interface AssertState {
  failed?: string;
}

export const assert: Module<AssertArgs, AssertState> = {
  name: 'assert',
  read(ctx, args) {
    const list = Array.isArray(args.that) ? args.that : [args.that];
    for (const c of list) {
      const ok = typeof c === 'boolean' ? c : isTrue(parseCondition(c), ctx.vars);
      if (!ok) return Promise.resolve({ failed: String(c) });
    }
    return Promise.resolve({});
  },
  plan(current, args): Plan<AssertState> {
    if (current.failed !== undefined) {
      throw new ModuleError(args.fail_msg ?? args.msg ?? `Assertion failed: ${current.failed}`);
    }
    return { steps: [], okReason: args.success_msg ?? 'All assertions passed', data: { evaluated_to: true }, current };
  },
  apply: () => Promise.resolve({}),
};

export default assert;
