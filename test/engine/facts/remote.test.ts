// FACTS_SCRIPT on a fresh Debian 12 test host over kiln's SSH connection (dash as sh, tini as
// PID 1): the raw values must equal what uname, hostname -f, getconf, id, ip and command -v
// print in the same SSH session environment.
import { strict as assert } from 'node:assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sshConnection } from '../../../src/engine/connection/ssh.js';
import type { Connection } from '../../../src/engine/connection/types.js';
import { FACTS_SCRIPT, gatherFacts } from '../../../src/engine/facts/gather.js';
import { startHost, stopAll, type TestHost } from '../../support/testhost/host.js';

const REFERENCE = `echo "kernel=$(uname -s)"
echo "arch=$(uname -m)"
echo "kernel_release=$(uname -r)"
echo "hostname=$(hostname)"
echo "fqdn=$(timeout 2 hostname -f 2>/dev/null || hostname)"
echo "nproc=$(getconf _NPROCESSORS_ONLN)"
echo "user=$(id -un)"
echo "uid=$(id -u)"
echo "python=$(command -v python3)"
echo "pid1=$(cat /proc/1/comm)"
echo "debian_version=$(cat /etc/debian_version)"
r=$(ip -4 route get 1.0.0.0 2>/dev/null | head -n1); [ -n "$r" ] && echo "route=$r"
case $r in *' src '*) ;; *) echo "addr=$(ip -4 -o addr show scope global | head -n1)";; esac
sed -n 's/^\\(ID\\|VERSION_ID\\|VERSION_CODENAME\\|NAME\\)=/os_\\1=/p' /etc/os-release`;

function keyValues(text: string): Record<string, string> {
  const kv: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) kv[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return kv;
}

describe('facts: FACTS_SCRIPT on a Debian 12 test host over SSH', function () {
  // A cold image build (debootstrap) takes 1-3 minutes, once per machine.
  this.timeout(20 * 60_000);
  let h: TestHost;
  let home: string;
  let conn: Connection;

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'kiln-facts-home-'));
    h = await startHost({ name: 'facts-tini', flavour: 'tini' });
    const knownHosts = join(home, 'known_hosts');
    await writeFile(knownHosts, `${h.knownHostsLine}\n`);
    conn = await sshConnection(
      { name: h.name, connection: 'ssh', host: h.ip, port: h.sshPort, user: h.user, privateKeyFile: h.keyFile, becomeMethod: 'sudo', hostKeyChecking: true, timeoutSec: 10, controlPersistSec: 0 },
      { homeDir: home, sshConfigFile: false, agent: false, globalKnownHostsFiles: [], knownHostsFile: knownHosts, hostKeyPolicy: 'strict' },
    );
  });
  after(async () => {
    await conn?.close();
    await stopAll();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('prints what the programs it replaced print', async () => {
    const got = keyValues((await conn.script(FACTS_SCRIPT)).stdout);
    const want = keyValues((await conn.script(REFERENCE)).stdout);
    for (const [k, v] of Object.entries(want)) assert.equal(got[k], v, k);
    assert.equal(got['hostname'], h.name);
    assert.equal(got['pid1'], 'tini');
    assert.equal(got['systemd'], undefined);
  });

  it('parses into the facts of a Debian 12 host without systemd', async () => {
    const f = await gatherFacts(conn);
    assert.equal(f['distribution'], 'Debian');
    assert.equal(f['distribution_major_version'], '12');
    assert.equal(f['os_family'], 'Debian');
    assert.equal(f['pkg_mgr'], 'apt');
    assert.equal(f['service_mgr'], 'sysvinit');
    assert.equal(f['user_id'], 'root');
    assert.equal(f['user_uid'], 0);
    assert.equal((f['default_ipv4'] as { address?: string }).address, h.ip);
  });
});
