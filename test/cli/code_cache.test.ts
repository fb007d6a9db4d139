// The built CLI runs its bundles with the V8 code cache the build wrote (src/cli/bundles.ts):
// V8 must accept it on this node, and a cache it rejects must cost time only, never behaviour.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheFile, compileBundle } from '../../src/cli/bundles.js';
import { COMMONJS, compileCached } from '../../src/engine/code_cache.js';
import { ROOT } from '../support/cli.js';

const CLI = join(ROOT, 'dist', 'cli');

function run(main: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [main, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('code cache of the built CLI', function () {
  before(function () {
    // The sources (tsx) have no bundles; the built ones may be stale then.
    if (process.env['KILN_TEST_SOURCE']) this.skip();
  });

  it('has a cache that this node accepts for every bundle: cli, engine and the vendored packages', () => {
    const bundles = readdirSync(CLI).filter((f) => f.endsWith('.cjs') && f !== 'main.cjs');
    assert.deepEqual(bundles.map((f) => f.replace(/-\w+\.cjs$/, '')).sort(), ['cli', 'engine', 'vendor-handlebars', 'vendor-yaml']);
    for (const f of bundles) {
      // The vendored packages are plain CommonJS modules (requireCached); kiln's two bundles also get __kilnLink.
      const script = f.startsWith('vendor-') ? compileCached(join(CLI, f), COMMONJS) : compileBundle(join(CLI, f), true);
      assert.equal(script.cachedDataRejected, false, `${cacheFile(f)} rejected or missing`);
    }
  });

  it('has a cache, which this node accepts, for the validators a play uses', () => {
    for (const rel of ['playbook.schema.cjs', 'modules/file.schema.cjs', 'modules/copy.schema.cjs']) {
      const file = join(ROOT, 'dist', 'validators', rel);
      assert.equal(compileCached(file, COMMONJS).cachedDataRejected, false, `${cacheFile(file)} rejected or missing`);
    }
  });

  it('has only ASCII in the files compiled through node:vm (they are read as latin1)', () => {
    const files = [
      ...readdirSync(CLI).filter((f) => f.endsWith('.cjs')).map((f) => join(CLI, f)),
      ...readdirSync(join(ROOT, 'dist', 'validators'), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.cjs'))
        .map((f) => join(ROOT, 'dist', 'validators', f)),
    ];
    assert.ok(files.length > 10, files.join(', '));
    for (const f of files) assert.doesNotMatch(readFileSync(f, 'latin1'), /[\u0080-\uffff]/, f);
  });

  it('runs the same without a usable cache (corrupt, or made by another node)', () => {
    const pkg = mkdtempSync(join(tmpdir(), 'kiln-ccache-'));
    try {
      for (const p of ['package.json', 'schemas', join('dist', 'cli'), join('dist', 'validators')]) cpSync(join(ROOT, p), join(pkg, p), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir');
      const caches = readdirSync(join(pkg, 'dist'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ccache'));
      assert.ok(caches.length >= 3, caches.join(', '));
      for (const f of caches) writeFileSync(join(pkg, 'dist', f), 'not a code cache');
      const bad = join(pkg, 'bad.yml');
      writeFileSync(bad, '- hosts: all\n  tasks:\n    - name: t\n      file: { path: /x, state: nonsense }\n');
      for (const args of [['doc', 'copy'], ['validate', 'no-such.yml'], ['validate', bad], ['--version']]) {
        const want = run(join(CLI, 'main.cjs'), args);
        assert.deepEqual(run(join(pkg, 'dist', 'cli', 'main.cjs'), args), want, args.join(' '));
      }
    } finally {
      rmSync(pkg, { recursive: true, force: true });
    }
  });
});
