// The yaml package stays lazy: a static import anywhere would load it on every run, cache or not.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { packagePath } from '../../../src/engine/paths.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : /\.c?ts$/.test(e.name) ? [join(dir, e.name)] : []));
}

describe('the yaml package', () => {
  it('is imported for its types only, and required by yaml_lib.cts alone', () => {
    const src = packagePath('src');
    const eager = sources(src).filter((f) => {
      const text = readFileSync(f, 'utf8');
      return /^import (?!type )[^;]*from 'yaml';/m.test(text) || (/require\('yaml'\)/.test(text) && !f.endsWith('yaml_lib.cts'));
    });
    assert.deepEqual(eager.map((f) => relative(src, f)), []);
  });
});
