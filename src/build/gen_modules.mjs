// Writes src/modules/registry.gen.ts: every src/modules/NAME.ts (its default export is the module)
// whose schema schemas/modules/NAME.schema.json exists. Run by `npm run build` before tsc, so a new
// module is its file and its schema: nothing else to register. Plain JavaScript: it runs before
// anything is compiled.
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = join(root, 'src', 'modules');
const out = join(dir, 'registry.gen.ts');
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && f !== 'index.ts' && f !== 'registry.gen.ts')
  .map((f) => f.slice(0, -3))
  .sort();
const problems = [];
for (const n of names) {
  if (!existsSync(join(root, 'schemas', 'modules', `${n}.schema.json`))) problems.push(`src/modules/${n}.ts has no schema: write schemas/modules/${n}.schema.json`);
  if (!/^export default /m.test(readFileSync(join(dir, `${n}.ts`), 'utf8'))) problems.push(`src/modules/${n}.ts has no default export: end it with "export default <the module>;"`);
}
for (const f of readdirSync(join(root, 'schemas', 'modules'))) {
  const n = f.replace(/\.schema\.json$/, '');
  if (!names.includes(n)) problems.push(`schemas/modules/${f} has no module: write src/modules/${n}.ts`);
}
if (problems.length) {
  console.error(`kiln build: ${problems.join('\n')}`);
  process.exit(1);
}
const ident = (n) => `m_${n}`;
const text = `// Written by src/build/gen_modules.mjs (npm run build) from the files in src/modules/. Do not edit.
import type { Module } from '../engine/module.js';
${names.map((n) => `import ${ident(n)} from './${n}.js';`).join('\n')}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const ALL: readonly Module<any, any, any>[] = [${names.map(ident).join(', ')}];
`;
const old = existsSync(out) ? readFileSync(out, 'utf8') : '';
if (old !== text) writeFileSync(out, text);
