// The test-host harness itself: a systemd host and a tini host boot from the cached image, kiln's
// own SSH connection logs in with host key checking on, apt works through the run's cacher, and
// stop() leaves no mount, namespace, link, process or file behind.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sshConnection } from '../../src/engine/connection/ssh.js';
import type { Connection } from '../../src/engine/connection/types.js';
import { ConnectionError } from '../../src/engine/errors.js';
import type { ConnectionSettings } from '../../src/engine/inventory/connection_vars.js';
import { cgroupPids } from '../support/testhost/cgroup.js';
import { ensureImage, imagesBuilt } from '../support/testhost/image.js';
import { startHost, stopAll, type TestHost } from '../support/testhost/host.js';
import { alive, runProgram, startTime } from '../support/testhost/proc.js';

/** kiln's SSH connection to a test host, checking its key against a private known_hosts. */
async function connectTo(h: TestHost, home: string, knownHostsLine = h.knownHostsLine): Promise<Connection> {
  const knownHosts = join(home, `known_hosts-${h.name}`);
  await writeFile(knownHosts, `${knownHostsLine}\n`);
  const settings: ConnectionSettings = {
    name: h.name,
    connection: 'ssh',
    host: h.ip,
    port: h.sshPort,
    user: h.user,
    privateKeyFile: h.keyFile,
    becomeMethod: 'sudo',
    hostKeyChecking: true,
    timeoutSec: 10,
    controlPersistSec: 0,
  };
  return sshConnection(settings, { homeDir: home, sshConfigFile: false, agent: false, globalKnownHostsFiles: [], knownHostsFile: knownHosts, hostKeyPolicy: 'strict' });
}

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

const mountsText = (): string => readFileSync('/proc/mounts', 'utf8');
const seconds = (t0: number): number => Math.round((Date.now() - t0) / 100) / 10;

describe('test hosts: fresh Debian 12 in namespaces', function () {
  // A cold image build (debootstrap) takes 1-3 minutes, once per machine.
  this.timeout(20 * 60_000);

  let hosts: TestHost[] = [];
  let home: string;
  const timings: string[] = [];
  const ipForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
  const netnsMounted = (): boolean => mountsText().split('\n').some((l) => l.split(' ')[1] === '/run/netns');
  let imageDir = '';

  before(async function () {
    home = await mkdtemp(join(tmpdir(), 'kiln-hosts-home-'));
    const t0 = Date.now();
    const image = await ensureImage();
    imageDir = image.dir;
    timings.push(image.built ? `image built (cold) in ${image.buildSeconds?.toFixed(1)} s` : `image cached (${seconds(t0)} s to check)`);
    const t1 = Date.now();
    hosts = await Promise.all([startHost({ name: 'h-systemd', flavour: 'systemd' }), startHost({ name: 'h-tini', flavour: 'tini' })]);
    timings.push(`two hosts started in parallel in ${seconds(t1)} s`);
    for (const h of hosts) timings.push(`${h.flavour}: boot to SSH banner ${h.bootSeconds.toFixed(2)} s`);
  });

  after(async function () {
    await stopAll();
    if (home) await rm(home, { recursive: true, force: true });
    console.log(`      timings:\n${timings.map((t) => `        ${t}`).join('\n')}`);
  });

  const host = (flavour: 'systemd' | 'tini'): TestHost => {
    const h = hosts.find((x) => x.flavour === flavour);
    assert.ok(h, `no ${flavour} host`);
    return h;
  };

  it('reuses the cached image instead of building it again', async function () {
    const stamp = statSync(join(imageDir, '.kiln-testhost-image.json')).mtimeMs;
    const again = await ensureImage();
    assert.equal(again.built, false);
    assert.equal(again.dir, imageDir);
    assert.ok(imagesBuilt <= 1, `built ${imagesBuilt} times in one run`);
    assert.equal(statSync(join(imageDir, '.kiln-testhost-image.json')).mtimeMs, stamp);
    // And from another process, as the next test run would.
    const image = fileURLToPath(new URL('../support/testhost/image.ts', import.meta.url));
    const r = await runProgram(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `import { ensureImage } from ${JSON.stringify(image)}; console.log(JSON.stringify(await ensureImage()));`]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { dir: imageDir, version: again.version, built: false });
  });

  for (const flavour of ['systemd', 'tini'] as const) {
    it(`${flavour}: logs in with kiln's SSH connection, host key checked against known_hosts`, async function () {
      const h = host(flavour);
      const c = await connectTo(h, home);
      try {
        const r = await c.run(['sh', '-c', 'id -un; hostname; . /etc/os-release; echo "$ID $VERSION_ID"']);
        assert.equal(r.rc, 0, r.stderr);
        assert.deepEqual(r.stdout.split('\n'), ['root', h.name, 'debian 12', '']);
      } finally {
        await c.close();
      }
    });

    it(`${flavour}: refuses the host when known_hosts holds another key (checking is really on)`, async function () {
      const h = host(flavour);
      const other = hosts.find((x) => x !== h) as TestHost;
      const wrong = `${h.ip} ${other.knownHostsLine.split(' ').slice(1).join(' ')}`;
      await assert.rejects(connectTo(h, home, wrong), (e: unknown) => e instanceof ConnectionError && /host key/i.test(e.message));
    });

    it(`${flavour}: has no default route and no resolver but 127.0.0.1`, async function () {
      const h = host(flavour);
      const r = await h.exec(['sh', '-c', 'ip -4 route; echo ---; ip -6 route; echo ---; cat /etc/resolv.conf']);
      assert.equal(r.code, 0, r.stderr);
      const [v4, v6, resolv] = r.stdout.split('---\n');
      assert.doesNotMatch(v4 ?? '', /default/);
      assert.doesNotMatch(v6 ?? '', /default/);
      assert.match(v4 ?? '', new RegExp(`dev eth0 .*src ${h.ip.replace(/\./g, '\\.')}`));
      assert.deepEqual((resolv ?? '').split('\n').filter((l) => l.startsWith('nameserver')), ['nameserver 127.0.0.1']);
    });
  }

  it("cannot change the machine's kernel settings, only its own network namespace's", async function () {
    for (const h of hosts) {
      const ro = await h.exec(['sh', '-c', 'echo 1 > /proc/sys/fs/protected_fifos']);
      assert.match(ro.stderr, /Read-only file system/, `${h.name}: /proc/sys must be read-only`);
      const rw = await h.exec(['sh', '-c', 'cat /proc/sys/net/ipv4/conf/eth0/forwarding > /proc/sys/net/ipv4/conf/eth0/forwarding']);
      assert.equal(rw.code, 0, `${h.name}: /proc/sys/net is the host's own: ${rw.stderr}`);
      // CAP_SYS_MODULE (16), CAP_SYS_RAWIO (17), CAP_SYS_TIME (25) are out of PID 1's bounding set.
      const bnd = BigInt(`0x${/^CapBnd:\s+([0-9a-f]+)$/m.exec((await h.exec(['cat', '/proc/1/status'])).stdout)?.[1] ?? 'ffffffffff'}`);
      for (const bit of [16n, 17n, 25n]) assert.equal((bnd >> bit) & 1n, 0n, `${h.name}: capability ${bit} is still in the bounding set`);
    }
  });

  it('each host has its own machine-id and SSH host key', async function () {
    const [a, b] = await Promise.all(hosts.map((x) => x.exec(['cat', '/etc/machine-id'])));
    assert.match(a?.stdout ?? '', /^[0-9a-f]{32}\n$/);
    assert.notEqual(a?.stdout, b?.stdout);
    assert.notEqual(hosts[0]?.knownHostsLine.split(' ')[2], hosts[1]?.knownHostsLine.split(' ')[2]);
  });

  it('systemd flavour: systemd is PID 1 and the system reaches running', async function () {
    const h = host('systemd');
    const r = await h.exec(['systemctl', 'is-system-running', '--wait'], { timeoutMs: 60_000 });
    assert.match(r.stdout.trim(), /^(running|degraded)$/, r.stdout + r.stderr);
    assert.equal((await h.exec(['cat', '/proc/1/comm'])).stdout, 'systemd\n');
    assert.equal((await h.exec(['systemctl', 'is-active', 'ssh'])).stdout, 'active\n');
    // Its own cgroup2 subtree only: the machine's v1 hierarchies are shared by every host.
    const mounts = (await h.exec(['cat', '/proc/mounts'])).stdout;
    assert.match(mounts, /^cgroup2 \/sys\/fs\/cgroup cgroup2 /m);
    assert.doesNotMatch(mounts, /^\S+ \S+ cgroup /m);
  });

  it('tini flavour: tini is PID 1, no systemd, SysV runlevel 2', async function () {
    const h = host('tini');
    assert.equal((await h.exec(['cat', '/proc/1/comm'])).stdout, 'tini\n');
    assert.equal((await h.exec(['test', '-d', '/run/systemd/system'])).code, 1, 'no /run/systemd/system: kiln must choose SysV');
    assert.equal((await h.exec(['runlevel'])).stdout, 'N 2\n');
    assert.equal((await h.exec(['service', 'ssh', 'status'])).code, 0);
  });

  it('apt-get update and install work through the cacher; installed services start', async function () {
    await Promise.all(
      hosts.map(async (h) => {
        const env = { DEBIAN_FRONTEND: 'noninteractive' };
        let t0 = Date.now();
        const up = await h.exec(['apt-get', 'update', '--error-on=any'], { env, timeoutMs: 300_000 });
        assert.equal(up.code, 0, `${h.name}: apt-get update: ${up.stdout}${up.stderr}`);
        timings.push(`${h.flavour}: apt-get update ${seconds(t0)} s`);
        t0 = Date.now();
        const inst = await h.exec(['apt-get', 'install', '-y', '-q', 'nginx'], { env, timeoutMs: 600_000 });
        assert.equal(inst.code, 0, `${h.name}: apt-get install nginx: ${inst.stdout}${inst.stderr}`);
        timings.push(`${h.flavour}: apt-get install -y nginx ${seconds(t0)} s`);
        // Started by the package, as on a real server (systemd unit / invoke-rc.d in runlevel 2).
        const page = await httpGet(`http://${h.ip}/`);
        assert.equal(page.status, 200);
        assert.match(page.body, /Welcome to nginx/);
      }),
    );
  });

  it("the cacher serves the machine's mirror and nothing else", async function () {
    const h = host('tini');
    const proxy = h.ip.replace(/\.\d+$/, '.1');
    const ask = async (request: string): Promise<string> => {
      const script = `exec 3<>/dev/tcp/${proxy}/3142; printf '%s\\r\\n\\r\\n' "$1" >&3; head -n1 <&3`;
      return (await h.exec(['bash', '-c', script, 'ask', request], { timeoutMs: 15_000 })).stdout;
    };
    assert.match(await ask('GET http://deb.debian.org/debian/dists/bookworm/InRelease HTTP/1.0'), /^HTTP\/1\.\d 200/);
    // Targets on the bridge itself: were they forwarded, they would not leave the machine.
    assert.match(await ask(`GET http://${proxy}/elsewhere HTTP/1.0`), /^HTTP\/1\.\d 403/);
    assert.match(await ask(`CONNECT ${proxy}:443 HTTP/1.0`), /^HTTP\/1\.\d 403/);
  });

  it('hosts reach each other on the bridge', async function () {
    const [a, b] = [host('tini'), host('systemd')];
    const r = await a.exec(['bash', '-c', `exec 3<>/dev/tcp/${b.ip}/80; printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3; head -n1 <&3`], { timeoutMs: 10_000 });
    assert.match(r.stdout, /^HTTP\/1\.1 200 OK/, r.stderr);
  });

  it('leaves IP forwarding as it was', function () {
    assert.equal(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), ipForward);
  });

  it('stop() leaves no process, mount, namespace, link or file behind', async function () {
    const before = hosts.map((h) => ({ h, pids: cgroupPids(h.cgroup) }));
    const starts = new Map(before.flatMap(({ pids }) => pids.map((p) => [p, startTime(p)] as const)));
    for (const { h, pids } of before) assert.ok(pids.includes(h.pid) && pids.length > 3, `${h.name}: PIDs ${pids.join(' ')}`);
    const t0 = Date.now();
    await Promise.all(hosts.map((h) => h.stop()));
    timings.push(`teardown of both hosts and the network ${seconds(t0)} s`);
    await hosts[0]?.stop(); // idempotent

    const netns = (await runProgram('ip', ['netns', 'list'])).stdout;
    const links = (await runProgram('ip', ['-o', 'link', 'show'])).stdout;
    const mounts = mountsText();
    for (const { h, pids } of before) {
      // A killed process that was our own child may stay a zombie until Node reaps it: not running.
      for (const pid of pids) assert.ok(!alive(pid) || startTime(pid) !== starts.get(pid), `${h.name}: PID ${pid} is still running`);
      assert.ok(!existsSync(h.cgroup), `${h.name}: cgroup ${h.cgroup} is still there`);
      assert.ok(!existsSync(dirname(h.cgroup)), `the run's cgroup ${dirname(h.cgroup)} (apt-cacher-ng) is still there`);
      assert.doesNotMatch(netns, new RegExp(`^${h.netns}\\b`, 'm'));
      assert.doesNotMatch(links, new RegExp(`: ${h.veth}[@:]`));
      assert.doesNotMatch(links, new RegExp(`: ${h.bridge}[@:]`));
      assert.ok(!mounts.includes(h.dir) && !mounts.includes(h.netns), `${h.name}: a mount is left:\n${mounts}`);
      assert.ok(!existsSync(h.dir), `${h.name}: ${h.dir} is still there`);
    }
    // `ip netns add` mounts /run/netns on itself; it is unmounted again once no namespace is in it.
    assert.ok(!netnsMounted() || readdirSync('/run/netns').length > 0, '/run/netns is still mounted, with no namespace in it');
    assert.doesNotMatch(mounts, /overlay .*kiln-testhost/);
  });
});
