// Handlers: when they run, in which order, on which hosts, and what happens after a failure.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { fixture, logLines, output, play, removeScratch, scratch, TWO_HOSTS } from './helpers.js';

describe('language: handlers', function () {
  this.timeout(60_000);
  let root: string;
  before(() => (root = scratch('handlers')));
  after(() => removeScratch(root));

  it('run once per flush, in definition order, only on notifying hosts, only after a change', async () => {
    const r = await play(fixture('handlers/order.yml'), root, ['-i', TWO_HOSTS]);
    assert.equal(r.code, 0, output(r));
    // restart b was notified before restart a, but a is defined first; the loop notified the
    // topic three times, both listeners run once; the debug task was ok, so "never" stays quiet;
    // chain start notifies chain end (defined later), which runs in the same flush.
    assert.deepEqual(logLines(join(root, 'alpha.log')), [
      'task:start',
      'handler:a',
      'handler:b',
      'handler:listen-1',
      'handler:listen-2',
      'task:after-flush',
      'handler:chain-start',
      'handler:chain-end',
    ]);
    // beta never notified restart a/b.
    assert.deepEqual(logLines(join(root, 'beta.log')), [
      'task:start',
      'handler:listen-1',
      'handler:listen-2',
      'task:after-flush',
      'handler:chain-start',
      'handler:chain-end',
    ]);
    // alpha: 6 tasks (the debug one ok, meta not counted) and 6 handler runs, all changed.
    assert.deepEqual(r.recap['alpha'], { ok: 12, changed: 11, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 });
    assert.deepEqual(r.recap['beta'], { ok: 9, changed: 8, unreachable: 0, failed: 0, skipped: 1, rescued: 0, ignored: 0 });
  });

  it('a role\'s handler answers to "role : name" too', async () => {
    const r = await play(fixture('handlers/role_qualified.yml'), root);
    assert.equal(r.code, 0, output(r));
    // The role's tasks run first (roles before tasks, in one section, as in Ansible: no flush in
    // between); its notify and the qualified one run once, at the meta; the topic at the end.
    assert.deepEqual(logLines(join(root, 'qualified.log')), ['task:role', 'task:qualified', 'handler:restarter-restart', 'task:topic', 'handler:restarter-restart']);
  });

  it('a qualified name of a role the play does not use is refused before anything runs', async () => {
    const r = await play(fixture('handlers/role_qualified_unknown.yml'), root);
    assert.equal(r.code, 3, output(r));
    assert.match(r.stderr, /role_qualified_unknown\.yml:7:\d+.*notify: no handler is named or listens to "other : restart"/);
    assert.match(r.stderr, /role_qualified_unknown\.yml:10:\d+.*notify: no handler is named or listens to "restarter : config changed"/);
    assert.match(r.stderr, /handlers of this play: .*restarter : restart/);
  });

  describe('after a task fails on the host', () => {
    const log = (): string[] => logLines(join(root, 'handlers.log'));
    beforeEach(() => removeScratch(join(root, 'handlers.log')));

    it('notified handlers are lost', async () => {
      const r = await play(fixture('handlers/failure.yml'), root);
      assert.equal(r.code, 2, output(r));
      assert.deepEqual(log(), []);
      assert.equal(r.recap['localhost']?.failed, 1);
    });

    it('--force-handlers runs them anyway (the host still counts as failed)', async () => {
      const r = await play(fixture('handlers/failure.yml'), root, ['--force-handlers']);
      assert.equal(r.code, 2, output(r));
      assert.deepEqual(log(), ['handler:record']);
      assert.deepEqual(r.recap['localhost'], { ok: 2, changed: 2, unreachable: 0, failed: 1, skipped: 0, rescued: 0, ignored: 0 });
    });

    it('the play keyword force_handlers: true does the same', async () => {
      const r = await play(fixture('handlers/failure_forced.yml'), root);
      assert.equal(r.code, 2, output(r));
      assert.deepEqual(log(), ['handler:record']);
    });
  });
});
