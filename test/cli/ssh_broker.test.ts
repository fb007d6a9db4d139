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

  const inventory = async (): Promise<string> => {
    const inv = join(home, 'hosts.ini');
    await writeFile(
      inv,
      `target kiln_host=127.0.0.1 kiln_port=${f.port} kiln_user=root kiln_private_key_file=${f.clientKey} kiln_known_hosts_file=${f.knownHosts} kiln_ssh_control_persist=30\n`,
    );
    return inv;
  };
  const envFor = (): Record<string, string> => ({ HOME: home, SSH_AUTH_SOCK: '', KILN_CONTROL_DIR: cd.dir });

  it('kiln facts exits when done, leaving the broker; the next run does not log in again', async function () {
    const inv = await inventory();
    const env = envFor();
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

  it('kiln ssh-broker status names the running broker; stop closes its logins and ends it', async function () {
    const inv = await inventory();
    const env = envFor();
    assert.equal((await kiln(['facts', 'target', '-i', inv], { env })).code, 0);
    const [pid] = cd.brokers();
    assert.ok(pid, 'a broker runs');
    const status = await kiln(['ssh-broker'], { env });
    assert.equal(status.code, 0, status.stderr);
    assert.equal(status.stdout, `kiln: SSH broker running (pid ${pid}, socket ${cd.socket})\n`);

    const stop = await kiln(['ssh-broker', 'stop'], { env });
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stdout, `kiln: stopped the SSH broker (pid ${pid}); the logins it held are closed\n`);
    assert.deepEqual(cd.brokers(), []);
    const none = await kiln(['ssh-broker', 'status'], { env });
    assert.equal(none.code, 1);
    assert.equal(none.stdout, `kiln: no SSH broker is running for ${cd.dir}\n`);
    // The login went with it: the next run logs in again (and starts a new broker).
    const mark = f.log().length;
    assert.equal((await kiln(['facts', 'target', '-i', inv], { env })).code, 0);
    assert.equal(logins(f.log().slice(mark)), 1, f.log().slice(mark));
    assert.equal((await kiln(['ssh-broker', 'stop'], { env })).code, 0);
    assert.equal((await kiln(['ssh-broker', 'stop'], { env })).stdout, `kiln: no SSH broker is running for ${cd.dir}\n`);
  });

  it('kiln ssh-broker refuses an unknown action with a usage error', async function () {
    const r = await kiln(['ssh-broker', 'exit'], { env: envFor() });
    assert.equal(r.code, 5);
    assert.match(r.stderr, /value 'exit' is invalid for argument 'action'\. Allowed choices are status, stop\./);
  });
});
