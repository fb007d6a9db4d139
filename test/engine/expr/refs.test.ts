import { strict as assert } from 'node:assert';
import { parseCondition } from '../../../src/engine/expr/parse.js';
import { freeVariables, variableRefs } from '../../../src/engine/expr/refs.js';

describe('expr/refs', () => {
  it('lists root variables once, in order', () => {
    assert.deepEqual(freeVariables(parseCondition('a.b[0].c == d and a.x in e[f]')), ['a', 'd', 'e', 'f']);
    assert.deepEqual(freeVariables(parseCondition('x | default(y) is defined')), ['x', 'y']);
    assert.deepEqual(freeVariables(parseCondition(`1 == 'a' and true`)), []);
  });

  it('does not count filter or test names as variables', () => {
    assert.deepEqual(freeVariables(parseCondition('x | length is number')), ['x']);
  });

  it('marks variables read only under is defined / default as guarded', () => {
    const refs = (t: string): string =>
      variableRefs(parseCondition(t)).map((r) => `${r.name}:${r.guarded ? 'g' : 'u'}`).join(' ');
    assert.equal(refs('x is defined'), 'x:g');
    assert.equal(refs('x.y.z is not defined'), 'x:g');
    assert.equal(refs('x | default(1) > y'), 'x:g y:u');
    assert.equal(refs('x[i] is defined'), 'x:g i:u');
    assert.equal(refs('x is none'), 'x:u');
    assert.equal(refs('x is defined and x.y == 1'), 'x:g');
    assert.equal(refs('x is not defined or x.y == 1'), 'x:g');
    assert.equal(refs('x is defined or x.y == 1'), 'x:u');
    assert.equal(refs('not (x is undefined) and x > 1'), 'x:g');
    assert.equal(refs('x > 1 and x is defined'), 'x:u');
    assert.equal(refs('(x is defined and y is defined) and x + y > 1'), 'x:g y:g');
    assert.equal(refs('(x is defined or y is defined) and x > 1'), 'x:u y:g');
  });
});
