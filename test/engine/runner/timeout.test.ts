// A task's timeout: the command and its children are killed when it runs out, the task fails
// saying so (ignore_errors still applies), and the run goes on; through the real CLI, locally.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln } from '../../support/cli.js';
import { removeDir, tempDir } from '../../modules/helpers.js';

function running(marker: string): boolean {
  try {
    execFileSync('pgrep', ['-f', marker]);
    return true;
  } catch {
    return false;
  }
}

describe('runner: task timeout', function () {
  this.timeout(60_000);
  let dir = '';
  before(() => (dir = tempDir('timeout')));
  after(() => removeDir(dir));

  it('kills the command and its children after timeout seconds and fails the task, as Ansible does', async () => {
    const marker = `${process.pid}.${Date.now() % 100000}`;
    writeFileSync(
      join(dir, 'play.yml'),
      `- hosts: localhost\n  gather_facts: false\n  tasks:\n` +
        `    - name: hangs with a child\n      shell: "sh -c 'sleep 30' kiln-a-${marker} & sh -c 'sleep 30' kiln-b-${marker}; echo never"\n      timeout: 2\n      ignore_errors: true\n` +
        `    - name: hangs again\n      command:\n        argv: [sh, -c, sleep 30, kiln-c-${marker}]\n      timeout: 1\n` +
        `    - name: never reached\n      command: "true"\n`,
    );
    const t0 = Date.now();
    const r = await kiln(['play', 'play.yml', '--json'], { cwd: dir });
    const seconds = (Date.now() - t0) / 1000;
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.ok(seconds < 20, `took ${seconds} s`);
    const results = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e['event'] === 'task_result');
    assert.deepEqual(results.map((e) => [e['task'], e['status']]), [['hangs with a child', 'failed'], ['hangs again', 'failed']]);
    assert.match(String(results[0]?.['msg']), /failed to execute in the expected time frame \(2\) and was terminated/);
    assert.match(r.stdout, /"ignored":1/);
    assert.equal(running(`kiln-a-${marker}`), false, 'the background child was killed too');
    assert.equal(running(`kiln-b-${marker}`), false);
    assert.equal(running(`kiln-c-${marker}`), false);
  });

  it('leaves a command that finishes in time alone', async () => {
    writeFileSync(join(dir, 'ok.yml'), `- hosts: localhost\n  gather_facts: false\n  tasks:\n    - command: sleep 0.2\n      timeout: 5\n`);
    const r = await kiln(['play', 'ok.yml'], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });
});
