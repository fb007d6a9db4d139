// kiln_known_hosts_file: a per-host known_hosts file, checked before ~/.ssh/known_hosts.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kiln, recap } from '../support/cli.js';
import { type SshdFixture, startSshd } from '../support/sshd.js';

describe('fleet: kiln_known_hosts_file', function () {
  this.timeout(120_000);
  let sshd: SshdFixture;
  let dir: string;
  before(async () => {
    sshd = await startSshd();
    dir = mkdtempSync(join(tmpdir(), 'kiln-khfile-'));
    writeFileSync(join(dir, 'site.yml'), `- hosts: all\n  gather_facts: false\n  tasks:\n    - file:\n        path: ${dir}/made\n        state: directory\n`);
  });
  after(async () => {
    await sshd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const inventory = (extra: string): string => {
    const file = join(dir, `hosts-${extra ? 'with' : 'without'}.ini`);
    writeFileSync(file, `target ansible_host=${sshd.host} ansible_port=${sshd.port} ansible_user=root ansible_ssh_private_key_file=${sshd.clientKey} ${extra}\n`);
    return file;
  };

  it('verifies the host key against the given file (HOME has no known_hosts at all)', async () => {
    const r = await kiln(['play', join(dir, 'site.yml'), '-i', inventory(`kiln_known_hosts_file=${sshd.knownHosts}`)], { env: { HOME: dir, SSH_AUTH_SOCK: '' } });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(recap(r.stdout)['target']?.changed, 1);
  });

  it('without it, the unknown host is refused (strict by default)', async () => {
    const r = await kiln(['play', join(dir, 'site.yml'), '-i', inventory('')], { env: { HOME: dir, SSH_AUTH_SOCK: '' } });
    assert.equal(r.code, 4, r.stdout + r.stderr);
    assert.equal(recap(r.stdout)['target']?.unreachable, 1);
  });
});
