// [fleet] connections across plays: one login per host and user, a play's remote_user is honoured,
// and a host released after its last play is reached again when a later task delegates to it.
import { strict as assert } from 'node:assert';
import { rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../../src/engine/exit_codes.js';
import { recap } from '../support/cli.js';
import { descendants, type SshdFixture, startSshd, TEST_USERS } from '../support/sshd.js';
import { type Home, kilnAt, knownLine, makeHome } from './fleet.js';

describe('fleet: connections across plays', function () {
  this.timeout(60_000);
  let f: SshdFixture;
  let home: Home;
  let inventory: string;

  before(async () => {
    f = await startSshd();
    home = makeHome('plays');
    writeFileSync(home.knownHosts, knownLine(f));
    inventory = join(home.dir, 'hosts.ini');
    // No ansible_user: the login user is the play's remote_user, else the local user (root).
    const vars = `ansible_host=127.0.0.1 ansible_port=${f.port} ansible_ssh_private_key_file=${f.clientKey}`;
    writeFileSync(inventory, `web1 ${vars}\nlb1 ${vars}\n`);
  });
  after(async () => {
    await f?.stop();
    if (home) rmSync(home.dir, { recursive: true, force: true });
  });

  const logins = (from: number): string[] =>
    f
      .log()
      .slice(from)
      .split('\n')
      .flatMap((l) => /Accepted publickey for (\S+)/.exec(l)?.[1] ?? []);

  it("each play logs in as its remote_user; the same user's connection is reused by later plays", async () => {
    const who = (user: string) => `  - command: id -un\n    register: who\n  - assert:\n      that: who.stdout == '${user}'\n`;
    const playbook = join(home.dir, 'users.yml');
    writeFileSync(
      playbook,
      [
        `- name: as root\n  hosts: web1\n  gather_facts: false\n  tasks:\n${who('root')}`,
        `- name: as deploy\n  hosts: web1\n  gather_facts: false\n  remote_user: ${TEST_USERS.nopw.name}\n  tasks:\n${who(TEST_USERS.nopw.name)}`,
        `- name: root again\n  hosts: web1\n  gather_facts: false\n  tasks:\n${who('root')}`,
      ].join(''),
    );
    const from = f.log().length;
    const r = await kilnAt(home, ['play', playbook, '-i', inventory]);
    assert.equal(r.code, EXIT.OK, r.stdout + r.stderr);
    assert.deepEqual(recap(r.stdout)['web1'], { ok: 6, changed: 3, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 });
    assert.deepEqual(logins(from).sort(), [TEST_USERS.nopw.name, 'root']);
  });

  it('says once, not once per host, that a line of ~/.ssh/config was ignored', async () => {
    const config = join(home.dir, '.ssh', 'config');
    writeFileSync(config, 'Host *\n  StrictHostKeyChecking maybe\n');
    const playbook = join(home.dir, 'both.yml');
    writeFileSync(playbook, `- hosts: all\n  gather_facts: false\n  tasks:\n  - command: "true"\n`);
    try {
      const r = await kilnAt(home, ['play', playbook, '-i', inventory]);
      assert.equal(r.code, EXIT.OK, r.stdout + r.stderr);
      const warnings = r.stdout.split('\n').filter((l) => l.startsWith('[WARNING]'));
      assert.deepEqual(warnings, [`[WARNING]: ssh client config: ${config}:2: StrictHostKeyChecking must be yes, no, accept-new, ask or off`]);
    } finally {
      unlinkSync(config);
    }
  });

  it('a host whose plays are over is released, and reconnected when a later play delegates to it', async () => {
    const playbook = join(home.dir, 'delegate.yml');
    writeFileSync(
      playbook,
      [
        `- name: balancer\n  hosts: lb1\n  gather_facts: false\n  tasks:\n  - command: echo lb\n`,
        `- name: web\n  hosts: web1\n  gather_facts: false\n  tasks:\n  - command: echo web\n`,
        `  - name: on the balancer\n    command: hostname\n    delegate_to: lb1\n`,
      ].join(''),
    );
    const from = f.log().length;
    const r = await kilnAt(home, ['play', playbook, '-i', inventory]);
    assert.equal(r.code, EXIT.OK, r.stdout + r.stderr);
    assert.deepEqual(recap(r.stdout)['web1']?.changed, 2);
    // lb1 logged in for play 1, was closed after it, and logged in again for the delegated task.
    assert.equal(logins(from).length, 3, f.log().slice(from));
    const until = Date.now() + 5000;
    while (descendants(f.pid).length && Date.now() < until) await new Promise((res) => setTimeout(res, 20));
    const byes = f.log().slice(from).split('\n').filter((l) => /Received disconnect/.test(l)).length;
    assert.equal(byes, 3, 'every connection was closed by kiln');
  });
});
