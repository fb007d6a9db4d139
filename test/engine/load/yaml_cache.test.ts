// The parse cache as parseYaml uses it: hits, misses, repairs, and several kilns at once.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '../../../src/engine/errors.js';
import { valueLocOf } from '../../../src/engine/load/locations.js';
import { parseYaml, probeYaml } from '../../../src/engine/load/yaml.js';
import { cacheSlot, pruneCache, readCached, type CacheSlot } from '../../../src/engine/load/yaml_cache.js';
import { encodeLoaded } from '../../../src/engine/load/yaml_codec.js';
import { parseYamlText } from '../../../src/engine/load/yaml_parse.js';
import { packageRoot } from '../../../src/engine/paths.js';
import { useCacheDir } from '../../support/cache_dir.js';
import { assertSameLoaded, EDGE_CASES, repoYamlFiles } from '../../support/loaded_yaml.js';

/** The message of the ValidationError `f` throws; the test fails when it throws none. */
function validationMessage(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ValidationError);
    return e.message;
  }
  return assert.fail('parsed');
}

const TEXT = 'tasks:\n  - name: one\n    file:\n      path: /tmp/x\n      mode: 0644\n';

describe('the YAML parse cache', () => {
  const cache = useCacheDir('kiln-yaml-cache-', { point: true });

  const slotOf = (source: string): CacheSlot => cacheSlot(source) ?? assert.fail('no cache slot');
  const entries = (): string[] => (existsSync(join(cache.dir, 'yaml')) ? readdirSync(join(cache.dir, 'yaml')) : []).filter((f) => f.endsWith('.json'));

  it('gives from the cache exactly what a fresh parse gives, for the whole corpus', () => {
    const root = packageRoot();
    const texts = [...repoYamlFiles(root).map((f) => [f, readFileSync(join(root, f), 'utf8')]), ...Object.entries(EDGE_CASES)];
    let hits = 0;
    for (const [file, source] of texts as [string, string][]) {
      let fresh: unknown;
      try {
        fresh = parseYamlText(source, file);
      } catch {
        continue;
      }
      parseYaml(source, file);
      assert.ok(readCached(slotOf(source), file), `${file}: not cached`);
      const cached = parseYaml(source, file);
      assert.equal(cached.source, source);
      assertSameLoaded(cached.value, fresh, file);
      hits++;
    }
    assert.ok(hits > 40, `${hits} hits`);
  });

  it('reads a hit from the entry, not from the parser', () => {
    parseYaml(TEXT, 'a.yml');
    const slot = slotOf(TEXT);
    writeFileSync(slot.path, JSON.stringify([1, slot.key, encodeLoaded(parseYamlText('doctored: true\n', 'a.yml'), 'a.yml')]));
    assert.deepEqual({ ...(parseYaml(TEXT, 'a.yml').value as object) }, { doctored: true });
  });

  it('misses on any change of the text', () => {
    parseYaml(TEXT, 'a.yml');
    const changed = TEXT.replace('0644', '0645');
    const value = parseYaml(changed, 'a.yml').value as { tasks: { file: { mode: number } }[] };
    assert.equal(value.tasks[0]!.file.mode, 0o645);
    assert.equal(entries().length, 2);
    assert.notEqual(slotOf(changed).key, slotOf(TEXT).key);
  });

  it('shows the path it is asked for, whatever path stored the entry', () => {
    parseYaml(TEXT, 'first/site.yml');
    const value = parseYaml(TEXT, 'other/copy.yml').value as { tasks: object[] };
    assert.equal(entries().length, 1);
    assert.deepEqual(valueLocOf(value.tasks[0], 'name'), { file: 'other/copy.yml', line: 2, col: 11 });
    assertSameLoaded(value, parseYamlText(TEXT, 'other/copy.yml'));
  });

  it('parses afresh and repairs an entry that is truncated, garbled, or of another format', () => {
    const slot = slotOf(TEXT);
    const damage: ((path: string) => void)[] = [
      (p) => truncateSync(p, 20),
      (p) => writeFileSync(p, '[1, "not the key", null]'),
      (p) => writeFileSync(p, readFileSync(p, 'utf8').replace(/^\[1,/, '[999,')),
      (p) => writeFileSync(p, readFileSync(p, 'utf8').replace(/\[0,\[/, '[7,[')),
      (p) => writeFileSync(p, ''),
    ];
    for (const d of damage) {
      parseYaml(TEXT, 'a.yml');
      d(slot.path);
      assert.equal(readCached(slot, 'a.yml'), undefined);
      assertSameLoaded(parseYaml(TEXT, 'a.yml').value, parseYamlText(TEXT, 'a.yml'));
      assert.ok(readCached(slot, 'a.yml'), 'entry repaired');
    }
  });

  it('never stores a failed parse: errors come out the same every time', () => {
    const broken = 'a: 1\na: 2\nb: [\n';
    const messages = [0, 1].map(() => validationMessage(() => parseYaml(broken, 'bad.yml')));
    assert.equal(messages[0], messages[1]);
    assert.deepEqual(entries(), []);
  });

  it('remembers a probed text that is not YAML, and still gives the error to parseYaml', () => {
    const ini = '[web]\nweb1 a=1\n[web:vars]\nb: [\n';
    const expected = validationMessage(() => parseYamlText(ini, 'hosts'));
    assert.equal(probeYaml(ini, 'hosts'), undefined);
    assert.deepEqual(readCached(slotOf(ini), 'hosts'), { failed: true });
    assert.equal(probeYaml(ini, 'hosts'), undefined);
    assert.throws(() => parseYaml(ini, 'hosts'), (e) => e instanceof ValidationError && e.message === expected);
    assert.equal(entries().length, 1);
    // A YAML text probes like parseYaml: the value, cached.
    assertSameLoaded(probeYaml(TEXT, 'a')?.value, parseYamlText(TEXT, 'a'));
    assert.ok(readCached(slotOf(TEXT), 'a') && 'value' in (readCached(slotOf(TEXT), 'a') ?? {}));
  });

  it('does not cache a text with a lone surrogate (UTF-8 would make it another text)', () => {
    assert.equal((parseYaml('a: x\uD800\n', 'a.yml').value as Record<string, string>)['a'], 'x\uD800');
    assert.deepEqual(entries(), []);
    assert.equal((parseYaml('a: x\uFFFD\n', 'a.yml').value as Record<string, string>)['a'], 'x\uFFFD');
    assert.equal(entries().length, 1);
  });

  it('is not used when cache: false', () => {
    parseYaml(TEXT, 'a.yml', { cache: false });
    assert.deepEqual(entries(), []);
  });

  it('is off with KILN_CACHE_DIR=off', () => {
    const home = mkdtempSync(join(tmpdir(), 'kiln-home-'));
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', `import('${join(packageRoot(), 'src/engine/load/yaml.ts')}').then((m) => m.parseYaml('a: 1\\n', 'a.yml'))`], {
      env: { ...process.env, KILN_CACHE_DIR: 'off', HOME: home, XDG_CACHE_HOME: join(home, 'xdg') },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readdirSync(home), []);
    rmSync(home, { recursive: true });
  });

  it('removes entries unused for 30 days, and stale temp files', () => {
    parseYaml(TEXT, 'a.yml');
    parseYaml('other: 1\n', 'b.yml');
    const [old, recent] = [slotOf(TEXT).path, slotOf('other: 1\n').path];
    const then = new Date(Date.now() - 31 * 24 * 3600 * 1000);
    utimesSync(old, then, then);
    writeFileSync(`${old}.123-x.tmp`, '');
    utimesSync(`${old}.123-x.tmp`, then, then);
    pruneCache(join(cache.dir, 'yaml'));
    assert.deepEqual([existsSync(old), existsSync(recent), existsSync(`${old}.123-x.tmp`)], [false, true, false]);
  });

  it('marks an entry used when it hits, so pruning keeps it', () => {
    parseYaml(TEXT, 'a.yml');
    const path = slotOf(TEXT).path;
    const then = new Date(Date.now() - 31 * 24 * 3600 * 1000);
    utimesSync(path, then, then);
    parseYaml(TEXT, 'a.yml');
    pruneCache(join(cache.dir, 'yaml'));
    assert.ok(existsSync(path));
  });

  it('lets several kilns write the same entry at once', async () => {
    const big = EDGE_CASES['big.yml']!;
    const file = join(cache.dir, 'big.yml');
    writeFileSync(file, big);
    const script = `import('${join(packageRoot(), 'src/engine/load/yaml.ts')}').then((m) => { const v = m.loadYamlFile(${JSON.stringify(file)}).value; process.stdout.write(JSON.stringify(v)); })`;
    const runs = Array.from({ length: 6 }, () =>
      new Promise<string>((done, fail) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { env: process.env });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.on('error', fail);
        child.on('close', (code) => (code === 0 ? done(out) : fail(new Error(`exit ${code}`))));
      }),
    );
    const outputs = await Promise.all(runs);
    assert.equal(new Set(outputs).size, 1);
    assert.deepEqual(readdirSync(join(cache.dir, 'yaml')).filter((f) => !f.startsWith('.')), entries());
    assert.equal(entries().length, 1);
    assertSameLoaded(parseYaml(big, file).value, parseYamlText(big, file));
  });

  it('does not load the yaml package when every text hits', () => {
    const file = join(cache.dir, 'site.yml');
    writeFileSync(file, TEXT);
    const script = `import { createRequire } from 'node:module';
      const m = await import('${join(packageRoot(), 'src/engine/load/yaml.ts')}');
      m.loadYamlFile(${JSON.stringify(file)});
      const loaded = Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes('/node_modules/yaml/dist/'));
      process.stdout.write(String(loaded));`;
    const run = (): string => spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: process.env, encoding: 'utf8' }).stdout;
    assert.deepEqual([run(), run()], ['true', 'false']);
  });

  it('does not load the yaml package for an INI inventory without an extension, once probed', () => {
    const file = join(cache.dir, 'hosts');
    writeFileSync(file, '[web]\nweb1 a=1\n[web:vars]\nb=[\n');
    const script = `import { createRequire } from 'node:module';
      const m = await import('${join(packageRoot(), 'src/engine/inventory/load.ts')}');
      const inv = await m.loadInventory([${JSON.stringify(file)}]);
      const loaded = Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes('/node_modules/yaml/dist/'));
      process.stdout.write(String(loaded) + ' ' + inv.groups.get('web').hosts.join());`;
    const run = (): string => spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: process.env, encoding: 'utf8' }).stdout;
    assert.deepEqual([run(), run()], ['true web1', 'false web1']);
  });
});
