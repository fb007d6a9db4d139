// Where kiln's package is installed. The code runs from src/ (tsx), from tsc's dist/ and from the
// bundle in dist/cli/, at different depths below the package: so find the root by its
// package.json, not by a fixed number of "../".
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PackageJson {
  name: string;
  version: string;
}

let found: { root: string; json: PackageJson } | undefined;

function locate(): { root: string; json: PackageJson } {
  if (found) return found;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const json = readPackageJson(join(dir, 'package.json'));
    if (json?.name === 'kiln') return (found = { root: dir, json });
    const up = dirname(dir);
    if (up === dir) throw new Error(`kiln: no package.json named "kiln" above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

function readPackageJson(file: string): PackageJson | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The package's folder (holding package.json, schemas/, dist/), without a trailing slash. */
export function packageRoot(): string {
  return locate().root;
}

/** kiln's own package.json. */
export function packageJson(): PackageJson {
  return locate().json;
}

/** A path inside the package: packagePath('schemas') → /…/kiln/schemas. */
export function packagePath(...parts: string[]): string {
  return join(locate().root, ...parts);
}

/** The built bin's file name, in dist/cli/ (src/build/bundle.ts writes it). */
export const BIN = 'main.cjs';
