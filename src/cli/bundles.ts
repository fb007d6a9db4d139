// The built kiln runs as two CommonJS bundles (src/build/build.ts) compiled through node:vm with
// the V8 code cache the build wrote after a warm-up: start-up then neither parses nor compiles
// ~1 MB of JavaScript, and the functions a play runs first already have bytecode. Node 20 can
// only use a code cache for scripts, not ES modules, hence CommonJS.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

/** The bundles' file names (content-hashed), in the folder of main.js. */
export interface BundleNames {
  cli: string;
  engine: string;
}

/** What the cli bundle (src/cli/cli_entry.ts) exports. */
export interface CliBundle {
  main(argv: string[]): Promise<void>;
}

// Each bundle gets the other one through __kilnLink: the cli loads the engine on first use (so
// --help stays small), and the engine shares the cli's errors (instanceof must hold across both).
const WRAPPER = ['(function (exports, require, module, __filename, __dirname, __kilnLink) {', '\n})'] as const;
const scripts = new Map<string, Script>();

/**
 * The code cache of a bundle for this node. V8 also rejects a cache made by another V8 or with
 * other flags (then it just compiles); the bundle's name carries a hash of its content, since
 * V8 checks only the source's length.
 */
export function cacheFile(bundle: string): string {
  return `${bundle.replace(/\.cjs$/, '')}.${process.version}-${process.arch}.ccache`;
}

function readCache(bundle: string): Buffer | undefined {
  try {
    return readFileSync(cacheFile(bundle));
  } catch {
    return undefined; // not built for this node: compile as usual
  }
}

/** Compile a bundle as a CommonJS function, with its code cache if asked and there is one. */
export function compileBundle(file: string, useCache: boolean): Script {
  const source = readFileSync(file, 'utf8');
  return new Script(WRAPPER[0] + source + WRAPPER[1], { filename: file, cachedData: useCache ? readCache(file) : undefined });
}

function run(file: string, useCache: boolean, link: () => unknown): unknown {
  const script = compileBundle(file, useCache);
  scripts.set(file, script);
  const module = { exports: {} };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper(module.exports, createRequire(file), module, file, dirname(file), link);
  return module.exports;
}

/** Load the cli bundle from `dir` (the engine follows when a subcommand needs it). */
export function loadKiln(dir: string, names: BundleNames, useCache = true): CliBundle {
  let engine: unknown;
  const cli = run(join(dir, names.cli), useCache, () => (engine ??= run(join(dir, names.engine), useCache, () => cli))) as CliBundle;
  return cli;
}

/** Write the code cache of every bundle loaded so far (the build does, after a warm-up). */
export function writeCodeCaches(): string[] {
  return [...scripts].map(([file, script]) => {
    writeFileSync(cacheFile(file), script.createCachedData());
    return cacheFile(file);
  });
}
