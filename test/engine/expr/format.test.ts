import { strict as assert } from 'node:assert';
import { formatNode } from '../../../src/engine/expr/format.js';
import { parseCondition } from '../../../src/engine/expr/parse.js';

describe('expr/format', () => {
  it('formats nodes back to condition syntax', () => {
    const round = (t: string): string => formatNode(parseCondition(t).root);
    assert.equal(round(`not (a or b) and c.d['e f'] | length >= 2`), `not (a or b) and c.d['e f'] | length >= 2`.replace(`'e f'`, '"e f"'));
    assert.equal(round('x is not divisibleby(3)'), 'x is not divisibleby(3)');
    assert.equal(round('(a + b) * c'), '(a + b) * c');
  });
});
