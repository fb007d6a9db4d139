// SSH-specific behaviour against real sshd instances: host keys, auth methods, faults, ssh_config.
import { strict as assert } from 'node:assert';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionError } from '../../../src/engine/errors.js';
import type { ConnectionSettings } from '../../../src/engine/inventory/connection_vars.js';
import { resolveTarget, sshConnection } from '../../../src/engine/connection/ssh.js';
import type { SshOptions } from '../../../src/engine/connection/ssh_target.js';
import { expandTokens, loadSshConfig, matchPatternList, parseSshConfig, resolveSshConfig } from '../../../src/engine/connection/ssh_config.js';
import type { Connection } from '../../../src/engine/connection/types.js';
import { freePort, generateKey, keygenFingerprint, runProgram, type SshdFixture, startSshd, TEST_USERS } from '../../support/sshd.js';
import { muteServer } from '../../support/mute_server.js';

function settings(f: { host: string; port: number }, over: Partial<ConnectionSettings> = {}): ConnectionSettings {
  return { name: 'target', connection: 'ssh', host: f.host, port: f.port, becomeMethod: 'sudo', hostKeyChecking: true, timeoutSec: 10, controlPersistSec: 0, ...over };
}

/** Hermetic options: a private home, no ~/.ssh/config, no agent, no global known_hosts. */
function options(home: string, over: SshOptions = {}): SshOptions {
  return { homeDir: home, sshConfigFile: false, agent: false, globalKnownHostsFiles: [], ...over };
}

async function connectError(p: Promise<Connection>): Promise<ConnectionError> {
  let conn: Connection | undefined;
  try {
    conn = await p;
  } catch (e) {
    assert.ok(e instanceof ConnectionError, `expected a ConnectionError, got ${String(e)}`);
    return e;
  }
  await conn.close();
  assert.fail('the connection was expected to fail');
}

describe('ssh connection', function () {
  let f: SshdFixture;
  let home: string;
  const open: Connection[] = [];
  const track = async (p: Promise<Connection>): Promise<Connection> => {
    const c = await p;
    open.push(c);
    return c;
  };

  before(async function () {
    f = await startSshd();
  });
  beforeEach(async function () {
    home = await mkdtemp(join(tmpdir(), 'kiln-home-'));
  });
  afterEach(async function () {
    for (const c of open.splice(0)) await c.close();
    await rm(home, { recursive: true, force: true });
  });
  after(async function () {
    await f?.stop();
  });

  const rootKey = (): Partial<ConnectionSettings> => ({ user: 'root', privateKeyFile: f.clientKey });
  const knownLine = (): string => `[127.0.0.1]:${f.port} ${f.hostKey.type} ${f.hostKey.base64}\n`;

  describe('host keys', function () {
    it('connects when known_hosts holds the key', async function () {
      const c = await track(sshConnection(settings(f, rootKey()), options(home, { knownHostsFile: f.knownHosts })));
      assert.equal((await c.run(['id', '-un'])).stdout, 'root\n');
    });

    it('connects with a hashed entry (written by ssh-keygen -H)', async function () {
      const file = join(home, 'hashed_known_hosts');
      await writeFile(file, knownLine());
      const r = await runProgram('ssh-keygen', ['-H', '-f', file]);
      assert.equal(r.code, 0, r.stderr);
      const text = await readFile(file, 'utf8');
      assert.match(text, /^\|1\|/, 'the entry is hashed');
      assert.ok(!text.includes('127.0.0.1'));
      const c = await track(sshConnection(settings(f, rootKey()), options(home, { knownHostsFile: file })));
      assert.equal((await c.run(['echo', 'hi'])).stdout, 'hi\n');
    });

    it('refuses a changed host key, naming the file:line of the old key and the new fingerprint', async function () {
      const other = join(home, 'other_host_key');
      await generateKey(other);
      const otherB64 = (await readFile(`${other}.pub`, 'utf8')).split(' ')[1];
      const file = join(home, 'known_hosts');
      const text = `# a comment\nunrelated.example ${f.hostKey.type} ${f.hostKey.base64}\n[127.0.0.1]:${f.port} ssh-ed25519 ${otherB64}\n`;
      await writeFile(file, text);
      const e = await connectError(sshConnection(settings(f, rootKey()), options(home, { knownHostsFile: file, hostKeyPolicy: 'accept-new' })));
      assert.match(e.message, /CHANGED/);
      assert.ok(e.message.includes(`${file}:3`), e.message);
      assert.ok(e.message.includes(f.hostKey.fingerprint), `the new key's fingerprint (${f.hostKey.fingerprint}) is named: ${e.message}`);
      assert.ok(e.message.includes(await keygenFingerprint(`${other}.pub`)), "the old key's fingerprint is named");
      assert.equal(await readFile(file, 'utf8'), text, 'known_hosts was not touched, even under accept-new');
    });

    it('asks for the host key type known_hosts holds when the server has several', async function () {
      const ecdsa = join(home, 'ssh_host_ecdsa_key');
      await generateKey(ecdsa, '', 'kiln-test-host', 'ecdsa');
      const g = await startSshd({ config: [`HostKey ${ecdsa}`] });
      try {
        const file = join(home, 'known_hosts');
        const [type, b64] = (await readFile(`${ecdsa}.pub`, 'utf8')).split(' ');
        await writeFile(file, `[127.0.0.1]:${g.port} ${type} ${b64}\n`);
        const c = await sshConnection(settings(g, { user: 'root', privateKeyFile: g.clientKey }), options(home, { knownHostsFile: file }));
        try {
          assert.equal((await c.run(['echo', 'ecdsa'])).stdout, 'ecdsa\n');
        } finally {
          await c.close();
        }
      } finally {
        await g.stop();
      }
    });

    it('refuses a key marked @revoked, even when it is also listed as known', async function () {
      const file = join(home, 'known_hosts');
      await writeFile(file, `${knownLine()}@revoked * ${f.hostKey.type} ${f.hostKey.base64}\n`);
      const e = await connectError(sshConnection(settings(f, rootKey()), options(home, { knownHostsFile: file })));
      assert.match(e.message, /revoked/);
      assert.ok(e.message.includes(`${file}:2`), e.message);
    });

    it('refuses an unknown host under strict, telling how to add the key', async function () {
      const e = await connectError(sshConnection(settings(f, rootKey()), options(home)));
      assert.match(e.message, /not known/);
      assert.ok(e.message.includes(`ssh-keyscan -p ${f.port} 127.0.0.1 >> ${join(home, '.ssh', 'known_hosts')}`), e.message);
      assert.ok(e.message.includes(f.hostKey.fingerprint), e.message);
      assert.match(e.message, /accept-new/);
      assert.equal(existsSync(join(home, '.ssh', 'known_hosts')), false, 'nothing was recorded');
    });

    it('accept-new records an unknown key, then connects with it; a changed key is still refused', async function () {
      const c = await track(sshConnection(settings(f, rootKey()), options(home, { hostKeyPolicy: 'accept-new' })));
      assert.equal((await c.run(['true'])).rc, 0);
      const file = join(home, '.ssh', 'known_hosts');
      assert.equal(await readFile(file, 'utf8'), knownLine());
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.equal((await stat(join(home, '.ssh'))).mode & 0o777, 0o700);
      // Second connection, strict: the recorded key is enough.
      const again = await track(sshConnection(settings(f, rootKey()), options(home)));
      assert.equal((await again.run(['echo', 'again'])).stdout, 'again\n');
      assert.equal(await readFile(file, 'utf8'), knownLine(), 'a known key is not recorded twice');
      // Now the key "changes": accept-new must refuse and leave the file alone.
      const other = join(home, 'other_host_key');
      await generateKey(other);
      const changed = `[127.0.0.1]:${f.port} ${(await readFile(`${other}.pub`, 'utf8')).split(' ').slice(0, 2).join(' ')}\n`;
      await writeFile(file, changed);
      const e = await connectError(sshConnection(settings(f, rootKey()), options(home, { hostKeyPolicy: 'accept-new' })));
      assert.match(e.message, /CHANGED/);
      assert.equal(await readFile(file, 'utf8'), changed);
    });

    it('StrictHostKeyChecking accept-new and UserKnownHostsFile from ssh config are honoured', async function () {
      await mkdir(join(home, '.ssh'));
      const file = join(home, 'custom known hosts');
      await writeFile(join(home, '.ssh', 'config'), `Host 127.0.0.*\n  StrictHostKeyChecking accept-new\n  UserKnownHostsFile "${file}"\n`);
      const c = await track(sshConnection(settings(f, rootKey()), options(home, { sshConfigFile: undefined })));
      assert.equal((await c.run(['true'])).rc, 0);
      assert.equal(await readFile(file, 'utf8'), knownLine());
      assert.equal(existsSync(join(home, '.ssh', 'known_hosts')), false);
    });

    it('host key checking off (kiln_host_key_checking: false) connects without known_hosts and records nothing', async function () {
      const c = await track(sshConnection(settings(f, { ...rootKey(), hostKeyChecking: false }), options(home)));
      assert.equal((await c.run(['true'])).rc, 0);
      assert.equal(existsSync(join(home, '.ssh')), false);
    });
  });

  describe('authentication', function () {
    const opts = (): SshOptions => options(home, { knownHostsFile: f.knownHosts });

    it('uses an encrypted key with the right passphrase', async function () {
      const c = await track(sshConnection(settings(f, { user: 'root', privateKeyFile: f.encryptedKey, privateKeyPassphrase: f.passphrase }), opts()));
      assert.equal((await c.run(['id', '-u'])).stdout, '0\n');
    });

    it('says the passphrase is wrong (without showing it)', async function () {
      const wrong = 'definitely the wrong passphrase';
      const e = await connectError(sshConnection(settings(f, { user: 'root', privateKeyFile: f.encryptedKey, privateKeyPassphrase: wrong }), opts()));
      assert.match(e.message, /wrong passphrase/);
      assert.ok(e.message.includes(f.encryptedKey));
      assert.ok(!e.message.includes(wrong));
    });

    it('says an encrypted key needs a passphrase', async function () {
      const e = await connectError(sshConnection(settings(f, { user: 'root', privateKeyFile: f.encryptedKey }), opts()));
      assert.match(e.message, /encrypted and no passphrase/);
    });

    it('logs in with a password', async function () {
      const u = TEST_USERS.pw;
      const c = await track(sshConnection(settings(f, { user: u.name, password: u.password }), opts()));
      assert.equal((await c.run(['id', '-un'])).stdout, `${u.name}\n`);
    });

    it('reports failed authentication with the methods tried and those the server accepts', async function () {
      const stranger = join(home, 'stranger_key');
      await generateKey(stranger);
      const e = await connectError(sshConnection(settings(f, { user: TEST_USERS.pw.name, privateKeyFile: stranger, password: 'wrong-password-x1' }), opts()));
      assert.match(e.message, /authentication failed for user kiln-pw/);
      assert.ok(e.message.includes(`publickey ${stranger}`), e.message);
      assert.match(e.message, /password/);
      assert.match(e.message, /server accepts publickey, password/);
      assert.ok(!e.message.includes('wrong-password-x1'));
    });

    it('tries the key file before the password, like OpenSSH', async function () {
      const stranger = join(home, 'stranger_key');
      await generateKey(stranger);
      const u = TEST_USERS.pw;
      const mark = f.log().length;
      const c = await track(sshConnection(settings(f, { user: u.name, privateKeyFile: stranger, password: u.password }), opts()));
      assert.equal((await c.run(['id', '-un'])).stdout, `${u.name}\n`);
      const log = f.log().slice(mark);
      const fp = await keygenFingerprint(`${stranger}.pub`);
      const keyAt = log.indexOf(fp);
      const pwAt = log.indexOf(`Accepted password for ${u.name}`);
      assert.ok(keyAt !== -1 && pwAt !== -1 && keyAt < pwAt, `sshd log:\n${log}`);
    });

    it('falls back to the password when the key cannot be decrypted', async function () {
      const u = TEST_USERS.pw;
      const c = await track(sshConnection(settings(f, { user: u.name, privateKeyFile: f.encryptedKey, privateKeyPassphrase: 'nope', password: u.password }), opts()));
      assert.equal((await c.run(['id', '-un'])).stdout, `${u.name}\n`);
    });

    it('uses ssh-agent when no key file is given', async function () {
      const agentSock = join(home, 'agent.sock');
      const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', agentSock], { stdio: 'ignore' });
      try {
        for (let i = 0; i < 100 && !existsSync(agentSock); i++) await new Promise((r) => setTimeout(r, 20));
        const add = await new Promise<number | null>((resolve) => {
          const p = spawn('ssh-add', [f.clientKey], { stdio: 'ignore', env: { ...process.env, SSH_AUTH_SOCK: agentSock } });
          p.on('close', resolve);
        });
        assert.equal(add, 0, 'ssh-add failed');
        const e = await connectError(sshConnection(settings(f, { user: 'root' }), opts()));
        assert.match(e.message, /no way to authenticate/, 'without the agent there is nothing to try');
        const c = await track(sshConnection(settings(f, { user: 'root' }), { ...opts(), agent: agentSock }));
        assert.equal((await c.run(['id', '-un'])).stdout, 'root\n');
      } finally {
        agent.kill('SIGKILL');
      }
    });
  });

  describe('faults', function () {
    it('nothing listening: ConnectionError "refused", quickly', async function () {
      const port = await freePort();
      const t0 = Date.now();
      const e = await connectError(sshConnection(settings({ host: '127.0.0.1', port }, rootKey()), options(home)));
      assert.match(e.message, /connection refused/);
      assert.ok(e.message.includes(String(port)));
      assert.equal(e.host, 'target');
      assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
    });

    it('a server that never speaks SSH: times out after timeoutSec', async function () {
      const mute = await muteServer();
      try {
        const t0 = Date.now();
        const e = await connectError(sshConnection(settings({ host: '127.0.0.1', port: mute.port }, { ...rootKey(), timeoutSec: 1 }), options(home)));
        const ms = Date.now() - t0;
        assert.match(e.message, /timed out after 1 s/);
        assert.ok(ms >= 900 && ms < 5000, `took ${ms} ms`);
      } finally {
        await mute.close();
      }
    });

    it('sshd killed mid-run: the pending run rejects with ConnectionError, later runs fail fast', async function () {
      const g = await startSshd();
      try {
        const c = await track(sshConnection(settings(g, { user: 'root', privateKeyFile: g.clientKey }), options(home, { knownHostsFile: g.knownHosts })));
        assert.equal((await c.run(['true'])).rc, 0);
        assert.equal((await c.run(['true'], { becomeUser: TEST_USERS.nopw.name })).rc, 0);
        const t0 = Date.now();
        const pending = [c.run(['sleep', '30']), c.run(['echo', 'queued']), c.run(['sleep', '30'], { becomeUser: TEST_USERS.nopw.name })];
        const outcomes = Promise.allSettled(pending);
        await new Promise((r) => setTimeout(r, 300));
        await g.kill();
        const results = await outcomes;
        for (const r of results) {
          assert.equal(r.status, 'rejected');
          assert.ok(r.reason instanceof ConnectionError, String(r.reason));
          assert.match(r.reason.message, /connection lost/);
        }
        assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
        const t1 = Date.now();
        for (const becomeUser of [undefined, TEST_USERS.nopw.name, TEST_USERS.pw.name]) {
          await assert.rejects(c.run(['true'], { becomeUser }), (e: unknown) => e instanceof ConnectionError && /does not reconnect/.test(e.message));
        }
        assert.ok(Date.now() - t1 < 1000, 'later runs fail at once');
      } finally {
        await g.stop();
      }
    });

    it('close() ends the sessions on the server', async function () {
      const c = await sshConnection(settings(f, rootKey()), options(home, { knownHostsFile: f.knownHosts }));
      const pid = (await c.run(['sh', '-c', 'echo $PPID'])).stdout.trim();
      assert.match(pid, /^\d+$/);
      await c.run(['true'], { becomeUser: TEST_USERS.nopw.name });
      await c.close();
      // Exited (a zombie until sshd reaps it, which can take a while) or gone.
      const running = (): boolean => {
        try {
          const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
          return st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3) !== 'Z';
        } catch {
          return false;
        }
      };
      let alive = true;
      for (let i = 0; i < 100 && alive; i++) {
        alive = running();
        if (alive) await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(alive, false, `the remote shell ${pid} still runs`);
      await assert.rejects(c.run(['true']), ConnectionError);
    });
  });

  describe('~/.ssh/config', function () {
    it('HostName, Port, User, IdentityFile and UserKnownHostsFile from a wildcard Host block', async function () {
      await mkdir(join(home, '.ssh'));
      await writeFile(
        join(home, '.ssh', 'config'),
        [
          '# test config',
          'Host other',
          '  User nobody',
          'Host kiln-*.test !kiln-bad.test',
          `  HostName 127.0.0.1`,
          `  Port ${f.port}`,
          '  User root',
          `  IdentityFile ${f.clientKey}`,
          `  UserKnownHostsFile ${f.knownHosts}`,
          'Host *',
          '  User kiln-nopw',
          '  Port 1',
          '',
        ].join('\n'),
      );
      const s: ConnectionSettings = { name: 'web', connection: 'ssh', host: 'kiln-web.test', port: 22, becomeMethod: 'sudo', hostKeyChecking: true, timeoutSec: 10, controlPersistSec: 0 };
      const c = await track(sshConnection(s, options(home, { sshConfigFile: undefined })));
      assert.equal((await c.run(['id', '-un'])).stdout, 'root\n');
      // The inventory wins where it speaks.
      const nopw = await track(sshConnection({ ...s, user: TEST_USERS.nopw.name }, options(home, { sshConfigFile: undefined })));
      assert.equal((await nopw.run(['id', '-un'])).stdout, `${TEST_USERS.nopw.name}\n`);
      // A negated pattern excludes the host: only the catch-all block applies.
      const bad = resolveTarget({ ...s, host: 'kiln-bad.test' }, options(home, { sshConfigFile: undefined }));
      assert.deepEqual([bad.address, bad.port, bad.user, bad.explicitIdentities], ['kiln-bad.test', 1, TEST_USERS.nopw.name, false]);
    });
  });
});

describe('ssh_config parsing', function () {
  const cfg = (text: string, host: string) => resolveSshConfig(parseSshConfig(text, 'cfg'), host);

  it('first obtained value wins; IdentityFile accumulates', function () {
    const text = `Host web*\n  Port 2200\n  IdentityFile ~/.ssh/web\nHost *\n  Port 22\n  User admin\n  IdentityFile ~/.ssh/id_all\n`;
    assert.deepEqual(cfg(text, 'web1'), { port: 2200, user: 'admin', identityFiles: ['~/.ssh/web', '~/.ssh/id_all'], warnings: [] });
    assert.deepEqual(cfg(text, 'db1'), { port: 22, user: 'admin', identityFiles: ['~/.ssh/id_all'], warnings: [] });
  });

  it('keywords are case-insensitive; Key=Value, quotes and comments', function () {
    const text = `# comment\n\nHOST=a\n  hostname = 10.0.0.1 # trailing comment\n  IDENTITYFILE "/path with spaces/key"\n\tuser\tbob\n`;
    const r = cfg(text, 'a');
    assert.equal(r.hostName, '10.0.0.1');
    assert.equal(r.user, 'bob');
    assert.deepEqual(r.identityFiles, ['/path with spaces/key']);
  });

  it('wildcards ? and *, negation, comma and space separated lists', function () {
    assert.equal(matchPatternList('web1', ['web?']), true);
    assert.equal(matchPatternList('web10', ['web?']), false);
    assert.equal(matchPatternList('WEB10', ['web*']), true);
    assert.equal(matchPatternList('web3', ['web*', '!web3']), false);
    assert.equal(matchPatternList('db', ['web*,db']), true);
    assert.equal(matchPatternList('db', ['!web*']), false, 'a negation alone matches nothing');
    assert.equal(matchPatternList('a.b.example.com', ['*.example.com']), true);
    assert.equal(matchPatternList('example.com', ['*.example.com']), false);
  });

  it('StrictHostKeyChecking, UserKnownHostsFile, HashKnownHosts, IdentitiesOnly, bad values warn', function () {
    const r = cfg(`Host *\n StrictHostKeyChecking accept-new\n UserKnownHostsFile ~/a ~/b\n HashKnownHosts yes\n IdentitiesOnly yes\n Port none\n`, 'x');
    assert.equal(r.strictHostKeyChecking, 'accept-new');
    assert.deepEqual(r.userKnownHostsFiles, ['~/a', '~/b']);
    assert.equal(r.hashKnownHosts, true);
    assert.equal(r.identitiesOnly, true);
    assert.equal(r.port, undefined);
    assert.deepEqual(r.warnings, ['cfg:6: Port must be a number from 1 to 65535']);
    assert.equal(cfg('StrictHostKeyChecking no', 'x').strictHostKeyChecking, 'no');
  });

  it('Match host and Match all; unsupported Match criteria skip the block', function () {
    const text = `Match host web*\n User webuser\nMatch exec "true"\n Port 1\nMatch all\n Port 2\n`;
    const r = cfg(text, 'web1');
    assert.equal(r.user, 'webuser');
    assert.equal(r.port, 2);
    assert.equal(r.warnings.length, 1);
    assert.equal(cfg(text, 'db').user, undefined);
  });

  it('Include with a relative path and a wildcard, in order, scoped to the including block', async function () {
    const home = await mkdtemp(join(tmpdir(), 'kiln-cfg-'));
    try {
      await mkdir(join(home, '.ssh', 'config.d'), { recursive: true });
      await writeFile(join(home, '.ssh', 'config'), 'Include config.d/*.conf\nHost skip\n  Include never.conf\nHost *\n  User fallback\n');
      await writeFile(join(home, '.ssh', 'config.d', '10-a.conf'), 'Host a\n  Port 2001\n');
      await writeFile(join(home, '.ssh', 'config.d', '20-b.conf'), 'Host a b\n  Port 2002\n  User bee\n');
      await writeFile(join(home, '.ssh', 'config.d', 'ignored.txt'), 'Host *\n  Port 9\n');
      await writeFile(join(home, '.ssh', 'never.conf'), 'Port 7\n');
      const lines = loadSshConfig(join(home, '.ssh', 'config'), home);
      assert.deepEqual(resolveSshConfig(lines, 'a'), { port: 2001, user: 'bee', identityFiles: [], warnings: [] });
      assert.deepEqual(resolveSshConfig(lines, 'b'), { port: 2002, user: 'bee', identityFiles: [], warnings: [] });
      assert.deepEqual(resolveSshConfig(lines, 'c'), { user: 'fallback', identityFiles: [], warnings: [] });
      assert.deepEqual(loadSshConfig(join(home, 'missing')), []);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('expands ~ and % tokens', function () {
    const ctx = { home: '/home/me', host: 'h.example', originalHost: 'h', user: 'bob', port: 2222, localUser: 'me' };
    assert.equal(expandTokens('~/.ssh/%r@%h:%p', ctx), '/home/me/.ssh/bob@h.example:2222');
    assert.equal(expandTokens('%d/%u/%n/100%%', ctx), '/home/me/me/h/100%');
  });

  it('resolveTarget: inventory first, then ssh config, then defaults', async function () {
    const home = await mkdtemp(join(tmpdir(), 'kiln-cfg-'));
    try {
      await mkdir(join(home, '.ssh'));
      await writeFile(
        join(home, '.ssh', 'config'),
        'Host web\n HostName 10.1.1.1\n Port 2222\n User deploy\n IdentityFile ~/.ssh/deploy_%r\n StrictHostKeyChecking no\n ConnectTimeout 3\n',
      );
      const base: ConnectionSettings = { name: 'web', connection: 'ssh', host: 'web', port: 22, becomeMethod: 'sudo', hostKeyChecking: true, timeoutSec: 10, controlPersistSec: 0 };
      const t = resolveTarget(base, { homeDir: home, agent: false });
      assert.equal(t.address, '10.1.1.1');
      assert.equal(t.port, 2222);
      assert.equal(t.user, 'deploy');
      assert.deepEqual(t.identityFiles, [join(home, '.ssh', 'deploy_deploy')]);
      assert.equal(t.policy, 'accept-new', 'StrictHostKeyChecking no never means "accept a changed key"');
      assert.equal(t.timeoutSec, 3);
      assert.equal(resolveTarget({ ...base, timeoutSec: 5 }, { homeDir: home, agent: false }).timeoutSec, 5);
      assert.deepEqual(t.knownHostsFiles, [join(home, '.ssh', 'known_hosts'), join(home, '.ssh', 'known_hosts2')]);
      const inv = resolveTarget({ ...base, port: 2200, user: 'ops', privateKeyFile: '/k', hostKeyChecking: false }, { homeDir: home, agent: false });
      assert.deepEqual([inv.port, inv.user, inv.identityFiles[0], inv.policy], [2200, 'ops', '/k', 'off']);
      const none = resolveTarget({ ...base, host: 'db' }, { homeDir: home, agent: false, knownHostsFile: '/kh' });
      assert.deepEqual([none.address, none.port, none.policy, none.explicitIdentities], ['db', 22, 'strict', false]);
      assert.equal(none.knownHostsFiles[0], '/kh');
      assert.deepEqual(none.identityFiles, ['id_ed25519', 'id_ecdsa', 'id_rsa'].map((n) => join(home, '.ssh', n)));
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
