// `npm run build`: compile every schema ahead of time with ajv's standalone code, so start-up
// skips ajv's compiler (about 250 ms). registry.ts uses the result only while the schemas match.
import { writeFileSync, renameSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import standalone from 'ajv/dist/standalone/index.js';
import { newAjv, schemaFiles, schemaId, schemasDigest } from './registry.js';

/** The CommonJS source of every validator, keyed by schema path, plus the schemas' digest. */
export function precompiledSource(): string {
  const ajv = newAjv({ code: { source: true, esm: false } });
  const refs: Record<string, string> = {};
  for (const f of schemaFiles()) refs[f] = schemaId(f);
  // The CommonJS module's export is the function itself; its typings describe it as `.default`.
  const fn = ((standalone as unknown as { default?: typeof standalone.default }).default ?? standalone) as typeof standalone.default;
  const code = fn(ajv, refs);
  // standaloneCode exports each validator under its key; wrap them with the digest.
  return `${code}\nmodule.exports = { digest: ${JSON.stringify(schemasDigest())}, validators: module.exports };\n`;
}

/** Write compiled.cjs beside this module (atomically). */
export function writePrecompiled(): string {
  const target = fileURLToPath(new URL('./compiled.cjs', import.meta.url));
  writeFileSync(`${target}.tmp`, precompiledSource());
  renameSync(`${target}.tmp`, target);
  return target;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`kiln: precompiled schemas into ${writePrecompiled()}\n`);
}
