// `kiln __ssh-broker`, as kiln starts it from the built bin: kiln exits when its run ends, the
// broker stays, and the next kiln run uses the broker's login.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ControlDir, logins, useControlDir } from '../support/broker.js';
import { ENTRY, kiln } from '../support/cli.js';
import { type SshdFixture, startSshd } from '../support/sshd.js';

describe('kiln __ssh-broker', function () {
  let f: SshdFixture;
  let home: string;
  let cd: ControlDir;

  before(async function () {
    f = await startSshd();
    home = await mkdtemp(join(tmpdir(), 'kiln-home-'));
    cd = await useControlDir();
  });
  after(async function () {
    await cd?.cleanup();
    await rm(home, { recursive: true, force: true });
    await f?.stop();
  });

  it('kiln facts exits when done, leaving the broker; the next run does not log in again', async function () {
    const inv = join(home, 'hosts.ini');
    await writeFile(
      inv,
      `target kiln_host=127.0.0.1 kiln_port=${f.port} kiln_user=root kiln_private_key_file=${f.clientKey} kiln_known_hosts_file=${f.knownHosts} kiln_ssh_control_persist=30\n`,
    );
    const env = { HOME: home, SSH_AUTH_SOCK: '', KILN_CONTROL_DIR: cd.dir };
    const mark = f.log().length;
    for (let run = 1; run <= 2; run++) {
      const t0 = Date.now();
      const r = await kiln(['facts', 'target', '-i', inv], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.equal((JSON.parse(r.stdout) as { ansible_facts: { user_id: string } }).ansible_facts.user_id, 'root');
      // Nowhere near the 30 s the broker keeps the connection: kiln did not wait for it.
      assert.ok(Date.now() - t0 < 10_000, `run ${run} took ${Date.now() - t0} ms`);
      const brokers = cd.brokers();
      assert.equal(brokers.length, 1, `run ${run}: one broker`);
      const cmdline = readFileSync(`/proc/${brokers[0]}/cmdline`, 'utf8').split('\0');
      assert.ok(cmdline.includes(ENTRY.at(-1) as string), `started by the same entry as kiln: ${cmdline.join(' ')}`);
    }
    assert.equal(logins(f.log().slice(mark)), 1, f.log().slice(mark));
  });
});
