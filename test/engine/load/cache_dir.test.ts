// Where caches live, and which folders kiln refuses to trust.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { cacheDir, cacheRoot, forgetCacheDirs } from '../../../src/engine/load/cache_dir.js';
import { parseYaml } from '../../../src/engine/load/yaml.js';
import { packageRoot } from '../../../src/engine/paths.js';
import { useCacheDir } from '../../support/cache_dir.js';

describe('the cache folder', () => {
  const cache = useCacheDir('kiln-cache-dir-');

  /** Point kiln at `root`, parse a text, and say whether the cache was used. */
  const used = (root: string): boolean => {
    process.env['KILN_CACHE_DIR'] = root;
    forgetCacheDirs();
    assert.deepEqual({ ...(parseYaml('a: 1\n', 'a.yml').value as object) }, { a: 1 });
    return cacheDir('yaml') !== undefined;
  };

  it('is KILN_CACHE_DIR, else $XDG_CACHE_HOME/kiln, else ~/.cache/kiln', () => {
    assert.equal(cacheRoot({ KILN_CACHE_DIR: 'rel/dir', XDG_CACHE_HOME: '/x' }), resolve('rel/dir'));
    assert.equal(cacheRoot({ XDG_CACHE_HOME: '/x' }), '/x/kiln');
    assert.equal(cacheRoot({ XDG_CACHE_HOME: 'relative' }), join(homedir(), '.cache', 'kiln'));
    assert.equal(cacheRoot({}), join(homedir(), '.cache', 'kiln'));
    assert.equal(cacheRoot({ KILN_CACHE_DIR: 'off', XDG_CACHE_HOME: '/x' }), undefined);
  });

  it('is created, with its parents, for the current user only', () => {
    const root = join(cache.dir, 'a', 'b');
    assert.ok(used(root));
    for (const d of [root, join(root, 'yaml')]) assert.equal(statSync(d).mode & 0o777, 0o700, d);
    assert.equal(readdirSync(join(root, 'yaml')).filter((f) => f.endsWith('.json')).length, 1);
  });

  it('is not used when group or others may write it', () => {
    const root = join(cache.dir, 'open');
    mkdirSync(root);
    chmodSync(root, 0o777);
    assert.equal(used(root), false);
    assert.equal(existsSync(join(root, 'yaml')), false);
    chmodSync(root, 0o700);
    mkdirSync(join(root, 'yaml'), { mode: 0o775 });
    chmodSync(join(root, 'yaml'), 0o775);
    assert.equal(used(root), false);
  });

  it('is not used through a symbolic link, at the root or below', () => {
    const real = join(cache.dir, 'real');
    mkdirSync(real, { mode: 0o700 });
    symlinkSync(real, join(cache.dir, 'link'));
    assert.equal(used(join(cache.dir, 'link')), false);
    assert.deepEqual(readdirSync(real), []);
    const root = join(cache.dir, 'root');
    mkdirSync(root, { mode: 0o700 });
    symlinkSync(real, join(root, 'yaml'));
    assert.equal(used(root), false);
    assert.deepEqual(readdirSync(real), []);
  });

  it('is not used when it is a file', () => {
    writeFileSync(join(cache.dir, 'file'), '');
    assert.equal(used(join(cache.dir, 'file')), false);
  });

  it("is not used when it is another user's", function () {
    if (process.getuid?.() !== 0) this.skip();
    const root = join(cache.dir, 'theirs');
    mkdirSync(root, { mode: 0o700 });
    chownSync(root, 4321, 4321);
    assert.equal(used(root), false);
    assert.equal(existsSync(join(root, 'yaml')), false);
  });

  it('says nothing about a refused folder (but one note under NODE_DEBUG=kiln)', () => {
    const root = join(cache.dir, 'open');
    mkdirSync(root);
    chmodSync(root, 0o777);
    const script = `import('${join(packageRoot(), 'src/engine/load/yaml.ts')}').then((m) => { m.parseYaml('a: 1\\n', 'a.yml'); m.parseYaml('b: 1\\n', 'b.yml'); })`;
    const run = (debug: string): string => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { env: { ...process.env, KILN_CACHE_DIR: root, NODE_DEBUG: debug }, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout + r.stderr;
    };
    assert.equal(run(''), '');
    assert.equal(run('kiln').match(/not caching/g)?.length, 1);
  });
});
