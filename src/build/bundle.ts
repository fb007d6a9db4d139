// The built CLI: two CommonJS bundles run through node:vm with a V8 code cache (src/cli/bundles.ts),
// and main.cjs, the small launcher that loads them. The engine bundle is loaded only when a
// subcommand runs, so `kiln --help` and `--version` stay small.
import { chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { BIN, packagePath } from '../engine/paths.js';
import { makeAscii } from './ascii.js';
import type { BundleNames } from '../cli/bundles.js';

const requireHere = createRequire(import.meta.url);
const SUBCOMMANDS = /^\.\/(play|validate|inventory|doc|facts|role_init|ssh_broker|vault)\.js$/;
const SHARED: Record<string, string> = { 'errors.js': 'errors', 'exit_codes.js': 'exitCodes', 'paths.js': 'paths' };

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

/** In the cli bundle, program.ts's `import('./play.js')` … take the module from the engine bundle. */
const engineLink: Plugin = {
  name: 'kiln-engine-link',
  setup(b) {
    b.onResolve({ filter: SUBCOMMANDS }, (a) => (a.importer.endsWith(join('src', 'cli', 'program.ts')) ? { path: SUBCOMMANDS.exec(a.path)![1]!, namespace: 'kiln-engine' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'kiln-engine' }, (a) => ({ contents: `module.exports = __kilnLink().${a.path};`, loader: 'js' }));
  },
};

/** In the engine bundle, the modules the cli bundle shares (its error classes above all). */
const sharedLink: Plugin = {
  name: 'kiln-shared-link',
  setup(b) {
    const dir = packagePath('src', 'engine');
    b.onResolve({ filter: /^\.\.?\/.*(errors|exit_codes|paths)\.js$/ }, (a) => {
      const file = resolve(a.resolveDir, a.path);
      const name = dirname(file) === dir ? SHARED[basename(file)] : undefined;
      return name ? { path: name, namespace: 'kiln-shared' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'kiln-shared' }, (a) => ({ contents: `module.exports = __kilnLink().${a.path};`, loader: 'js' }));
  },
};

const COMMON: BuildOptions = {
  absWorkingDir: packagePath(),
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  metafile: true,
};

/**
 * Packages big enough to matter that many runs never call: each is its own bundle with its own code
 * cache, loaded on the first require. In the engine bundle their code (and the bytecode the
 * warm-up gave it) would be read and deserialized at every start-up: yaml is not needed while the
 * parse cache answers (load/yaml_cache.ts), Handlebars only for templates that are more than
 * `{{ var }}` (template/simple.ts).
 */
const VENDORED = ['yaml', 'handlebars'] as const;

/** In the engine bundle, requiring a vendored package (yaml, handlebars) loads its own bundle through the code cache. */
function vendorLink(files: Record<string, string>): Plugin {
  return {
    name: 'kiln-vendor-link',
    setup(b) {
      b.onResolve({ filter: new RegExp(`^(${VENDORED.join('|')})$`) }, (a) => ({ path: a.path, namespace: 'kiln-vendor' }));
      b.onLoad({ filter: /.*/, namespace: 'kiln-vendor' }, (a) => ({
        contents: `const { requireCached } = require(${JSON.stringify(packagePath('src', 'engine', 'code_cache.ts'))});
module.exports = requireCached(require('node:path').join(__dirname, ${JSON.stringify(files[a.path])}));`,
        resolveDir: packagePath(),
        loader: 'js',
      }));
    },
  };
}

/** One CommonJS bundle named NAME-HASH.cjs of a source under src/cli/ or a package; returns its file name and the sources it holds. */
async function cjsBundle(outdir: string, name: string, entry: string, plugins: Plugin[]): Promise<{ file: string; inputs: string[] }> {
  const r = await build({
    ...COMMON,
    entryPoints: { [name]: entry.endsWith('.ts') ? packagePath('src', 'cli', entry) : entry },
    entryNames: '[name]-[hash]',
    outdir,
    format: 'cjs',
    outExtension: { '.js': '.cjs' },
    // ssh2 loads optional native code (cpu-features, sshcrypto.node) by path; it stays a package.
    external: ['ssh2'],
    plugins: [noSourceMap, ...plugins],
    // node:vm runs a Script without a dynamic-import hook: no import() may be left.
    supported: { 'dynamic-import': false },
    // The bundles find the package (schemas/, validators) from where they are.
    define: { 'import.meta.url': '__kilnUrl' },
    banner: { js: "var __kilnUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
  const out = Object.keys(r.metafile!.outputs).find((f) => f.endsWith('.cjs'));
  if (!out) throw new Error(`kiln: esbuild wrote no ${name} bundle`);
  makeAscii(join(packagePath(), out));
  return { file: basename(out), inputs: Object.keys(r.metafile!.inputs) };
}

// kiln's own sources the cli bundle may hold: a module in both bundles would be two modules (two
// KilnError classes, two caches), so anything else must come through __kilnLink.
const CLI_SOURCES = new Set(['src/cli/cli_entry.ts', 'src/cli/program.ts', 'src/engine/errors.ts', 'src/engine/exit_codes.ts', 'src/engine/paths.ts']);

/** Bundle the CLI into outdir; returns the bundles' names (the bin knows them too). */
export async function bundleCli(outdir: string): Promise<BundleNames> {
  const cli = await cjsBundle(outdir, 'cli', 'cli_entry.ts', [engineLink]);
  const extra = cli.inputs.filter((f) => f.startsWith('src/') && !CLI_SOURCES.has(f));
  if (extra.length) throw new Error(`kiln: the cli bundle would also hold ${extra.join(', ')}: import it lazily from a subcommand, or share it (bundle.ts)`);
  const vendored: Record<string, string> = {};
  for (const pkg of VENDORED) vendored[pkg] = (await cjsBundle(outdir, `vendor-${pkg}`, requireHere.resolve(pkg), [])).file;
  const engine = await cjsBundle(outdir, 'engine', 'engine_entry.ts', [sharedLink, vendorLink(vendored)]);
  // Their package.json may be inlined (the parse cache keys on yaml's version); their code may not.
  const inlined = engine.inputs.filter((f) => VENDORED.some((pkg) => f.startsWith(`node_modules/${pkg}/`) && f !== `node_modules/${pkg}/package.json`));
  if (inlined.length) throw new Error(`kiln: the engine bundle would also hold ${inlined.slice(0, 3).join(', ')}: vendored packages load from their own bundle`);
  const names: BundleNames = { cli: cli.file, engine: engine.file };
  await build({
    ...COMMON,
    entryPoints: [packagePath('src', 'cli', 'launch.ts')],
    outfile: join(outdir, BIN),
    format: 'cjs',
    define: { KILN_BUNDLES: JSON.stringify(names), 'import.meta.url': '__kilnUrl' },
    banner: { js: "var __kilnUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
  chmodSync(join(outdir, BIN), 0o755);
  // The warm-up runs from the final folder (build.ts), where tsc's dist/cli/ is gone: self-contained.
  await build({ ...COMMON, sourcemap: false, entryPoints: [packagePath('src', 'build', 'warm_cache.ts')], outfile: join(outdir, WARM), format: 'esm' });
  return names;
}

/** The warm-up script bundleCli leaves in its folder; build.ts runs it there, then removes it. */
export const WARM = 'warm_cache.mjs';
