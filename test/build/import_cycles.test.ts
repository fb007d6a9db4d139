// No import circle in src/. Value imports (what Node loads) must form layers, so that no module runs
// while one it imports is half-evaluated; type-only imports too, unless a comment above the import
// says why ("import circle: ..."), so that the layers read as layers.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SOURCE = /\.(ts|cts|mts)$/;

/** Every TypeScript file below `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return SOURCE.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** One relative import of a file. */
export interface Edge {
  spec: string;
  /** `import type` / `export type` / `typeof import(...)`: erased, never loaded. */
  typeOnly: boolean;
  /** A comment above it says why this type-only import may close a circle ("import circle: ..."). */
  justified: boolean;
}

/**
 * The relative imports of a file. Static imports and re-exports are value imports unless written
 * `import type` / `export type`; under verbatimModuleSyntax an `import { type A }` stays a
 * (side-effect) import, so it counts as one. `import('...')` with a literal is a value import too.
 */
export function importsOf(file: string, text: string): Edge[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const out: Edge[] = [];
  const add = (node: ts.Node, spec: string, typeOnly: boolean): void => {
    if (!spec.startsWith('.')) return;
    const comments = ts.getLeadingCommentRanges(text, node.pos) ?? [];
    const justified = typeOnly && comments.some((c) => /import circle/i.test(text.slice(c.pos, c.end)));
    out.push({ spec, typeOnly, justified });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node, node.moduleSpecifier.text, node.importClause?.isTypeOnly === true);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node, node.moduleSpecifier.text, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteralLike(arg)) add(node, arg.text, false);
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg) && ts.isStringLiteral(arg.literal)) add(node, arg.literal.text, true);
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** './x.js' from `file` as the source file it names ('.js' → '.ts', '.cjs' → '.cts'). */
function resolveSpecifier(file: string, spec: string): string {
  const target = resolve(dirname(file), spec);
  return target.replace(/\.js$/, '.ts').replace(/\.cjs$/, '.cts').replace(/\.mjs$/, '.mts');
}

/** Strongly connected components with a cycle (Tarjan), each as its files. */
export function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const strong = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do {
      w = stack.pop() as string;
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1 || graph.get(v)?.includes(v)) found.push(scc.sort());
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) strong(v);
  return found;
}

/** One circle through `start` inside its component, as "a → b → a" (breadth-first: a shortest one). */
function circleThrough(graph: ReadonlyMap<string, readonly string[]>, scc: readonly string[], start: string): string[] {
  const inside = new Set(scc);
  const from = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift() as string;
    for (const w of graph.get(v) ?? []) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const path = [v];
        for (let u = v; u !== start; u = from.get(u) as string) path.push(from.get(u) as string);
        return [...path.reverse(), start];
      }
      if (!from.has(w)) {
        from.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

/** src/'s files and their imports, keyed by path under src/. */
function srcGraph(): Map<string, { to: string; edge: Edge }[]> {
  const src = join(root, 'src');
  const graph = new Map<string, { to: string; edge: Edge }[]>();
  for (const file of sources(src)) {
    const edges = importsOf(file, readFileSync(file, 'utf8')).map((edge) => ({ to: relative(src, resolveSpecifier(file, edge.spec)), edge }));
    graph.set(relative(src, file), edges);
  }
  return graph;
}

/** The circles of the graph made of the edges `keep` accepts, each as "a → b → a". */
function circlesOf(graph: Map<string, { to: string; edge: Edge }[]>, keep: (e: Edge) => boolean): string[] {
  const plain = new Map([...graph].map(([file, edges]) => [file, [...new Set(edges.filter((x) => keep(x.edge)).map((x) => x.to))]]));
  return cycles(plain).map((scc) => circleThrough(plain, scc, scc[0] as string).join(' → '));
}

describe('import graph of src/', () => {
  let graph: Map<string, { to: string; edge: Edge }[]>;
  before(() => {
    graph = srcGraph();
  });

  it('reads value imports, type-only ones, and the comment that justifies one', () => {
    const text = [
      "import type { A } from './a.js';",
      "import { type B } from './b.js';",
      "import { c } from './c.js';",
      "export type { D } from './d.js';",
      "export { e } from './e.js';",
      "import 'node:fs';",
      "let f: typeof import('./f.js');",
      "const g = await import('./g.js');",
      '// Import circle: h.ts hands itself to this file.',
      "import type { H } from './h.js';",
    ].join('\n');
    assert.deepEqual(
      importsOf('x.ts', text).map((e) => `${e.spec}${e.typeOnly ? ' type' : ''}${e.justified ? ' justified' : ''}`),
      ['./a.js type', './b.js', './c.js', './d.js type', './e.js', './f.js type', './g.js', './h.js type justified'],
    );
  });

  it('finds a circle and none in a tree', () => {
    assert.deepEqual(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])), [['a', 'b', 'c']]);
    assert.deepEqual(cycles(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]])), []);
    assert.deepEqual(cycles(new Map([['a', ['a']]])), [['a']]);
  });

  it('reads the whole of src/', () => {
    assert.ok(graph.size > 100, `read only ${graph.size} files under src/`);
    assert.ok(graph.get('engine/runner/run.ts')?.some((x) => x.to === 'engine/runner/play.ts' && !x.edge.typeOnly), 'run.ts imports play.ts');
  });

  it('has no circle of value imports', () => {
    const circles = circlesOf(graph, (e) => !e.typeOnly);
    assert.deepEqual(circles, [], `import circles in src/ (move what both sides need into a leaf file, or make one side \`import type\`):\n  ${circles.join('\n  ')}`);
  });

  it('has no circle through type-only imports either, unless a comment above one of them justifies it', () => {
    const circles = circlesOf(graph, (e) => !e.justified);
    assert.deepEqual(circles, [], `type-only import circles in src/ (let one side declare the shape it needs, or say why above the import with a comment containing "import circle"):\n  ${circles.join('\n  ')}`);
  });
});
