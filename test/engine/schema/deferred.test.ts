// Templated values are checked after rendering, so validation must not refuse them up front,
// not even through the if/then/else summaries above them.
import { strict as assert } from 'node:assert';
import { parseYaml } from '../../../src/engine/load/yaml.js';
import { validateAgainst } from '../../../src/engine/schema/validate.js';
import { isTemplated } from '../../../src/engine/template/render.js';

const deferred = (_p: string[], v: unknown): boolean => typeof v === 'string' && isTemplated(v);

function problems(text: string): string[] {
  const { value } = parseYaml(text, 'p.yml');
  return validateAgainst('playbook.schema.json', value, { deferred }).map((p) => p.format());
}

describe('validation of templated values', () => {
  it('accepts a templated enum and a templated integer', () => {
    assert.deepEqual(problems(`- hosts: all\n  tasks:\n    - file: {path: /x, state: "{{ wanted }}"}\n    - package: {name: curl, cache_valid_time: "{{ n }}"}\n`), []);
  });
  it('still refuses a plain wrong value beside them', () => {
    const found = problems(`- hosts: all\n  tasks:\n    - file: {path: /x, state: "{{ wanted }}"}\n    - file: {path: /y, state: directoryy}\n`);
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(found[0] ?? '', /p\.yml:4:\d+: .*file\.state must be one of/);
  });
});

