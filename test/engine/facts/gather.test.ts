// Facts: parseFacts over canned script outputs (Debian 12 with and without systemd, Fedora, RHEL),
// then the real thing on this machine against /etc/os-release and `hostname`.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { localConnection } from '../../../src/engine/connection/local.js';
import { FACTS_SCRIPT, factVars, gatherFacts, parseFacts } from '../../../src/engine/facts/gather.js';

const DEBIAN_12 = `kernel=Linux
arch=x86_64
kernel_release=6.1.0-28-amd64
hostname=web1
fqdn=web1.example.org
os_PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
os_NAME="Debian GNU/Linux"
os_VERSION_ID="12"
os_VERSION_CODENAME=bookworm
os_ID=debian
debian_version=12.8
systemd=1
pid1=systemd
pkg=apt-get
memtotal_kb=2014568
memfree_kb=1523400
nproc=2
route=1.0.0.0 via 10.0.2.2 dev eth0 src 10.0.2.15 uid 0
addr=2: eth0    inet 10.0.2.15/24 brd 10.0.2.255 scope global dynamic eth0\\       valid_lft 86000sec preferred_lft 86000sec
user=root
uid=0
python=/usr/bin/python3
`;

/** The same host in a container: tini as PID 1, no /run/systemd/system, no route out. */
const DEBIAN_12_TINI = DEBIAN_12.replace('systemd=1\n', '')
  .replace('pid1=systemd', 'pid1=tini')
  .replace(/^route=.*\n/m, '')
  .replace(/^addr=.*\n/m, 'addr=2: eth0    inet 10.77.0.11/24 brd 10.77.0.255 scope global eth0\n');

const FEDORA_40 = `kernel=Linux
arch=aarch64
kernel_release=6.8.5-301.fc40.aarch64
hostname=build.lab.example
fqdn=build.lab.example
os_NAME="Fedora Linux"
os_VERSION_ID=40
os_ID=fedora
os_PRETTY_NAME="Fedora Linux 40 (Server Edition)"
systemd=1
pid1=systemd
pkg=dnf
memtotal_kb=8000000
nproc=4
user=admin
uid=1000
python=
`;

describe('facts: parseFacts (canned outputs)', () => {
  it('Debian 12 with systemd: Ansible names and values', () => {
    const f = parseFacts(DEBIAN_12);
    assert.equal(f['os_family'], 'Debian');
    assert.equal(f['distribution'], 'Debian');
    assert.equal(f['distribution_version'], '12.8');
    assert.equal(f['distribution_major_version'], '12');
    assert.equal(f['distribution_release'], 'bookworm');
    assert.equal(f['architecture'], 'x86_64');
    assert.equal(f['pkg_mgr'], 'apt');
    assert.equal(f['service_mgr'], 'systemd');
    assert.equal(f['hostname'], 'web1');
    assert.equal(f['fqdn'], 'web1.example.org');
    assert.deepEqual(f['default_ipv4'], { address: '10.0.2.15', interface: 'eth0', gateway: '10.0.2.2' });
    assert.equal(f['memtotal_mb'], 1967);
    assert.equal(f['processor_vcpus'], 2);
  });

  it('Debian 12 without systemd as PID 1: sysvinit, and the address without a default route', () => {
    const f = parseFacts(DEBIAN_12_TINI);
    assert.equal(f['service_mgr'], 'sysvinit');
    assert.equal(f['pkg_mgr'], 'apt');
    assert.deepEqual(f['default_ipv4'], { address: '10.77.0.11', interface: 'eth0', gateway: undefined });
  });

  it('systemd only when /run/systemd/system exists, whatever PID 1 is called', () => {
    assert.equal(parseFacts(DEBIAN_12.replace('systemd=1\n', ''))['service_mgr'], 'sysvinit');
  });

  it('Fedora-like: RedHat family, dnf, unquoted VERSION_ID', () => {
    const f = parseFacts(FEDORA_40);
    assert.equal(f['os_family'], 'RedHat');
    assert.equal(f['distribution'], 'Fedora');
    assert.equal(f['distribution_version'], '40');
    assert.equal(f['distribution_major_version'], '40');
    assert.equal(f['pkg_mgr'], 'dnf');
    assert.equal(f['service_mgr'], 'systemd');
    assert.equal(f['hostname'], 'build');
    assert.equal(f['architecture'], 'aarch64');
    assert.deepEqual(f['default_ipv4'], {});
    assert.equal(f['python'], undefined);
  });

  it('RHEL and Rocky by os-release ID and ID_LIKE', () => {
    const rhel = parseFacts(FEDORA_40.replace('os_ID=fedora', 'os_ID=rhel').replace('os_NAME="Fedora Linux"', `os_NAME='Red Hat Enterprise Linux'`).replace('os_VERSION_ID=40', 'os_VERSION_ID="9.4"'));
    assert.equal(rhel['distribution'], 'RedHat');
    assert.equal(rhel['distribution_major_version'], '9');
    const rocky = parseFacts(FEDORA_40.replace('os_ID=fedora', 'os_ID="rocky"\nos_ID_LIKE="rhel centos fedora"').replace('os_NAME="Fedora Linux"', 'os_NAME="Rocky Linux"'));
    assert.equal(rocky['distribution'], 'Rocky');
    assert.equal(rocky['os_family'], 'RedHat');
  });

  it('become variables under ansible_facts, kiln_facts and ansible_<name>', () => {
    const f = parseFacts(DEBIAN_12);
    const v = factVars(f);
    assert.equal(v['ansible_facts'], f);
    assert.equal(v['kiln_facts'], f);
    assert.equal(v['ansible_os_family'], 'Debian');
    assert.equal(v['ansible_service_mgr'], 'systemd');
  });
});

describe('facts: on this machine (local connection)', () => {
  it('match /etc/os-release and hostname, in one round trip', async function () {
    if (!existsSync('/etc/os-release')) this.skip();
    const os = Object.fromEntries(
      readFileSync('/etc/os-release', 'utf8')
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).replace(/^"(.*)"$/, '$1')]),
    ) as Record<string, string>;
    const conn = localConnection();
    let calls = 0;
    const script = conn.script.bind(conn);
    conn.script = (s, a, o) => {
      calls++;
      return script(s, a, o);
    };
    try {
      const f = await gatherFacts(conn);
      assert.equal(calls, 1);
      assert.equal(f['distribution_major_version'], (os['VERSION_ID'] ?? '').split('.')[0]);
      assert.equal(f['distribution_release'], os['VERSION_CODENAME'] ?? '');
      if (os['ID'] === 'debian' || (os['ID_LIKE'] ?? '').split(' ').includes('debian')) assert.equal(f['os_family'], 'Debian');
      const host = execFileSync('hostname', { encoding: 'utf8' }).trim();
      assert.equal(f['hostname'], host.split('.')[0]);
      assert.equal(f['nodename'], host);
      assert.equal(f['service_mgr'], existsSync('/run/systemd/system') ? 'systemd' : 'sysvinit');
      if (existsSync('/usr/bin/apt-get')) assert.equal(f['pkg_mgr'], 'apt');
      assert.ok(typeof f['processor_vcpus'] === 'number' && f['processor_vcpus'] > 0);
    } finally {
      await conn.close();
    }
  });

  it('the script prints one key=value per line and nothing else', async () => {
    const conn = localConnection();
    try {
      const r = await conn.script(FACTS_SCRIPT);
      for (const line of r.stdout.split('\n').filter(Boolean)) assert.match(line, /^[a-z_A-Z0-9]+=/, line);
    } finally {
      await conn.close();
    }
  });
});
