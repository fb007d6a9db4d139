// [fleet] acceptance 5: --accept-new-host-keys records unknown keys, never changed ones.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../../src/engine/exit_codes.js';
import { recap } from '../support/cli.js';
import { type SshdFixture, startSshd } from '../support/sshd.js';
import { type Home, kilnAt, knownLine, makeHome, resultLines, sshVars, writePlay } from './fleet.js';

describe('fleet: --accept-new-host-keys', function () {
  this.timeout(60_000);
  let f: SshdFixture;
  let other: SshdFixture;
  let home: Home;
  let inventory: string;
  let playbook: string;

  before(async () => {
    [f, other] = await Promise.all([startSshd(), startSshd()]);
    home = makeHome('hostkeys');
    inventory = join(home.dir, 'hosts.ini');
    writeFileSync(inventory, `web1 ${sshVars(f)}\nweb2 ${sshVars(f)}\n`);
    playbook = writePlay(home.dir, 'site.yml', 'all', `  - name: who\n    command: id -un\n    register: who\n  - assert:\n      that: who.stdout == 'root'\n`);
  });
  after(async () => {
    await Promise.all([f?.stop(), other?.stop()]);
    if (home) rmSync(home.dir, { recursive: true, force: true });
  });

  const play = (...extra: string[]) => kilnAt(home, ['play', playbook, '-i', inventory, ...extra]);

  it('refuses an unknown key without the flag, and records nothing', async () => {
    const r = await play();
    assert.equal(r.code, EXIT.UNREACHABLE, r.stdout + r.stderr);
    const line = resultLines(r.stdout).find((l) => l.host === 'web1')?.line ?? '';
    assert.match(line, /UNREACHABLE!.*is not known .*host key checking is strict/, r.stdout);
    assert.ok(line.includes(f.hostKey.fingerprint), `shows the fingerprint to check: ${line}`);
    assert.equal(existsSync(home.knownHosts), false);
  });

  it('records the new key once (two hosts, one address) in ~/.ssh/known_hosts, then works without the flag', async () => {
    const first = await play('--accept-new-host-keys');
    assert.equal(first.code, EXIT.OK, first.stdout + first.stderr);
    assert.deepEqual(Object.keys(recap(first.stdout)).sort(), ['web1', 'web2']);
    assert.equal(readFileSync(home.knownHosts, 'utf8'), knownLine(f));

    const second = await play();
    assert.equal(second.code, EXIT.OK, second.stdout + second.stderr);
    assert.equal(recap(second.stdout)['web1']?.ok, 2);
    assert.equal(readFileSync(home.knownHosts, 'utf8'), knownLine(f));
  });

  it('follows StrictHostKeyChecking accept-new from ~/.ssh/config without the flag', async () => {
    unlinkSync(home.knownHosts);
    const config = join(home.dir, '.ssh', 'config');
    writeFileSync(config, 'Host 127.0.0.1\n  StrictHostKeyChecking accept-new\n');
    try {
      const r = await play();
      assert.equal(r.code, EXIT.OK, r.stdout + r.stderr);
      assert.equal(readFileSync(home.knownHosts, 'utf8'), knownLine(f));
    } finally {
      unlinkSync(config);
    }
  });

  it('still refuses a changed key with the flag, and leaves known_hosts as it was', async () => {
    const wrong = `# kept\n${knownLine(f, other.hostKey)}`;
    writeFileSync(home.knownHosts, wrong);
    const r = await play('--accept-new-host-keys');
    assert.equal(r.code, EXIT.UNREACHABLE, r.stdout + r.stderr);
    assert.equal(recap(r.stdout)['web1']?.unreachable, 1);
    const line = resultLines(r.stdout).find((l) => l.host === 'web1')?.line ?? '';
    assert.match(line, /has CHANGED/);
    assert.ok(line.includes(`${home.knownHosts}:2`), line);
    assert.equal(readFileSync(home.knownHosts, 'utf8'), wrong);
  });
});
