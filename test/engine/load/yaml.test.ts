// YAML as Ansible reads it.
import { strict as assert } from 'node:assert';
import { parseYaml } from '../../../src/engine/load/yaml.js';

describe('YAML booleans as Ansible (PyYAML) reads them', () => {
  it('keeps y and n as strings, yes/no/on/off as booleans', () => {
    assert.deepEqual({ ...(parseYaml('n: 5\ny: 1\nyes: 2\nb: no\nc: off\nd: Y\n', 'b.yml').value as object) }, { n: 5, y: 1, true: 2, b: false, c: false, d: 'Y' });
  });
});

describe('YAML aliases are bounded', () => {
  const fails = (text: string, re: RegExp): void => assert.throws(() => parseYaml(text, 'a.yml', { cache: false }), (e: Error) => re.test(e.message));

  it('refuses an alias bomb at its line, quickly and without running out of memory', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [i, n] of [...'bcdefghi'].entries()) levels.push(`${n}: &${n} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`);
    const t0 = Date.now();
    fails(levels.join('\n'), /^a\.yml:\d+:\d+: YAML aliases here expand to more than 100000 values/);
    assert.ok(Date.now() - t0 < 10_000);
  });

  it('refuses a value that contains itself through an alias or a merge key, and an undefined alias', () => {
    fails('x: &a [ *a ]\n', /a\.yml:1:9: the alias \*a refers to a value that contains it/);
    fails('x: &a {<<: *a}\n', /a\.yml:1:\d+: a merge key \(<<\) refers to the mapping that contains it/);
    fails('x: *nope\n', /a\.yml:1:4: the alias \*nope names no anchor/);
  });

  it('still expands ordinary aliases and merge keys, each time they are used', () => {
    const v = parseYaml('base: &b {port: 80}\nweb: {<<: *b, name: w}\nlist: [*b, *b]\n', 'a.yml', { cache: false }).value as Record<string, unknown>;
    assert.deepEqual({ ...(v['web'] as object) }, { name: 'w', port: 80 });
    assert.equal((v['list'] as unknown[]).length, 2);
  });
});
