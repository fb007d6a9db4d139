// A parsed condition's node written back as condition syntax, with the fewest parentheses that
// keep its meaning: error messages quote the part of a condition that failed.
import type { ArithOp, ExprNode } from './parse.js';

const ARITH_PREC: Record<ArithOp, number> = { '+': 6, '-': 6, '~': 7, '*': 8, '/': 8, '//': 8, '%': 8, '**': 9 };

function precedence(n: ExprNode): number {
  switch (n.kind) {
    case 'logic': return n.op === 'or' ? 1 : 2;
    case 'unary': return n.op === 'not' ? 3 : 11;
    case 'compare': return 4;
    case 'test': return 5;
    case 'arith': return ARITH_PREC[n.op];
    case 'filter': return 10;
    default: return 12;
  }
}

/** Render a node back to condition syntax, for error messages. */
export function formatNode(n: ExprNode): string {
  const sub = (c: ExprNode, min: number): string => (precedence(c) < min ? `(${formatNode(c)})` : formatNode(c));
  const args = (a: readonly ExprNode[]): string => (a.length ? `(${a.map(formatNode).join(', ')})` : '');
  const p = precedence(n);
  switch (n.kind) {
    case 'literal': return n.value === null ? 'none' : typeof n.value === 'string' ? JSON.stringify(n.value) : String(n.value);
    case 'var': return n.name;
    case 'list': return `[${n.items.map(formatNode).join(', ')}]`;
    case 'mapping': return `{${n.entries.map((e) => `${formatNode(e.key)}: ${formatNode(e.value)}`).join(', ')}}`;
    case 'member': {
      const k = n.key;
      const dotted = k.kind === 'literal' && typeof k.value === 'string' && /^[A-Za-z_]\w*$/.test(k.value);
      return `${sub(n.object, 12)}${dotted ? `.${String(k.value)}` : `[${formatNode(k)}]`}`;
    }
    case 'unary': return `${n.op}${n.op === 'not' ? ' ' : ''}${sub(n.arg, p)}`;
    case 'logic':
    case 'compare':
    case 'arith': return `${sub(n.left, p)} ${n.op} ${sub(n.right, p + 1)}`;
    case 'test': return `${sub(n.subject, p)} is ${n.negated ? 'not ' : ''}${n.name}${args(n.args)}`;
    case 'filter': return `${sub(n.subject, p)} | ${n.name}${args(n.args)}`;
  }
}
