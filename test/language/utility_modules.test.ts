// set_fact, debug, assert and fail, through the real CLI.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { events, fixture, logLines, output, play, removeScratch, scratch, type Played } from './helpers.js';

describe('language: utility modules', function () {
  this.timeout(60_000);
  let root: string;
  let human: Played;
  let json: Played;
  before(async () => {
    root = scratch('utility');
    human = await play(fixture('utility/site.yml'), root);
    json = await play(fixture('utility/site.yml'), root, ['--json']);
  });
  after(() => removeScratch(root));

  const result = (task: string): Record<string, unknown> => {
    const e = events(json.stdout).find((x) => x.event === 'task_result' && x.task === task);
    assert.ok(e, `no result for task "${task}"\n${json.stdout}`);
    return e as unknown as Record<string, unknown>;
  };

  it('set_fact values are visible to later tasks', () => {
    assert.deepEqual(logLines(join(root, 'utility.log')).slice(0, 1), ['fact:hello world:42']);
  });

  it('debug msg and var return the message and the value', () => {
    assert.deepEqual(result('say it')['data'], { msg: 'the fact is hello world' });
    assert.deepEqual(result('show a variable')['data'], { computed: 'hello world' });
    // var: is an expression without {{ }}, as in Ansible.
    assert.deepEqual(result('show an expression')['data'], { 'answer + 1': 43 });
  });

  // Ansible prints debug output at the default verbosity:
  //   ok: [localhost] => {
  //       "msg": "the fact is hello world"
  //   }
  it('debug shows its message in the human output without -v', () => {
    assert.match(human.stdout, /^ok: \[localhost\] => \{\n\s+"msg": "the fact is hello world"\n\}$/m);
    assert.match(human.stdout, /^ok: \[localhost\] => \{\n\s+"computed": "hello world"\n\}$/m);
  });

  // Ansible 2.14: "skipping: [localhost]", counted as skipped, with skipped_reason.
  it('debug with verbosity: N is skipped below N -v, and shown from N on', async () => {
    const quiet = result('a detail for -vv');
    assert.equal(quiet['status'], 'skipped');
    assert.equal(quiet['msg'], 'Verbosity threshold not met.');
    assert.match(human.stdout, /^TASK \[a detail for -vv\] \**\nskipping: \[localhost\]$/m);
    const root2 = scratch('utility-vv');
    try {
      const loud = await play(fixture('utility/site.yml'), root2, ['--json', '-vv']);
      const e = events(loud.stdout).find((x) => x.event === 'task_result' && x.task === 'a detail for -vv') as unknown as Record<string, unknown> | undefined;
      assert.equal(e?.['status'], 'ok', loud.stdout);
      assert.deepEqual(e?.['data'], { computed: 'hello world' });
    } finally {
      removeScratch(root2);
    }
  });

  it('assert passes when every condition holds and fails with fail_msg otherwise', () => {
    assert.equal(result('assertions that hold')['status'], 'ok');
    const failed = result('an assertion that fails');
    assert.equal(failed['status'], 'failed');
    assert.equal(failed['msg'], 'answer 42 is too small');
    assert.match(human.stdout, /^fatal: \[localhost\]: FAILED! => answer 42 is too small\n\.\.\.ignoring$/m);
    assert.equal(logLines(join(root, 'utility.log'))[1], 'assert:true:answer 42 is too small');
  });

  it('fail stops the host with its message', () => {
    for (const r of [human, json]) assert.equal(r.code, 2, output(r));
    assert.match(human.stdout, /^fatal: \[localhost\]: FAILED! => stopped by fail after 42$/m);
    assert.ok(!logLines(join(root, 'utility.log')).includes('never'));
    assert.deepEqual(human.recap['localhost'], { ok: 8, changed: 2, unreachable: 0, failed: 1, skipped: 1, rescued: 0, ignored: 1 });
  });
});
