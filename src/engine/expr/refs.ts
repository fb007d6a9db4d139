// Which variables a parsed condition reads, and which of them it reads only behind a guard
// (`x is defined and ...`, `x | default(...)`): what the static checks and check mode need.
import { getTest } from './filters.js';
import type { Condition, ExprNode } from './parse.js';

export interface VariableRef {
  name: string;
  /** Every use sits under `is defined`/`is undefined`/`default`, or behind a guard like `x is defined and ...`. */
  guarded: boolean;
}

const union = (a: ReadonlySet<string>, b: ReadonlySet<string>): Set<string> => new Set([...a, ...b]);
const intersect = (a: ReadonlySet<string>, b: ReadonlySet<string>): Set<string> => new Set([...a].filter((x) => b.has(x)));
const NONE: ReadonlySet<string> = new Set();

function rootName(n: ExprNode): string | undefined {
  if (n.kind === 'var') return n.name;
  return n.kind === 'member' ? rootName(n.object) : undefined;
}

/** Root names known to be defined when `n` is true (when = true) or false (when = false). */
function definedWhen(n: ExprNode, when: boolean): ReadonlySet<string> {
  switch (n.kind) {
    case 'test': {
      const name = rootName(n.subject);
      const proves = n.name === 'defined' ? !n.negated : n.name === 'undefined' ? n.negated : undefined;
      return name !== undefined && proves === when ? new Set([name]) : NONE;
    }
    case 'unary':
      return n.op === 'not' ? definedWhen(n.arg, !when) : NONE;
    case 'logic': {
      const l = definedWhen(n.left, when);
      const r = definedWhen(n.right, when);
      // "and" is true only if both are; "or" is false only if both are.
      return (n.op === 'and') === when ? union(l, r) : intersect(l, r);
    }
    default:
      return NONE;
  }
}

/**
 * The root variables a condition reads, in order of first use. A name is `guarded` when reading it
 * can never fail as undefined (so a static "undefined variable" check should skip it).
 */
export function variableRefs(c: Condition): VariableRef[] {
  const refs = new Map<string, boolean>();
  const walk = (n: ExprNode, guards: ReadonlySet<string>, soft = false): void => {
    switch (n.kind) {
      case 'var':
        refs.set(n.name, (refs.get(n.name) ?? true) && (soft || guards.has(n.name)));
        return;
      case 'member':
        walk(n.object, guards, soft);
        walk(n.key, guards);
        return;
      case 'list':
        n.items.forEach((x) => walk(x, guards));
        return;
      case 'mapping':
        n.entries.forEach((e) => (walk(e.key, guards), walk(e.value, guards)));
        return;
      case 'unary':
        walk(n.arg, guards);
        return;
      case 'logic':
        walk(n.left, guards);
        walk(n.right, union(guards, definedWhen(n.left, n.op === 'and')));
        return;
      case 'compare':
      case 'arith':
        walk(n.left, guards);
        walk(n.right, guards);
        return;
      case 'test':
        walk(n.subject, guards, getTest(n.name)?.soft === true);
        n.args.forEach((x) => walk(x, guards));
        return;
      case 'filter':
        walk(n.subject, guards, n.name === 'default' || n.name === 'd');
        n.args.forEach((x) => walk(x, guards));
        return;
      case 'literal':
        return;
    }
  };
  walk(c.root, NONE);
  return [...refs].map(([name, guarded]) => ({ name, guarded }));
}

/** The root variable names a condition reads (guarded or not). `a.b[0].c` reads `a`. */
export function freeVariables(c: Condition): string[] {
  return variableRefs(c).map((r) => r.name);
}
