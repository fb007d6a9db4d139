// `npm run build`: compile every schema ahead of time with ajv's standalone code, one file per
// schema, so start-up skips ajv's compiler (about 250 ms) and loads only the schemas it uses.
// registry.ts uses a file only while the schemas (and ajv options) match the digest inside it.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import standalone from 'ajv/dist/standalone/index.js';
import { newAjv, precompiledFile, precompiledStampFile, schemaFiles, schemaId, schemasDigest, schemasStamp } from './registry.js';

/** The CommonJS source of one schema's validator: `module.exports = { digest, validate }`. */
export function precompiledSource(rel: string, digest = schemasDigest(), ajv = sourceAjv()): string {
  // The CommonJS module's export is the function itself; its typings describe it as `.default`.
  const fn = ((standalone as unknown as { default?: typeof standalone.default }).default ?? standalone) as typeof standalone.default;
  const code = fn(ajv, { validate: schemaId(rel) });
  return `${code}\nmodule.exports = { digest: ${JSON.stringify(digest)}, validate: module.exports.validate };\n`;
}

/** An ajv that keeps the generated code, which standalone needs. */
function sourceAjv(): Ajv2020 {
  return newAjv({ code: { source: true, esm: false } });
}

/** Write every schema's validator and the schemas' stamp (each atomically) where registry.ts looks; returns the validators. */
export function writePrecompiled(): string[] {
  const stamp = schemasStamp();
  const ajv = sourceAjv();
  const files = schemaFiles().map((rel) => {
    const target = precompiledFile(rel);
    mkdirSync(dirname(target), { recursive: true });
    writeAtomic(target, precompiledSource(rel, stamp.digest, ajv));
    return target;
  });
  writeAtomic(precompiledStampFile(), `${JSON.stringify(stamp)}\n`);
  return files;
}

function writeAtomic(target: string, text: string): void {
  writeFileSync(`${target}.tmp`, text);
  renameSync(`${target}.tmp`, target);
}
