// The validators compiled ahead of time (npm run build) judge exactly as the run-time ones do.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { precompiledSource } from '../../../src/engine/schema/precompile.js';
import { currentDigest, precompiledFile, precompiledDir, schemaFiles, schemasDigest, schemasStamp, validatorFor } from '../../../src/engine/schema/registry.js';

describe('precompiled schemas', function () {
  this.timeout(60_000);
  let dir: string;
  const mods: Record<string, { digest: string; validate: ValidateFunction }> = {};

  before(() => {
    // Inside the checkout, so the generated code finds ajv's runtime in node_modules.
    const base = fileURLToPath(new URL('../../../.kiln-tmp/', import.meta.url));
    mkdirSync(base, { recursive: true });
    dir = mkdtempSync(join(base, 'precompile-'));
    for (const rel of schemaFiles()) {
      const file = join(dir, `${rel.replace(/\//g, '_')}.cjs`);
      writeFileSync(file, precompiledSource(rel));
      mods[rel] = createRequire(import.meta.url)(file) as { digest: string; validate: ValidateFunction };
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('makes one file per schema, each carrying the digest of their text', () => {
    assert.deepEqual(Object.keys(mods).sort(), schemaFiles());
    for (const m of Object.values(mods)) {
      assert.equal(m.digest, schemasDigest());
      assert.equal(typeof m.validate, 'function');
    }
  });

  it('puts each file under dist/validators/, by the schema path', () => {
    assert.match(precompiledDir(), /\/dist\/validators$/);
    assert.equal(precompiledFile('modules/copy.schema.json'), `${precompiledDir()}/modules/copy.schema.cjs`);
  });

  it('keeps a schema file small: only the schema and the ones it refers to', () => {
    const size = (rel: string) => precompiledSource(rel).length;
    assert.ok(size('modules/copy.schema.json') * 10 < size('playbook.schema.json'));
  });

  describe('the digest the precompiled files are checked against', () => {
    const stampFile = (): string => join(dir, 'schemas.stamp.json');
    const writeStamp = (stamp: unknown): void => writeFileSync(stampFile(), JSON.stringify(stamp));

    it("takes the build's stamp while every schema file has the size and mtime it recorded", () => {
      // A digest no file could hash to: it can only come from the stamp.
      writeStamp({ ...schemasStamp(), digest: 'from-the-stamp' });
      assert.equal(currentDigest(stampFile()), 'from-the-stamp');
    });

    it('hashes the files when one has another mtime or size than the stamp says', () => {
      const stamp = schemasStamp();
      const [first, size, mtimeMs] = stamp.files[0] as [string, number, number];
      writeStamp({ digest: 'stale', files: [[first, size, mtimeMs + 1], ...stamp.files.slice(1)] });
      assert.equal(currentDigest(stampFile()), schemasDigest());
      writeStamp({ digest: 'stale', files: [[first, size + 1, mtimeMs], ...stamp.files.slice(1)] });
      assert.equal(currentDigest(stampFile()), schemasDigest());
    });

    it('hashes the files when a schema file was added or removed since the stamp', () => {
      const stamp = schemasStamp();
      writeStamp({ digest: 'stale', files: stamp.files.slice(1) });
      assert.equal(currentDigest(stampFile()), schemasDigest());
      writeStamp({ digest: 'stale', files: [...stamp.files, ['zz.schema.json', 1, 1]] });
      assert.equal(currentDigest(stampFile()), schemasDigest());
    });

    it('hashes the files when there is no stamp, or it is not JSON', () => {
      assert.equal(currentDigest(join(dir, 'missing.json')), schemasDigest());
      writeFileSync(stampFile(), '{"digest": "trunc');
      assert.equal(currentDigest(stampFile()), schemasDigest());
    });
  });

  const samples: [string, unknown][] = [
    ['playbook.schema.json', [{ hosts: 'all', tasks: [{ copy: { dest: '/x', content: 'y', mode: '0644' } }] }]],
    ['playbook.schema.json', [{ hosts: 'all', tasks: [{ copy: { dest: 1, mode: 644, bogus: 1 } }, { whenn: 1, file: {} }] }]],
    ['playbook.schema.json', [{ tasks: [] }]],
    ['modules/file.schema.json', { path: '/x', state: 'installed' }],
    ['modules/command.schema.json', { cmd: 'ls', creates: '/x' }],
    ['vars.schema.json', { 'bad name': 1 }],
  ];
  for (const [rel, value] of samples) {
    it(`gives the same verdict and errors for ${rel}: ${JSON.stringify(value).slice(0, 60)}`, () => {
      const ahead = (mods[rel] as { validate: ValidateFunction }).validate;
      const runtime = validatorFor(rel);
      const a = ahead(value);
      const b = runtime(value);
      assert.equal(a, b);
      const strip = (errs: ValidateFunction['errors']) => (errs ?? []).map((e) => [e.instancePath, e.keyword, JSON.stringify(e.params), (e.parentSchema as { [k: string]: unknown } | undefined)?.['x-fix']]);
      assert.deepEqual(strip(ahead.errors), strip(runtime.errors));
    });
  }
});
