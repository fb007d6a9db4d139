// Playbook-level semantics users script against: any_errors_fatal, rolling stops, recap, exit codes.
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kiln, recap } from '../support/cli.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

describe('run semantics', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-semantics-'));
    writeFileSync(join(dir, 'hosts.ini'), 'alpha kiln_connection=local\nbeta kiln_connection=local\ngamma kiln_connection=local\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('any_errors_fatal: one failed host stops the whole playbook, later plays included', async () => {
    const pb = join(dir, 'fatal.yml');
    writeFileSync(
      pb,
      `- hosts: all\n  gather_facts: false\n  any_errors_fatal: true\n  tasks:\n    - fail:\n        msg: boom\n      when: inventory_hostname == 'alpha'\n    - file:\n        path: "${dir}/after-{{ inventory_hostname }}"\n        state: touch\n- hosts: all\n  gather_facts: false\n  tasks:\n    - file:\n        path: "${dir}/play2-{{ inventory_hostname }}"\n        state: touch\n`,
    );
    const r = await kiln(['play', pb, '-i', join(dir, 'hosts.ini')]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /any_errors_fatal/);
    for (const h of ['alpha', 'beta', 'gamma']) {
      assert.equal(existsSync(join(dir, `after-${h}`)), false, `${h} ran the task after the fatal failure`);
      assert.equal(existsSync(join(dir, `play2-${h}`)), false, `${h} ran the second play`);
    }
  });

  it('a broken first batch stops the rolling update; hosts never reached are not in the recap', async () => {
    const pb = join(dir, 'serial.yml');
    writeFileSync(pb, `- hosts: all\n  gather_facts: false\n  serial: 1\n  tasks:\n    - fail:\n        msg: broken release\n`);
    const r = await kiln(['play', pb, '-i', join(dir, 'hosts.ini')]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.deepEqual(Object.keys(recap(r.stdout)), ['alpha']);
  });

  it('a host unreachable while gathering facts is unreachable (exit 4), not failed', async () => {
    const port = await freePort();
    const inv = join(dir, 'dead.ini');
    writeFileSync(inv, `dead ansible_host=127.0.0.1 ansible_port=${port} ansible_user=root\n`);
    const pb = join(dir, 'facts.yml');
    writeFileSync(pb, `- hosts: all\n  tasks:\n    - debug:\n        msg: never\n`);
    const r = await kiln(['play', pb, '-i', inv], { env: { HOME: dir } });
    assert.equal(r.code, 4, r.stdout + r.stderr);
    assert.deepEqual(recap(r.stdout)['dead'], { ok: 0, changed: 0, unreachable: 1, failed: 0, skipped: 0, rescued: 0, ignored: 0 });
  });
});
