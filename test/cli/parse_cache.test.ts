// The YAML parse cache seen from the command line: what kiln says about a playbook is the same
// whether its YAML was parsed, or came from the cache, written under another path.
import { strict as assert } from 'node:assert';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kiln, type CliResult } from '../support/cli.js';

const INVALID = 'test/fixtures/invalid';

describe('kiln with the YAML parse cache', function () {
  this.timeout(600_000);
  let cache = '';
  before(() => {
    cache = mkdtempSync(join(tmpdir(), 'kiln-cli-cache-'));
  });
  after(() => rmSync(cache, { recursive: true, force: true }));

  const run = (file: string, cacheDir: string): Promise<CliResult> => kiln(['validate', file, '-e', 'marker_dir=/nonexistent/marker'], { env: { KILN_CACHE_DIR: cacheDir } });

  it('reports every broken playbook of the corpus alike from the cache and from the parser', async () => {
    const names = readdirSync(INVALID).filter((f) => f.endsWith('.yml'));
    for (let i = 0; i < names.length; i += 4) {
      await Promise.all(
        names.slice(i, i + 4).map(async (name) => {
          const file = `${INVALID}/${name}`;
          const parsed = await run(file, 'off');
          const written = await run(file, cache);
          const hit = await run(file, cache);
          assert.deepEqual(written, parsed, `${name}: first run with the cache`);
          assert.deepEqual(hit, parsed, `${name}: from the cache`);
          assert.equal(parsed.code, 3, `${name}: ${parsed.stderr}`);
        }),
      );
    }
    assert.ok(readdirSync(join(cache, 'yaml')).filter((f) => f.endsWith('.json')).length > 20);
  });

  it('names the file it was given, not the one that filled the cache', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'kiln-cli-copy-'));
    mkdirSync(join(copy, 'elsewhere'));
    const name = 'copy_missing_dest.yml';
    copyFileSync(join(INVALID, name), join(copy, 'elsewhere', name));
    await run(`${INVALID}/${name}`, cache);
    const there = await kiln(['validate', join('elsewhere', name)], { cwd: copy, env: { KILN_CACHE_DIR: cache } });
    const fresh = await kiln(['validate', join('elsewhere', name)], { cwd: copy, env: { KILN_CACHE_DIR: 'off' } });
    rmSync(copy, { recursive: true });
    assert.deepEqual(there, fresh);
    assert.match(there.stderr, /elsewhere\/copy_missing_dest\.yml:\d+:\d+/);
  });
});
