// A module is its schema file: the playbook schema's task and handler keys, the registry, the
// engine's traits and the editors' copy in dist/schemas all come from schemas/modules/.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packagePath } from '../../../src/engine/paths.js';
import { moduleIndexFile, moduleSchemas, readJson, readModuleSchemas, schemaFiles, schemasDigest } from '../../../src/engine/schema/registry.js';
import { moduleTraits } from '../../../src/engine/schema/traits.js';
import { validateAgainst } from '../../../src/engine/schema/validate.js';
import { MODULES, moduleNames } from '../../../src/modules/index.js';

describe('schema: module keys come from schemas/modules/', () => {
  it('the file on disk lists no module key; the loaded playbook schema has one per name and alias, in tasks and handlers', () => {
    const raw = JSON.parse(readFileSync(packagePath('schemas', 'playbook.schema.json'), 'utf8')) as { $defs: Record<string, { properties: Record<string, { $ref?: string }> }> };
    for (const def of ['task', 'handler']) {
      assert.deepEqual(Object.values(raw.$defs[def]!.properties).filter((p) => p.$ref?.startsWith('modules/')), [], def);
    }
    const loaded = readJson('playbook.schema.json') as typeof raw;
    for (const m of moduleSchemas()) {
      for (const key of m.keys) {
        for (const def of ['task', 'handler']) assert.equal(loaded.$defs[def]!.properties[key]?.$ref, m.file, `${def}.${key}`);
      }
    }
  });

  it('every module file has a schema and every schema a module, under each of its keys', () => {
    const files = readdirSync(packagePath('src', 'modules')).filter((f) => f.endsWith('.ts') && f !== 'index.ts' && f !== 'registry.gen.ts').map((f) => f.slice(0, -3));
    assert.deepEqual(moduleNames(), files.sort());
    assert.deepEqual(moduleSchemas().map((m) => m.name), moduleNames());
    for (const m of moduleSchemas()) for (const key of m.keys) assert.equal(MODULES.get(key)?.name, m.name, key);
  });

  it('validates a task by the module an alias names', () => {
    const bad = validateAgainst('playbook.schema.json', [{ hosts: 'all', tasks: [{ apt: { name: 'x', state: 'sideways' } }] }]).map((p) => p.format());
    assert.equal(bad.length, 1, bad.join('\n'));
    assert.match(bad[0] ?? '', /state/);
    assert.deepEqual(validateAgainst('playbook.schema.json', [{ hosts: 'all', tasks: [{ 'ansible.builtin.apt': { name: 'x' } }] }]), []);
  });

  it('reads what the engine must know of a module from its schema', () => {
    assert.equal(moduleTraits('command').freeForm, 'cmd');
    assert.equal(moduleTraits('ansible.builtin.shell').freeForm, 'cmd');
    assert.deepEqual(moduleTraits('assert').conditions, ['that']);
    assert.deepEqual(moduleTraits('set_fact').setsFacts, { except: ['cacheable'] });
    assert.equal(moduleTraits('meta').playControl, true);
    assert.equal(moduleTraits('meta').rawString, true);
    assert.equal(moduleTraits('debug').local, true);
    assert.deepEqual(moduleTraits('copy'), {});
    assert.deepEqual(moduleTraits('no_such_module'), {});
  });

  it('the build writes the composed schemas for editors, and the module index a built kiln reads, into dist/schemas', function () {
    const dir = packagePath('dist', 'schemas');
    if (!existsSync(dir)) this.skip();
    for (const rel of schemaFiles()) assert.deepEqual(JSON.parse(readFileSync(join(dir, rel), 'utf8')), readJson(rel), rel);
    const index = JSON.parse(readFileSync(moduleIndexFile(), 'utf8')) as { digest: string; modules: unknown };
    assert.equal(index.digest, schemasDigest(), 'the module index was built from the schemas as they are');
    assert.deepEqual(index.modules, JSON.parse(JSON.stringify(readModuleSchemas())));
  });
});
