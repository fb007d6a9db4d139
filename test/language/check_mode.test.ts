// Check mode stays truthful across dependent steps: a task that reads the output of a command
// check mode did not run is skipped, naming that command, never failed on an undefined stdout.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { events, fixture, output, play, removeScratch, scratch } from './helpers.js';

describe('language: check mode and the output of commands it does not run', function () {
  this.timeout(60_000);
  let root: string;
  before(() => (root = scratch('check-mode')));
  after(() => removeScratch(root));

  it('skips each task that reads that output, naming the task it waits for, and runs the others', async () => {
    const r = await play(fixture('check_mode/site.yml'), root, ['--check', '--json']);
    assert.equal(r.code, 0, output(r));
    const byTask = new Map(events(r.stdout).filter((e) => e.event === 'task_result').map((e) => [e['task'] as string, e as unknown as Record<string, unknown>]));
    const status = (t: string): unknown => byTask.get(t)?.['status'];
    assert.equal(status('ask the system'), 'skipped');
    for (const t of ['show it', 'keep it', 'loop over its lines']) {
      assert.equal(status(t), 'skipped', t);
      assert.equal(byTask.get(t)?.['msg'], "depends on hostname_out, set by task 'ask the system', which check mode does not run", t);
    }
    // set_fact did not run: what it sets is unknown in turn.
    assert.equal(byTask.get('write it')?.['msg'], "depends on host_name, set by task 'keep it', which check mode does not run");
    assert.equal(status('a file that depends on nothing'), 'changed');
    assert.equal(status('a command that check mode runs anyway'), 'changed');
    assert.deepEqual(byTask.get('its output is there')?.['data'], { msg: 'known' });
    for (const f of ['hostname.txt', 'lines.log', 'fixed.txt']) assert.ok(!existsSync(join(root, f)), `${f} written in check mode`);
  });

  it('a real run runs them all, with the real output', async () => {
    const r = await play(fixture('check_mode/site.yml'), root);
    assert.equal(r.code, 0, output(r));
    const name = readFileSync('/etc/hostname', 'utf8').trim();
    assert.equal(readFileSync(join(root, 'hostname.txt'), 'utf8'), `${name}\n`);
    assert.equal(readFileSync(join(root, 'lines.log'), 'utf8'), `${name}\n`);
    assert.equal(r.recap['localhost']?.skipped, 0);
  });
});
