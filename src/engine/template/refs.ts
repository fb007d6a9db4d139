// Static analysis of templates: which variables a string reads, for validation before any run.
import handlebars from './handlebars.cjs';
import { GUARDING_HELPERS, HELPER_NAMES } from './helpers.js';
import { simpleParts } from './simple.js';

type AST = hbs.AST.Node;

export interface TemplateRef {
  name: string;
  /** Read under default/if/unless/with: may be undefined on purpose. */
  guarded: boolean;
}

/** Root variable names a template string reads. Throws Handlebars' parse error on bad syntax. */
export function templateRefs(text: string): TemplateRef[] {
  if (!text.includes('{{')) return [];
  // Plain substitutions read their first segment, unguarded: what the walk below finds in them.
  const simple = simpleParts(text);
  if (simple) return simple.flatMap((p) => (typeof p === 'string' ? [] : [{ name: p[0] as string, guarded: false }]));
  const ast = handlebars().parse(text);
  const out: TemplateRef[] = [];
  walkProgram(ast, out, false);
  return out;
}

function walkProgram(p: hbs.AST.Program | undefined, out: TemplateRef[], guarded: boolean): void {
  if (!p) return;
  for (const s of p.body) walkNode(s, out, guarded);
}

function pathRef(node: AST, out: TemplateRef[], guarded: boolean): void {
  if (node.type === 'SubExpression') return walkCall(node as hbs.AST.SubExpression, out, guarded);
  if (node.type !== 'PathExpression') return;
  const p = node as hbs.AST.PathExpression;
  if (p.data || p.depth > 0 || p.parts.length === 0 || p.original.startsWith('this')) return;
  const first = p.parts[0];
  if (first) out.push({ name: first, guarded });
}

function walkCall(
  n: { path: hbs.AST.PathExpression | hbs.AST.Expression; params: hbs.AST.Expression[]; hash?: hbs.AST.Hash },
  out: TemplateRef[],
  guarded: boolean,
): void {
  const name = n.path.type === 'PathExpression' ? (n.path as hbs.AST.PathExpression).original : '';
  const isHelper = HELPER_NAMES.has(name);
  if (!isHelper) pathRef(n.path, out, guarded);
  const guards = GUARDING_HELPERS.has(name);
  n.params.forEach((param, i) => pathRef(param, out, guarded || (guards && i === 0)));
  for (const pair of n.hash?.pairs ?? []) pathRef(pair.value, out, guarded);
}

function walkNode(s: AST, out: TemplateRef[], guarded: boolean): void {
  switch (s.type) {
    case 'MustacheStatement':
      walkCall(s as hbs.AST.MustacheStatement, out, guarded);
      return;
    case 'BlockStatement': {
      const b = s as hbs.AST.BlockStatement;
      walkCall(b, out, guarded);
      const name = b.path.type === 'PathExpression' ? (b.path as hbs.AST.PathExpression).original : '';
      // Inside each/with the context changes: names there are fields of the item, not variables.
      if (name === 'each' || name === 'with') return;
      // {{#if x}}...{{/if}}: reads inside are as guarded as Ansible's `when: x is defined`.
      walkProgram(b.program, out, guarded || name === 'if');
      walkProgram(b.inverse, out, guarded);
      return;
    }
    default:
      return;
  }
}
