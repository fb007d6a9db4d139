// [fleet] acceptance 1: the 50-task playbook over SSH to one host (a real OpenSSH sshd).
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { recap } from '../support/cli.js';
import { assertConverged50, writePlaybook50 } from '../support/playbook50.js';
import { type SshdFixture, startSshd } from '../support/sshd.js';
import { snapshot } from '../support/tree.js';
import { type Home, kilnAt, knownLine, makeHome, secondsSince, sshVars } from './fleet.js';

describe('fleet: the 50-task playbook over SSH', function () {
  this.timeout(90_000);
  let f: SshdFixture;
  let home: Home;
  let root: string;
  let playbook: string;
  let inventory: string;
  const all = (changed: number) => ({ ok: 50, changed, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 });

  before(async () => {
    f = await startSshd();
    home = makeHome('play50');
    writeFileSync(home.knownHosts, knownLine(f));
    root = join(home.dir, 'target');
    playbook = writePlaybook50(home.dir);
    writeFileSync(playbook, readFileSync(playbook, 'utf8').replace('hosts: localhost', 'hosts: all'));
    inventory = join(home.dir, 'hosts.ini');
    writeFileSync(inventory, `web1 ${sshVars(f)}\n`);
  });
  after(async () => {
    await f?.stop();
    if (home) rmSync(home.dir, { recursive: true, force: true });
  });

  it('--check on a clean target reports changed=50 and creates nothing', async () => {
    const r = await kilnAt(home, ['play', playbook, '-i', inventory, '--check', '-e', `root=${root}`]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(recap(r.stdout), { web1: all(50) });
    assert.equal(existsSync(root), false, 'check mode created the target');
    assert.match(r.stdout, /pending: .*d0.* is planned by task 'directory 0'/);
  });

  it('first run changes 50 over one SSH login, second run changes nothing', async () => {
    const logins = (): number => f.log().split('\n').filter((l) => /Accepted publickey for root/.test(l)).length;
    const before = logins();
    const t0 = Date.now();
    const first = await kilnAt(home, ['play', playbook, '-i', inventory, '-e', `root=${root}`]);
    const firstSec = secondsSince(t0);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.deepEqual(recap(first.stdout), { web1: all(50) });
    // One connection per host and run, not one per task.
    assert.equal(logins() - before, 1, f.log());
    const tree = assertConverged50(root);

    const t1 = Date.now();
    const second = await kilnAt(home, ['play', playbook, '-i', inventory, '-e', `root=${root}`]);
    const secondSec = secondsSince(t1);
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.deepEqual(recap(second.stdout), { web1: all(0) });
    assert.deepEqual(snapshot(root), tree);
    console.log(`      wall time over SSH (CLI start included): first run ${firstSec} s, second run ${secondSec} s`);
  });
});
