// The SSH connection broker end to end, against real sshd instances: reuse, what is not reused,
// the same errors as a direct login, lifetime, stale sockets, unsafe control dirs, dropped servers.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, copyFile, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionError } from '../../../../src/engine/errors.js';
import type { ConnectionSettings } from '../../../../src/engine/inventory/connection_vars.js';
import { sshConnection } from '../../../../src/engine/connection/ssh.js';
import type { SshOptions } from '../../../../src/engine/connection/ssh_target.js';
import type { Connection } from '../../../../src/engine/connection/types.js';
import { type ControlDir, logins, useControlDir, waitFor } from '../../../support/broker.js';
import { muteServer } from '../../../support/mute_server.js';
import { generateKey, type SshdFixture, startSshd, TEST_USERS } from '../../../support/sshd.js';

function settings(f: { host: string; port: number }, over: Partial<ConnectionSettings> = {}): ConnectionSettings {
  return { name: 'target', connection: 'ssh', host: f.host, port: f.port, becomeMethod: 'sudo', hostKeyChecking: true, timeoutSec: 10, controlPersistSec: 30, ...over };
}

async function connectError(p: Promise<Connection>): Promise<ConnectionError> {
  try {
    await (await p).close();
  } catch (e) {
    assert.ok(e instanceof ConnectionError, `expected a ConnectionError, got ${String(e)}`);
    return e;
  }
  assert.fail('the connection was expected to fail');
}

describe('ssh connection broker', function () {
  let f: SshdFixture;
  let home: string;
  let cd: ControlDir;
  let warnings: string[];
  const open: Connection[] = [];
  const track = async (p: Promise<Connection>): Promise<Connection> => {
    const c = await p;
    open.push(c);
    return c;
  };
  const options = (over: SshOptions = {}): SshOptions => ({
    homeDir: home,
    sshConfigFile: false,
    agent: false,
    globalKnownHostsFiles: [],
    knownHostsFile: f.knownHosts,
    onWarning: (m) => warnings.push(m),
    ...over,
  });
  const root = (over: Partial<ConnectionSettings> = {}): ConnectionSettings => settings(f, { user: 'root', privateKeyFile: f.clientKey, ...over });
  /** Connect, run one command, close: one short kiln run. */
  const runOnce = async (s: ConnectionSettings, o: SshOptions = options()): Promise<string> => {
    const c = await sshConnection(s, o);
    try {
      return (await c.run(['id', '-un'])).stdout.trim();
    } finally {
      await c.close();
    }
  };

  before(async function () {
    f = await startSshd();
  });
  beforeEach(async function () {
    home = await mkdtemp(join(tmpdir(), 'kiln-home-'));
    cd = await useControlDir();
    warnings = [];
  });
  afterEach(async function () {
    for (const c of open.splice(0)) await c.close();
    await cd.cleanup();
    await rm(home, { recursive: true, force: true });
  });
  after(async function () {
    await f?.stop();
  });

  it('a second connection reuses the first login: sshd sees one TCP connection and one login', async function () {
    const mark = f.log().length;
    assert.equal(await runOnce(root()), 'root');
    assert.equal(await runOnce(root()), 'root');
    const c = await track(sshConnection(root(), options()));
    assert.equal((await c.run(['true'], { becomeUser: TEST_USERS.nopw.name })).rc, 0);
    const log = f.log().slice(mark);
    assert.equal(logins(log), 1, log);
    assert.equal((log.match(/Connection from 127\.0\.0\.1/g) ?? []).length, 1, log);
    assert.equal(cd.brokers().length, 1);
    assert.deepEqual(warnings, []);
  });

  it('a run takes the shell the broker opened after the previous run (no channel to open, no shell to start)', async function () {
    // Clock ticks since boot, the unit of a process's start time in /proc/PID/stat.
    const ticksNow = (): number => Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 100;
    const startTicks = (pid: string): number => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[19]);
    /** The session shell's PID (the parent of the command it runs) and when it started. */
    const sessionShell = async (): Promise<{ pid: string; started: number; asked: number }> => {
      const asked = ticksNow();
      const c = await sshConnection(root(), options());
      try {
        const pid = (await c.run(['sh', '-c', 'echo $PPID'])).stdout.trim();
        return { pid, started: startTicks(pid), asked };
      } finally {
        await c.close();
      }
    };
    const first = await sessionShell();
    assert.ok(first.started >= first.asked - 1, 'the first run opens its own shell');
    await new Promise((r) => setTimeout(r, 300));
    const second = await sessionShell();
    assert.notEqual(second.pid, first.pid);
    // Started at least 30 ms (3 ticks) before the run asked for it: the broker's spare.
    assert.ok(second.started < second.asked - 3, `shell started at tick ${second.started}, asked at ${second.asked}`);
    // A become session (its argv carries a one-time sudo prompt) is never served from a spare.
    const c = await track(sshConnection(root(), options()));
    assert.equal((await c.run(['id', '-un'], { becomeUser: TEST_USERS.nopw.name })).stdout.trim(), TEST_USERS.nopw.name);
  });

  it('does not reuse a connection made as another user, with another key, known_hosts file or host key policy', async function () {
    const otherKnownHosts = join(home, 'known_hosts_copy');
    await copyFile(f.knownHosts, otherKnownHosts);
    const variants: Array<[ConnectionSettings, SshOptions, string]> = [
      [root(), options(), 'root'],
      [root({ user: TEST_USERS.nopw.name }), options(), TEST_USERS.nopw.name],
      [root({ privateKeyFile: f.encryptedKey, privateKeyPassphrase: f.passphrase }), options(), 'root'],
      [root(), options({ knownHostsFile: otherKnownHosts }), 'root'],
      [root({ hostKeyChecking: false }), options(), 'root'],
      [settings(f, { user: TEST_USERS.pw.name, password: TEST_USERS.pw.password }), options(), TEST_USERS.pw.name],
    ];
    const mark = f.log().length;
    for (const [s, o, who] of variants) assert.equal(await runOnce(s, o), who);
    assert.equal(logins(f.log().slice(mark)), variants.length, 'each variant logs in');
    // …and each is kept under its own key: the same requests again log in no more.
    for (const [s, o, who] of variants) assert.equal(await runOnce(s, o), who);
    assert.equal(logins(f.log().slice(mark)), variants.length, f.log().slice(mark));
    assert.equal(cd.brokers().length, 1, 'one broker holds them all');
  });

  it('a changed host key: the same ConnectionError as a direct connection, and nothing is kept', async function () {
    const other = join(home, 'other_host_key');
    await generateKey(other);
    const wrong = join(home, 'wrong_known_hosts');
    await writeFile(wrong, `[127.0.0.1]:${f.port} ${(await readFile(`${other}.pub`, 'utf8')).split(' ').slice(0, 2).join(' ')}\n`);
    const direct = await connectError(sshConnection(root({ controlPersistSec: 0 }), options({ knownHostsFile: wrong })));
    const brokered = await connectError(sshConnection(root(), options({ knownHostsFile: wrong })));
    assert.match(direct.message, /host key/i);
    assert.equal(brokered.message, direct.message);
    assert.equal(brokered.host, 'target');
    // The broker holds nothing and serves nobody: it exits.
    await waitFor(() => cd.brokers().length === 0, 5000, 'the broker to exit');
    assert.equal(existsSync(cd.socket), false, 'the broker removed its socket');
  });

  it('failed authentication: the same message as a direct connection, without the password', async function () {
    const stranger = join(home, 'stranger_key');
    await generateKey(stranger);
    const s = settings(f, { user: TEST_USERS.pw.name, privateKeyFile: stranger, password: 'wrong-password-x1' });
    const direct = await connectError(sshConnection({ ...s, controlPersistSec: 0 }, options()));
    const brokered = await connectError(sshConnection(s, options()));
    assert.match(direct.message, /authentication failed for user kiln-pw \(tried publickey .*stranger_key, password/);
    assert.equal(brokered.message, direct.message);
    assert.ok(!brokered.message.includes('wrong-password-x1'));
  });

  it('connection refused: the same message as a direct connection', async function () {
    const dead = { host: '127.0.0.1', port: 1 };
    const direct = await connectError(sshConnection(settings(dead, { user: 'root', privateKeyFile: f.clientKey, controlPersistSec: 0 }), options()));
    const brokered = await connectError(sshConnection(settings(dead, { user: 'root', privateKeyFile: f.clientKey }), options()));
    assert.match(direct.message, /connection refused/);
    assert.equal(brokered.message, direct.message);
  });

  it('a server that never speaks SSH: the same timeout message as a direct connection', async function () {
    const mute = await muteServer();
    try {
      const s = settings({ host: '127.0.0.1', port: mute.port }, { user: 'root', privateKeyFile: f.clientKey, timeoutSec: 1 });
      const direct = await connectError(sshConnection({ ...s, controlPersistSec: 0 }, options()));
      const brokered = await connectError(sshConnection(s, options()));
      assert.match(direct.message, /timed out after 1 s waiting for the SSH handshake/);
      assert.equal(brokered.message, direct.message);
    } finally {
      await mute.close();
    }
  });

  it('an abandoned attempt (the run no longer needs the host) rejects at once, as a direct one does', async function () {
    const mute = await muteServer();
    try {
      const abort = new AbortController();
      const pending = connectError(sshConnection(settings({ host: '127.0.0.1', port: mute.port }, { user: 'root', privateKeyFile: f.clientKey }), options({ signal: abort.signal })));
      await waitFor(() => mute.sockets.length > 0, 10_000, 'the broker to reach the server');
      const t0 = Date.now();
      abort.abort();
      const e = await pending;
      assert.match(e.message, /cannot connect to root@\[127\.0\.0\.1\]:\d+: the connection attempt was abandoned/);
      assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
    } finally {
      await mute.close();
    }
  });

  it('the broker killed mid-run: the run reports the drop as a ConnectionError, and does not reconnect', async function () {
    const c = await track(sshConnection(root(), options()));
    assert.equal((await c.run(['true'])).rc, 0);
    const pending = c.run(['sleep', '30']).then(
      () => assert.fail('the command should not finish'),
      (e: unknown) => e,
    );
    await new Promise((r) => setTimeout(r, 200));
    for (const pid of cd.brokers()) process.kill(pid, 'SIGKILL');
    const e = await pending;
    assert.ok(e instanceof ConnectionError, String(e));
    assert.match(e.message, /connection lost: .*kiln SSH broker/);
    await assert.rejects(c.run(['true'], { becomeUser: TEST_USERS.nopw.name }), (x: unknown) => x instanceof ConnectionError && /broker.*does not reconnect/.test(x.message));
  });

  it('kiln_ssh_control_persist 0 connects directly: no broker, no socket', async function () {
    const mark = f.log().length;
    assert.equal(await runOnce(root({ controlPersistSec: 0 })), 'root');
    assert.equal(await runOnce(root({ controlPersistSec: 0 })), 'root');
    assert.equal(logins(f.log().slice(mark)), 2);
    assert.deepEqual(cd.brokers(), []);
    assert.equal(existsSync(cd.socket), false);
  });

  it('a stale socket (its broker died) is removed and a new broker started', async function () {
    // A process that binds the socket and dies without removing it.
    const r = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(cd.socket)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    assert.equal(r.signal, 'SIGKILL');
    assert.ok(existsSync(cd.socket), 'the stale socket is there');
    assert.equal(await runOnce(root()), 'root');
    assert.equal(cd.brokers().length, 1);
    assert.deepEqual(warnings, []);
  });

  it('a broker killed between runs: the next run starts a new one', async function () {
    assert.equal(await runOnce(root()), 'root');
    const [pid] = cd.brokers();
    process.kill(pid as number, 'SIGKILL');
    await waitFor(() => cd.brokers().length === 0, 5000, 'the broker to die');
    assert.equal(await runOnce(root()), 'root');
    assert.deepEqual(warnings, []);
    assert.equal(cd.brokers().length, 1);
    assert.notEqual(cd.brokers()[0], pid);
  });

  it('a control directory others can reach, or a symlinked socket: a warning, and a direct connection', async function () {
    await chmod(cd.dir, 0o755);
    const mark = f.log().length;
    assert.equal(await runOnce(root()), 'root');
    assert.equal(await runOnce(root()), 'root');
    assert.equal(logins(f.log().slice(mark)), 2, 'each run logs in');
    assert.deepEqual(cd.brokers(), []);
    assert.equal(warnings.length, 1, 'warned once');
    assert.match(warnings[0] as string, /connecting directly: the control directory .* is accessible to group or others \(mode 0755\): run chmod 700/);

    await chmod(cd.dir, 0o700);
    await symlink(join(home, 'elsewhere.sock'), cd.socket);
    assert.equal(await runOnce(root()), 'root');
    assert.match(warnings[1] as string, /control socket .* is a symbolic link/);
    assert.deepEqual(cd.brokers(), []);
  });

  it('idle for the persist time: the connection is closed, then the broker exits and removes its socket', async function () {
    const mark = f.log().length;
    assert.equal(await runOnce(root({ controlPersistSec: 1 })), 'root');
    assert.equal(cd.brokers().length, 1);
    // Within the persist time: reused.
    assert.equal(await runOnce(root({ controlPersistSec: 1 })), 'root');
    assert.equal(logins(f.log().slice(mark)), 1);
    const t0 = Date.now();
    await waitFor(() => cd.brokers().length === 0, 5000, 'the broker to exit');
    assert.ok(Date.now() - t0 >= 700, `exited after ${Date.now() - t0} ms, before the persist time`);
    assert.equal(existsSync(cd.socket), false);
    await waitFor(() => /Disconnected from user root/.test(f.log().slice(mark)), 5000, 'sshd to see the disconnect');
  });

  it('sshd killed: the run reports the drop, and the next connection logs in afresh', async function () {
    const g = await startSshd();
    let again: ReturnType<typeof spawn> | undefined;
    try {
      const s = settings(g, { user: 'root', privateKeyFile: g.clientKey });
      const o = options({ knownHostsFile: g.knownHosts });
      const c = await track(sshConnection(s, o));
      assert.equal((await c.run(['true'])).rc, 0);
      const pending = c.run(['sleep', '30']);
      const outcome = pending.then(
        () => assert.fail('the command should not finish'),
        (e: unknown) => e,
      );
      await new Promise((r) => setTimeout(r, 300));
      await g.kill();
      const e = await outcome;
      assert.ok(e instanceof ConnectionError, String(e));
      assert.match(e.message, /connection lost/);
      await assert.rejects(c.run(['true'], { becomeUser: TEST_USERS.nopw.name }), (x: unknown) => x instanceof ConnectionError && /does not reconnect/.test(x.message));

      // The same sshd again, on the same port: the broker must not hand out the dead connection.
      let log = '';
      again = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(g.dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
      again.stderr?.on('data', (b: Buffer) => (log += b.toString('utf8')));
      await waitFor(() => log.includes('Server listening'), 10_000, 'sshd to listen again');
      const d = await track(sshConnection(s, o));
      assert.equal((await d.run(['id', '-un'])).stdout, 'root\n');
      assert.equal(logins(log), 1, log);
      assert.equal(cd.brokers().length, 1);
    } finally {
      again?.kill('SIGKILL');
      await g.stop();
    }
  });

  it('runs starting at once: one broker stays, one login serves them all', async function () {
    const mark = f.log().length;
    const who = await Promise.all([1, 2, 3, 4].map(() => runOnce(root())));
    assert.deepEqual(who, ['root', 'root', 'root', 'root']);
    assert.equal(logins(f.log().slice(mark)), 1);
    await waitFor(() => cd.brokers().length === 1, 5000, 'the extra brokers to exit');
    assert.deepEqual(warnings, []);
  });
});
