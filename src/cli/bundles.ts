// The built kiln runs as two CommonJS bundles (src/build/build.ts) compiled through node:vm with
// the V8 code cache the build wrote after a warm-up: start-up then neither parses nor compiles
// ~1 MB of JavaScript, and the functions a play runs first already have bytecode. Node 20 can
// only use a code cache for scripts, not ES modules, hence CommonJS.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Script } from 'node:vm';
import { compileCached } from '../engine/code_cache.js';

export { cacheFile, writeCodeCaches } from '../engine/code_cache.js';

/** The bundles' file names (content-hashed), in the folder of the bin (main.cjs). */
export interface BundleNames {
  cli: string;
  engine: string;
}

/** What the cli bundle (src/cli/cli_entry.ts) exports. */
export interface CliBundle {
  main(argv: string[]): Promise<void>;
  mainAndExit(argv: string[]): Promise<never>;
}

// Each bundle gets the other one through __kilnLink: the cli loads the engine on first use (so
// --help stays small), and the engine shares the cli's errors (instanceof must hold across both).
const PARAMS = ['exports', 'require', 'module', '__filename', '__dirname', '__kilnLink'] as const;

/** Compile a bundle as a CommonJS function, with its code cache if asked and there is one. */
export function compileBundle(file: string, useCache: boolean): Script {
  return compileCached(file, PARAMS, useCache);
}

function run(file: string, useCache: boolean, link: () => unknown): unknown {
  const module = { exports: {} };
  const wrapper = compileBundle(file, useCache).runInThisContext() as (...args: unknown[]) => void;
  wrapper(module.exports, createRequire(file), module, file, dirname(file), link);
  return module.exports;
}

/** Load the cli bundle from `dir` (the engine follows when a subcommand needs it). */
export function loadKiln(dir: string, names: BundleNames, useCache = true): CliBundle {
  let engine: unknown;
  const cli = run(join(dir, names.cli), useCache, () => (engine ??= run(join(dir, names.engine), useCache, () => cli))) as CliBundle;
  return cli;
}
