// Blocks: rescue and always, the failure rescue sees, the recap, and keywords inherited by inner tasks.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { loadPlaybook } from '../../src/engine/playbook/load.js';
import type { Node, TaskNode } from '../../src/engine/playbook/model.js';
import { fixture, logLines, output, play, removeScratch, scratch } from './helpers.js';

describe('language: blocks', function () {
  this.timeout(60_000);
  let root: string;
  const log = (): string[] => logLines(join(root, 'blocks.log'));
  before(() => (root = scratch('blocks')));
  after(() => removeScratch(root));
  beforeEach(() => removeScratch(join(root, 'blocks.log')));

  it('rescue handles a failure, always runs after success and failure, keywords are inherited', async () => {
    const r = await play(fixture('blocks/site.yml'), root);
    assert.deepEqual(log(), [
      'ok:block',
      'always:after-success',
      'failing:before',
      // rescue reads ansible_failed_task and ansible_failed_result of the task that failed
      'rescue:explode:1:command failed with rc 1: no output',
      'always:after-failure',
      // block vars reach the task; the inner when is added to the block's (so one task is skipped)
      'vars:blue',
      // the inner block has no rescue: its always runs, then the outer rescue handles the failure
      'nested:inner-always',
      'nested:outer-rescue:inner went wrong',
      'after:rescues',
      // no rescue: always still runs, then the host stops
      'always:unrescued',
    ]);
    assert.equal(r.code, 2, output(r));
    // Two rescued failures count as rescued, not failed; the unrescued one fails the host.
    // skipped: the inner when, and both tasks of the block whose when is false.
    assert.deepEqual(r.recap['localhost'], { ok: 10, changed: 10, unreachable: 0, failed: 1, skipped: 3, rescued: 2, ignored: 0 });
  });

  it('tags on a block select the tasks inside it', async () => {
    const r = await play(fixture('blocks/site.yml'), root, ['--tags', 'painted']);
    assert.equal(r.code, 0, output(r));
    assert.deepEqual(log(), ['vars:blue']);
  });

  it('become and become_user on a block are parsed and inherited, and a task may override them', () => {
    const { playbook } = loadPlaybook(fixture('blocks/become.yml'));
    const tasks: TaskNode[] = [];
    const visit = (nodes: Node[]): void => {
      for (const n of nodes) {
        if (n.kind === 'task') tasks.push(n);
        else if (n.kind === 'block') [n.block, n.rescue, n.always].forEach(visit);
      }
    };
    playbook.plays.forEach((p) => p.sections.forEach(visit));
    const become = Object.fromEntries(tasks.map((t) => [t.name, [t.inherited.become, t.inherited.becomeUser]]));
    assert.deepEqual(become, {
      'inherits become': [true, 'nobody'],
      'overrides it': [false, 'nobody'],
      outside: [false, undefined],
    });
  });
});
