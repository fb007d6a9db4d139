// A loop's items and their loop-local variables, as tasks, includes and the read-ahead all see them.
import { strict as assert } from 'node:assert';
import { ModuleError } from '../../../src/engine/errors.js';
import { loopItems } from '../../../src/engine/runner/task_scope.js';

describe('loopItems', () => {
  const node = (loop: unknown, indexVar?: string) => ({ loop, loopVar: 'item', indexVar });

  it('renders a list item by item, each with the loop variable and ansible_loop', () => {
    const items = loopItems(node(['{{ a }}', 'b']), { a: 'x' });
    assert.deepEqual(
      items.map((x) => x.item),
      ['x', 'b'],
    );
    assert.deepEqual(items[1]?.locals, { item: 'b', ansible_loop: { index: 2, index0: 1, first: false, last: true, length: 2 } });
  });

  it('renders a string as one expression that gives the list, and sets the index variable if asked', () => {
    const items = loopItems(node('{{ pkgs }}', 'i'), { pkgs: ['nginx', 'curl'] });
    assert.deepEqual(
      items.map((x) => [x.item, x.locals['i']]),
      [
        ['nginx', 0],
        ['curl', 1],
      ],
    );
  });

  it('refuses a loop that gives no list', () => {
    assert.throws(() => loopItems(node('{{ n }}'), { n: 3 }), (e: unknown) => e instanceof ModuleError && e.message === 'loop must be a list, but it gave number');
    assert.throws(() => loopItems(node('{{ n }}'), { n: null }), /but it gave null/);
  });

  it('gives no items for an empty list', () => {
    assert.deepEqual(loopItems(node([]), {}), []);
  });
});
