// Loaded by mocha before any test (.mocharc): the whole suite, and every kiln it spawns, caches in a
// folder of its own, never in the user's ~/.cache/kiln.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'kiln-test-cache-'));
process.env['KILN_CACHE_DIR'] = dir;

export function mochaGlobalTeardown(): void {
  rmSync(dir, { recursive: true, force: true });
}
