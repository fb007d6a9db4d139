// `npm run build`, after tsc: precompile the schemas' validators and bundle the CLI with its
// dependencies, so that start-up reads a few files instead of ~200 (bench/RESULTS.md, item 3).
// dist/ ends up holding only cli/ (the bundle; main.js is the bin) and validators/.
import { chmodSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { packagePath } from '../engine/paths.js';
import { writePrecompiled } from '../engine/schema/precompile.js';
import { precompiledDir } from '../engine/schema/registry.js';

const DIST = packagePath('dist');
const KEEP = new Set(['cli', 'validators']);

// Dependencies in CommonJS require node's builtins; an ESM bundle has no `require` of its own.
const REQUIRE_SHIM = "import { createRequire as __kilnCreateRequire } from 'node:module';\nconst require = __kilnCreateRequire(import.meta.url);";

/**
 * Handlebars requires source-map only to map templates compiled with a srcName, which kiln never
 * passes; without it, it builds code with its own string builder (as in browsers). Leaving it out
 * drops 60 kB that every template compile would otherwise load.
 */
const noSourceMap: Plugin = {
  name: 'kiln-no-source-map',
  setup(b) {
    b.onResolve({ filter: /^source-map$/ }, () => ({ path: 'source-map', namespace: 'kiln-empty' }));
    b.onLoad({ filter: /.*/, namespace: 'kiln-empty' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

/** Bundle the CLI: one entry, a chunk per lazily imported subcommand and shared code. */
async function bundleCli(outdir: string): Promise<void> {
  await build({
    entryPoints: [packagePath('src', 'cli', 'main.ts')],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // ssh2 loads optional native code (cpu-features, sshcrypto.node) by path; it stays a package.
    external: ['ssh2'],
    banner: { js: REQUIRE_SHIM },
    plugins: [noSourceMap],
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
  });
  chmodSync(join(outdir, 'main.js'), 0o755);
}

/** Make each precompiled validator self-contained (ajv's runtime helpers inlined): one file to read. */
async function bundleValidators(files: string[]): Promise<void> {
  await build({ entryPoints: files, outdir: precompiledDir(), outbase: precompiledDir(), allowOverwrite: true, bundle: true, format: 'cjs', platform: 'node', target: 'node20', minifyWhitespace: true, outExtension: { '.js': '.cjs' }, logLevel: 'warning' });
}

async function main(): Promise<void> {
  rmSync(precompiledDir(), { recursive: true, force: true });
  const validators = writePrecompiled();
  await bundleValidators(validators);
  // Bundle beside the old files, then swap: tsc's per-file output is not needed any more.
  const staging = join(DIST, '.cli');
  rmSync(staging, { recursive: true, force: true });
  await bundleCli(staging);
  for (const name of readdirSync(DIST)) if (!KEEP.has(name) && name !== '.cli') rmSync(join(DIST, name), { recursive: true, force: true });
  rmSync(join(DIST, 'cli'), { recursive: true, force: true });
  renameSync(staging, join(DIST, 'cli'));
  process.stdout.write(`kiln: bundled dist/cli/, precompiled ${validators.length} validators into dist/validators/\n`);
}

await main();
