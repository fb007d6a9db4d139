// `npm run build`, after tsc: precompile the schemas' validators and bundle the CLI with its
// dependencies, so that start-up reads a few files instead of ~200 (bench/RESULTS.md, item 3).
// dist/ ends up holding only cli/ (main.cjs, the bin, the bundles and their code cache), validators/
// and schemas/ (the composed schemas, for editors).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { makeAscii } from './ascii.js';
import { bundleCli, WARM } from './bundle.js';
import { packagePath } from '../engine/paths.js';
import { writePrecompiled } from '../engine/schema/precompile.js';
import { moduleIndexFile, precompiledDir, readJson, readModuleSchemas, schemaFiles, schemasDigest } from '../engine/schema/registry.js';

const DIST = packagePath('dist');
const KEEP = new Set(['cli', 'validators', 'schemas']);

/** Make each precompiled validator self-contained (ajv's runtime helpers inlined): one file to read. */
async function bundleValidators(files: string[]): Promise<void> {
  await build({ entryPoints: files, outdir: precompiledDir(), outbase: precompiledDir(), allowOverwrite: true, bundle: true, format: 'cjs', platform: 'node', target: 'node20', minifyWhitespace: true, outExtension: { '.js': '.cjs' }, logLevel: 'warning' });
  for (const f of files) makeAscii(f);
}

/**
 * Write the bundles' code cache from a fresh node that ran them (warm_cache.ts); its output only
 * on failure. A failed warm-up does not fail the install: kiln then compiles at start-up, as
 * without a cache (the test suite insists on the cache, so a broken warm-up does not go unseen).
 */
function warmCodeCache(dir: string, bundles: string[]): void {
  const r = spawnSync(process.execPath, [join(dir, WARM), dir, ...bundles], { encoding: 'utf8' });
  rmSync(join(dir, WARM), { force: true });
  if (r.status !== 0) process.stderr.write(`kiln: warning: no code cache, start-up will be slower: the warm-up run failed (exit ${String(r.status ?? r.signal)}):\n${r.stdout}${r.stderr}\n`);
}

/**
 * The schemas as kiln reads them, for editors: the playbook schema with every module's keys (which
 * schemas/playbook.schema.json leaves to the module schemas), beside the others so relative $refs hold.
 */
function writeEditorSchemas(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  for (const rel of schemaFiles()) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), `${JSON.stringify(readJson(rel), null, 2)}\n`);
  }
  writeFileSync(moduleIndexFile(), JSON.stringify({ digest: schemasDigest(), modules: readModuleSchemas() }));
}

async function main(): Promise<void> {
  writeEditorSchemas(join(DIST, 'schemas'));
  rmSync(precompiledDir(), { recursive: true, force: true });
  const validators = writePrecompiled();
  await bundleValidators(validators);
  // Bundle beside the old files, then swap: tsc's per-file output is not needed any more.
  const staging = join(DIST, '.cli');
  rmSync(staging, { recursive: true, force: true });
  const names = await bundleCli(staging);
  rmSync(join(DIST, 'cli'), { recursive: true, force: true });
  renameSync(staging, join(DIST, 'cli'));
  // Warmed where it runs: the cache keeps the file names its functions were compiled from (stack traces, profiles).
  warmCodeCache(join(DIST, 'cli'), [names.cli, names.engine]);
  for (const name of readdirSync(DIST)) if (!KEEP.has(name)) rmSync(join(DIST, name), { recursive: true, force: true });
  process.stdout.write(`kiln: bundled dist/cli/, precompiled ${validators.length} validators into dist/validators/\n`);
}

await main();
