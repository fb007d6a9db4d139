// YAML as Ansible reads it.
import { strict as assert } from 'node:assert';
import { parseYaml } from '../../../src/engine/load/yaml.js';

describe('YAML booleans as Ansible (PyYAML) reads them', () => {
  it('keeps y and n as strings, yes/no/on/off as booleans', () => {
    assert.deepEqual({ ...(parseYaml('n: 5\ny: 1\nyes: 2\nb: no\nc: off\nd: Y\n', 'b.yml').value as object) }, { n: 5, y: 1, true: 2, b: false, c: false, d: 'Y' });
  });
});
