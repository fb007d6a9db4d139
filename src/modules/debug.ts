// debug: print a message or a variable. Changes nothing.
import type { Module, Plan } from '../engine/module.js';
import { ModuleError } from '../engine/errors.js';
import { ConditionEvalError, evaluateCondition } from '../engine/expr/evaluate.js';
import { ConditionSyntaxError, parseCondition } from '../engine/expr/parse.js';

export interface DebugArgs {
  msg?: unknown;
  var?: string;
  verbosity?: number;
}

interface DebugState {
  value: unknown;
  /** The run has fewer -v than `verbosity` asks for. */
  quiet?: boolean;
}

/** Ansible's reason for a debug task below its verbosity (skipped, as Ansible counts it). */
const BELOW_VERBOSITY = 'Verbosity threshold not met.';

/** Ansible's wording for `var:` naming something undefined (an ok result, not a failure). */
const NOT_DEFINED = 'VARIABLE IS NOT DEFINED!';

/** `var:` is an expression without {{ }}, as in Ansible: "result.stdout_lines[0]", "items | length". */
function lookup(vars: Readonly<Record<string, unknown>>, expr: string): unknown {
  let parsed;
  try {
    parsed = parseCondition(expr);
  } catch (e) {
    if (e instanceof ConditionSyntaxError) throw new ModuleError(`debug.var: ${e.reason} (got ${JSON.stringify(expr)})`);
    throw e;
  }
  try {
    return evaluateCondition(parsed, vars);
  } catch (e) {
    if (e instanceof ConditionEvalError && / is undefined\b/.test(e.message)) return NOT_DEFINED;
    throw new ModuleError(`debug.var: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export const debug: Module<DebugArgs | null, DebugState> = {
  name: 'debug',
  read(ctx, args) {
    // Nothing is looked up for a message that is not shown: as in Ansible, var: may then name anything.
    if ((args?.verbosity ?? 0) > (ctx.verbosity ?? 0)) return Promise.resolve({ value: undefined, quiet: true });
    return Promise.resolve({ value: args?.var ? lookup(ctx.vars, args.var) : (args?.msg ?? 'Hello world!') });
  },
  plan(current, args): Plan<DebugState> {
    if (current.quiet) return { steps: [], skip: BELOW_VERBOSITY, current };
    const shown = typeof current.value === 'string' ? current.value : JSON.stringify(current.value, null, 2);
    const data: Record<string, unknown> = args?.var ? { [args.var]: current.value } : { msg: current.value };
    return { steps: [], okReason: shown, data, show: data, current };
  },
  apply: () => Promise.resolve({}),
};

export default debug;
