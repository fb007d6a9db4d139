// V8's code cache for the CommonJS files a built kiln runs: its two bundles (src/cli/bundles.ts)
// and the precompiled validators (schema/registry.ts). Node 20 can use a code cache only for
// scripts, so these are compiled through node:vm. The build runs kiln once (warm_cache.ts) and
// then writes each file's cache beside it: later runs neither parse nor compile what that run
// executed. A cache made by another node, V8 or flags is rejected by V8, and the file compiles
// as usual. V8 checks only the source's length: the build must not reuse a name for new content.
// The build writes these files as ASCII (src/build/ascii.ts), so they are read as latin1: exact for
// ASCII, faster than decoding UTF-8, and a one-byte string for V8.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

// The launcher and the engine bundle each hold a copy of this module; the scripts both load
// must reach the one writeCodeCaches the warm-up calls.
const SCRIPTS = Symbol.for('kiln.codeCache.scripts');
const scripts = ((globalThis as Record<symbol, unknown>)[SCRIPTS] ??= new Map<string, Script>()) as Map<string, Script>;

/** The cache file of a script, for this node. */
export function cacheFile(file: string): string {
  return `${file.replace(/\.c?js$/, '')}.${process.version}-${process.arch}.ccache`;
}

function readCache(file: string): Buffer | undefined {
  try {
    return readFileSync(cacheFile(file));
  } catch {
    return undefined; // not built for this node: compile as usual
  }
}

/** Compile a CommonJS file as a function of `params`, with its code cache if asked and there is one. */
export function compileCached(file: string, params: readonly string[], useCache = true): Script {
  const source = readFileSync(file, 'latin1');
  const script = new Script(`(function (${params.join(', ')}) {${source}\n})`, { filename: file, cachedData: useCache ? readCache(file) : undefined });
  scripts.set(file, script);
  return script;
}

/** The parameters of a CommonJS module's function. */
export const COMMONJS = ['exports', 'require', 'module', '__filename', '__dirname'] as const;

/** require() for a CommonJS file that needs nothing more, through the code cache. */
export function requireCached(file: string): unknown {
  const module = { exports: {} as unknown };
  const run = compileCached(file, COMMONJS).runInThisContext() as (...args: unknown[]) => void;
  run(module.exports, createRequire(file), module, file, dirname(file));
  return module.exports;
}

/** Write the code cache of every script compiled so far (the build does, after its warm-up run). */
export function writeCodeCaches(): string[] {
  return [...scripts].map(([file, script]) => {
    writeFileSync(cacheFile(file), script.createCachedData());
    return cacheFile(file);
  });
}
