// --tags and --skip-tags, the special tags always and never, and tags inherited from containers.
import { strict as assert } from 'node:assert';
import { fixture, output, play, ranTasks, removeScratch, scratch } from './helpers.js';

// The role's task shows as ansible-playbook shows it: "role : name".
const ALL_BUT_NEVER = ['tagged_role : role task', 'untagged', 'tagged x', 'tagged always', 'block task', 'imported task', 'imported play task'];

describe('language: tags', function () {
  this.timeout(60_000);
  let root: string;
  before(() => (root = scratch('tags')));
  after(() => removeScratch(root));

  const ran = async (...args: string[]): Promise<string[]> => {
    const r = await play(fixture('tags/site.yml'), root, ['--json', ...args]);
    assert.equal(r.code, 0, output(r));
    return ranTasks(r.stdout);
  };

  it('without --tags every task runs except those tagged never', async () => {
    assert.deepEqual(await ran(), ALL_BUT_NEVER);
  });

  it('--tags x runs the x tasks and the always ones', async () => {
    assert.deepEqual(await ran('--tags', 'x'), ['tagged x', 'tagged always']);
  });

  it('--skip-tags x runs everything else (always included)', async () => {
    assert.deepEqual(
      await ran('--skip-tags', 'x'),
      ALL_BUT_NEVER.filter((t) => t !== 'tagged x'),
    );
  });

  it('always is skipped only when skipped by name', async () => {
    assert.deepEqual(
      await ran('--skip-tags', 'always'),
      ALL_BUT_NEVER.filter((t) => t !== 'tagged always'),
    );
  });

  it('never runs only when one of its tags is asked for', async () => {
    assert.deepEqual(await ran('--tags', 'debug_only'), ['tagged always', 'tagged never and debug_only']);
  });

  it('tags on a role, a block, an import_tasks and an import_playbook reach the tasks inside', async () => {
    assert.deepEqual(await ran('--tags', 'on_role,on_block', '--tags', 'on_import,on_playbook'), [
      'tagged_role : role task',
      'tagged always',
      'block task',
      'imported task',
      'imported play task',
    ]);
  });
});
