// For one describe block of the cache tests: a fresh folder per test, optionally set as
// KILN_CACHE_DIR, and KILN_CACHE_DIR and kiln's memo of checked folders restored after each test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forgetCacheDirs } from '../../src/engine/load/cache_dir.js';

/** `dir` is the current test's folder (`point`: KILN_CACHE_DIR names it during the test). */
export function useCacheDir(prefix: string, { point = false }: { point?: boolean } = {}): { readonly dir: string } {
  const saved = process.env['KILN_CACHE_DIR'];
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    if (point) process.env['KILN_CACHE_DIR'] = dir;
    forgetCacheDirs();
  });
  afterEach(() => {
    if (saved === undefined) delete process.env['KILN_CACHE_DIR'];
    else process.env['KILN_CACHE_DIR'] = saved;
    forgetCacheDirs();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
  };
}
