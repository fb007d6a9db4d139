import { strict as assert } from 'node:assert';
import { Recap, outcomeOf, totalCounts } from '../../../src/engine/output/recap.js';
import { emptyCounts, type TaskResult } from '../../../src/engine/result.js';

function result(host: string, status: TaskResult['status'], extra: Partial<TaskResult> = {}): TaskResult {
  return { host, task: 't', status, changes: [], msg: '', durationMs: 1, ...extra };
}

function countsAfter(...results: TaskResult[]): Recap {
  const r = new Recap();
  for (const x of results) r.add(x);
  return r;
}

describe('Recap', () => {
  it('counts ok, and a changed task in both ok and changed (as ansible-core does)', () => {
    const c = countsAfter(result('h', 'ok'), result('h', 'changed')).counts().h;
    assert.deepEqual(c, { ...emptyCounts(), ok: 2, changed: 1 });
  });

  it('counts an ignored failure as ok+1 and ignored+1, never failed', () => {
    const c = countsAfter(result('h', 'failed', { ignored: true })).counts().h;
    assert.deepEqual(c, { ...emptyCounts(), ok: 1, ignored: 1 });
  });

  it('counts an ignored unreachable as ok+1 and ignored+1, never unreachable', () => {
    const c = countsAfter(result('h', 'unreachable', { ignored: true })).counts().h;
    assert.deepEqual(c, { ...emptyCounts(), ok: 1, ignored: 1 });
  });

  it('counts a rescued failure as rescued, not failed', () => {
    const c = countsAfter(result('h', 'failed', { rescued: true })).counts().h;
    assert.deepEqual(c, { ...emptyCounts(), rescued: 1 });
  });

  it('counts failed, unreachable and skipped on their own', () => {
    const c = countsAfter(result('h', 'failed'), result('h', 'unreachable'), result('h', 'skipped')).counts().h;
    assert.deepEqual(c, { ...emptyCounts(), failed: 1, unreachable: 1, skipped: 1 });
  });

  it('counts a loop once, by its aggregate status', () => {
    const items = [result('h', 'changed', { itemLabel: 'a' }), result('h', 'ok', { itemLabel: 'b' }), result('h', 'changed', { itemLabel: 'c' })];
    const c = countsAfter(result('h', 'changed', { results: items })).counts().h;
    assert.deepEqual(c, { ...emptyCounts(), ok: 1, changed: 1 });
  });

  it('keeps hosts apart, lists a host with no results at zero, and accepts any host name', () => {
    const r = countsAfter(result('a', 'ok'), result('__proto__', 'failed'));
    r.host('idle');
    const all = r.counts();
    assert.deepEqual(Object.keys(all), ['a', '__proto__', 'idle']);
    assert.equal(all['__proto__']?.failed, 1);
    assert.deepEqual(all.idle, emptyCounts());
    assert.equal(all.a?.failed, 0);
  });

  it('hands out snapshots: changing one does not change the recap', () => {
    const r = countsAfter(result('a', 'ok'));
    const snap = r.counts();
    if (snap.a) snap.a.ok = 99;
    assert.equal(r.counts().a?.ok, 1);
  });

  it('sums totals over hosts', () => {
    const r = countsAfter(result('a', 'changed'), result('b', 'ok'), result('b', 'skipped'));
    assert.deepEqual(r.totals(), { ...emptyCounts(), ok: 2, changed: 1, skipped: 1 });
    assert.deepEqual(totalCounts(r.counts()), r.totals());
  });

  describe('exitStatus', () => {
    it('is failed when any host failed, even if another was unreachable or changed', () => {
      assert.equal(countsAfter(result('a', 'unreachable'), result('b', 'failed'), result('c', 'changed')).exitStatus(), 'failed');
    });
    it('is unreachable when a host was unreachable and none failed', () => {
      assert.equal(countsAfter(result('a', 'changed'), result('b', 'unreachable')).exitStatus(), 'unreachable');
    });
    it('is changed when something changed and nothing failed', () => {
      assert.equal(countsAfter(result('a', 'ok'), result('b', 'changed')).exitStatus(), 'changed');
    });
    it('is ok when nothing changed; ignored and rescued failures do not fail the run', () => {
      assert.equal(countsAfter(result('a', 'ok'), result('a', 'failed', { ignored: true }), result('a', 'failed', { rescued: true })).exitStatus(), 'ok');
      assert.equal(new Recap().exitStatus(), 'ok');
    });
    it('is the same for counts received in a recap event', () => {
      assert.equal(outcomeOf({ h: { ...emptyCounts(), changed: 2 } }), 'changed');
    });
  });
});
