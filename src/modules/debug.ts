// debug: print a message or a variable. Changes nothing.
import type { Module, Plan } from '../engine/module.js';
import { ModuleError } from '../engine/errors.js';

export interface DebugArgs {
  msg?: unknown;
  var?: string;
  verbosity?: number;
}

interface DebugState {
  value: unknown;
}

/** Read a dotted path ("result.stdout_lines.0") from the variables. */
function lookup(vars: Readonly<Record<string, unknown>>, path: string): unknown {
  let node: unknown = vars;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object' || !(part in node)) {
      throw new ModuleError(`debug: variable "${path}" is not defined`);
    }
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

export const debug: Module<DebugArgs | null, DebugState> = {
  name: 'debug',
  aliases: ['ansible.builtin.debug'],
  local: true,
  read: (ctx, args) => Promise.resolve({ value: args?.var ? lookup(ctx.vars, args.var) : (args?.msg ?? 'Hello world!') }),
  plan(current, args): Plan<DebugState> {
    const shown = typeof current.value === 'string' ? current.value : JSON.stringify(current.value, null, 2);
    const data: Record<string, unknown> = args?.var ? { [args.var]: current.value } : { msg: current.value };
    return { changes: [], okReason: shown, data, current };
  },
  apply: () => Promise.resolve({}),
};
