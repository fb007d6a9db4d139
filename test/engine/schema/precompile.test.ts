// The validators compiled ahead of time (npm run build) judge exactly as the run-time ones do.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { precompiledSource } from '../../../src/engine/schema/precompile.js';
import { precompiledFile, precompiledDir, schemaFiles, schemasDigest, validatorFor } from '../../../src/engine/schema/registry.js';

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
