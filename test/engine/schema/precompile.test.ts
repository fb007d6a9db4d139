// The validators compiled ahead of time (npm run build) judge exactly as the run-time ones do.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { precompiledSource } from '../../../src/engine/schema/precompile.js';
import { schemaFiles, schemasDigest, validatorFor } from '../../../src/engine/schema/registry.js';

describe('precompiled schemas', function () {
  this.timeout(60_000);
  let dir: string;
  let mod: { digest: string; validators: Record<string, ValidateFunction> };

  before(() => {
    // Inside the checkout, so the generated code finds ajv's runtime in node_modules.
    const base = fileURLToPath(new URL('../../../.kiln-tmp/', import.meta.url));
    mkdirSync(base, { recursive: true });
    dir = mkdtempSync(join(base, 'precompile-'));
    const file = join(dir, 'compiled.cjs');
    writeFileSync(file, precompiledSource());
    mod = createRequire(import.meta.url)(file) as typeof mod;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('covers every schema and carries the digest of their text', () => {
    assert.deepEqual(Object.keys(mod.validators).sort(), schemaFiles());
    assert.equal(mod.digest, schemasDigest());
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
      const ahead = mod.validators[rel] as ValidateFunction;
      const runtime = validatorFor(rel);
      const a = ahead(value);
      const b = runtime(value);
      assert.equal(a, b);
      const strip = (errs: ValidateFunction['errors']) => (errs ?? []).map((e) => [e.instancePath, e.keyword, JSON.stringify(e.params), (e.parentSchema as { [k: string]: unknown } | undefined)?.['x-fix']]);
      assert.deepEqual(strip(ahead.errors), strip(runtime.errors));
    });
  }
});
