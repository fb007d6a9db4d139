// when, register, changed_when, failed_when, ignore_errors and until/retries/delay.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { fixture, logLines, output, play, removeScratch, scratch } from './helpers.js';

describe('language: conditions and results', function () {
  this.timeout(60_000);
  let root: string;
  before(() => (root = scratch('conditionals')));
  after(() => removeScratch(root));

  it('pins when, register, changed_when, failed_when, ignore_errors and until', async () => {
    const r = await play(fixture('conditionals/site.yml'), root);
    assert.equal(r.code, 0, output(r));
    // when on a loop skips one item only; meta: end_host with a false when ends nothing.
    assert.deepEqual(logLines(join(root, 'items.log')), ['item:a', 'item:c', 'still-running']);
    // until: the failing command ran 3 times, the counting one 2 times, the hopeless one 3 times.
    assert.deepEqual(logLines(join(root, 'tries')), ['3']);
    assert.deepEqual(logLines(join(root, 'count')), ['2']);
    // ok: loop, quiet, tolerant, ignored (ignored failures count as ok), waited, counted, assert,
    // hopeless (ignored), assert, still-running = 10; changed: loop, tolerant (a command that ran),
    // waited, counted, still-running; skipped: the skipped task; ignored: two.
    assert.deepEqual(r.recap['localhost'], { ok: 10, changed: 5, unreachable: 0, failed: 0, skipped: 1, rescued: 0, ignored: 2 });
  });
});
