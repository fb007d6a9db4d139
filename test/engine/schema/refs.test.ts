// The schemas are plain files an editor can use: every $ref is a relative path to a file that
// exists, and its JSON pointer points at something. Nothing relies on kiln's registry to resolve.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SCHEMA_DIR, schemaFiles } from '../../../src/engine/schema/registry.js';

function refs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const x of node) refs(x, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

function pointer(doc: unknown, frag: string): unknown {
  let node = doc;
  for (const step of frag.replace(/^\//, '').split('/').filter(Boolean)) {
    node = (node as Record<string, unknown> | undefined)?.[step.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

describe('schema files', () => {
  for (const rel of schemaFiles()) {
    it(`${rel}: draft 2020-12, no $id, every $ref resolves as a relative file path`, () => {
      const doc = JSON.parse(readFileSync(join(SCHEMA_DIR, rel), 'utf8')) as Record<string, unknown>;
      assert.equal(doc['$schema'], 'https://json-schema.org/draft/2020-12/schema');
      assert.equal(doc['$id'], undefined);
      for (const ref of refs(doc)) {
        assert.doesNotMatch(ref, /^[a-z]+:/, `${ref} is not relative`);
        const [file, frag = ''] = ref.split('#');
        const target = file ? join(SCHEMA_DIR, dirname(rel), file) : join(SCHEMA_DIR, rel);
        assert.ok(existsSync(target), `${ref} in ${rel}: ${target} does not exist`);
        const targetDoc = JSON.parse(readFileSync(target, 'utf8')) as unknown;
        assert.notEqual(pointer(targetDoc, frag), undefined, `${ref} in ${rel}: #${frag} points at nothing`);
      }
    });
  }
});
