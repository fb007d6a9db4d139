// One set of contract tests, run against the local connection and the SSH connection (a real sshd).
import { strict as assert } from 'node:assert';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { ConnectionError } from '../../../src/engine/errors.js';
import type { ConnectionSettings } from '../../../src/engine/inventory/connection_vars.js';
import { localConnection } from '../../../src/engine/connection/local.js';
import { BecomeError } from '../../../src/engine/connection/session.js';
import { PutError } from '../../../src/engine/connection/shell_connection.js';
import { sshConnection } from '../../../src/engine/connection/ssh.js';
import type { SshOptions } from '../../../src/engine/connection/ssh_target.js';
import type { Connection } from '../../../src/engine/connection/types.js';
import { runProgram, type SshdFixture, startSshd, TEST_USERS } from '../../support/sshd.js';

const NOPW = TEST_USERS.nopw.name;

function uidOf(user: string): Promise<number> {
  return runProgram('id', ['-u', user]).then((r) => Number(r.stdout.trim()));
}

/** The contract every transport fulfils. `makeConn` logs in as root. */
function contractSuite(name: string, makeConn: () => Promise<Connection>): void {
  describe(`connection contract: ${name}`, function () {
    let conn: Connection;
    let dir: string;

    before(async function () {
      dir = await mkdtemp(join(tmpdir(), 'kiln contract '));
      await chmod(dir, 0o777); // the become tests write here as kiln-nopw
      conn = await makeConn();
    });

    after(async function () {
      await conn?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('passes argv verbatim: spaces, quotes, $(), backticks, newlines, globs, unicode, empty', async function () {
      const sentinel = join(dir, 'pwned');
      const args = [
        'a b',
        "it's",
        '"double"',
        `$(touch ${sentinel})`,
        `\`touch ${sentinel}\``,
        'line1\nline2\n',
        'ünïcødé ✓ 日本語 🚀',
        '',
        '*',
        '$HOME',
        'back\\slash',
        '; rm -rf x | y && z',
        '-n',
        '--',
        'tab\there',
        "'",
        '%s %d',
      ];
      const r = await conn.run([process.execPath, '-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', ...args]);
      assert.equal(r.rc, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), args);
      assert.equal(existsSync(sentinel), false, 'a $() or backtick argument was executed');
    });

    it('feeds stdin byte for byte (NUL bytes, every byte value, no trailing newline)', async function () {
      const data = Buffer.concat([Buffer.from([0, 0, 10, 0]), randomBytes(70_000), Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from([0])]);
      const r = await conn.run(['sha256sum'], { stdin: data });
      assert.equal(r.rc, 0, r.stderr);
      assert.equal(r.stdout.split(' ')[0], createHash('sha256').update(data).digest('hex'));
      const wc = await conn.run(['wc', '-c'], { stdin: data });
      assert.equal(Number(wc.stdout.trim()), data.length);
      const text = await conn.run(['cat'], { stdin: 'no newline at the end ✓' });
      assert.equal(text.stdout, 'no newline at the end ✓');
      const none = await conn.run(['cat']);
      assert.equal(none.stdout, '', 'without stdin a command reads end-of-file');
    });

    it('sets env for one command only, and runs in cwd', async function () {
      const value = `a b 'c' "d" $(echo no) \\ ✓`;
      const r = await conn.run(['sh', '-c', 'printf %s "$KILN_T"'], { env: { KILN_T: value } });
      assert.equal(r.stdout, value);
      const after = await conn.run(['sh', '-c', 'printf %s "${KILN_T-unset}"']);
      assert.equal(after.stdout, 'unset');
      const cwd = await conn.run(['pwd'], { cwd: dir });
      assert.equal(cwd.stdout, `${dir}\n`);
      const missing = await conn.run(['pwd'], { cwd: join(dir, 'no such dir') });
      assert.notEqual(missing.rc, 0);
      await assert.rejects(conn.run(['true'], { env: { 'BAD NAME': 'x' } }), /invalid environment variable name/);
    });

    it('returns rc != 0 without throwing, stderr apart from stdout', async function () {
      const r = await conn.run(['sh', '-c', 'printf out; printf err >&2; exit 7']);
      assert.deepEqual({ rc: r.rc, stdout: r.stdout, stderr: r.stderr }, { rc: 7, stdout: 'out', stderr: 'err' });
      const lines = await conn.run(['sh', '-c', 'echo one; echo two >&2; echo three']);
      assert.equal(lines.stdout, 'one\nthree\n');
      assert.equal(lines.stderr, 'two\n');
      const notFound = await conn.run(['kiln-no-such-program-xyz']);
      assert.equal(notFound.rc, 127);
    });

    it('kills a command that outlives its timeout: rc 124 and timedOut, and the session goes on', async function () {
      const t0 = Date.now();
      const r = await conn.run(['sleep', '30'], { timeoutSec: 1 });
      assert.equal(r.rc, 124);
      assert.equal(r.timedOut, true);
      assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
      const fast = await conn.run(['echo', 'ok'], { timeoutSec: 5 });
      assert.deepEqual([fast.rc, fast.stdout, fast.timedOut], [0, 'ok\n', undefined]);
    });

    it('puts a file atomically with mode and owner', async function () {
      const path = join(dir, "conf 'x' $(y).txt");
      await writeFile(path, 'old\n');
      const before = await stat(path);
      await conn.put('new ✓\n', path, { mode: '0640', owner: NOPW, group: NOPW });
      const st = await stat(path);
      assert.equal(await readFile(path, 'utf8'), 'new ✓\n');
      assert.equal(st.mode & 0o7777, 0o640);
      assert.equal(st.uid, await uidOf(NOPW));
      assert.notEqual(st.ino, before.ino, 'the file was rewritten in place, not renamed over');
      assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('.kiln')), []);
    });

    it('put with a failing validate leaves the old file and no temp file', async function () {
      const path = join(dir, 'validated.conf');
      await writeFile(path, 'old\n', { mode: 0o600 });
      await assert.rejects(conn.put('broken\n', path, { validate: ['grep', '-q', 'good', '%s'] }), (e: unknown) => {
        assert.ok(e instanceof PutError, String(e));
        assert.match(e.message, /validation failed/);
        return true;
      });
      assert.equal(await readFile(path, 'utf8'), 'old\n');
      assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('.kiln')), []);
      await conn.put('good\n', path, { validate: ['grep', '-q', 'good', '%s'] });
      assert.equal(await readFile(path, 'utf8'), 'good\n');
      assert.equal((await stat(path)).mode & 0o777, 0o600, 'the mode of the replaced file is kept');
    });

    it('keeps a backup of the replaced file when asked', async function () {
      const path = join(dir, 'backed-up.txt');
      await conn.put('v1\n', path);
      const first = await conn.put('v2\n', path, { backup: true });
      assert.ok(first.backupPath, 'a backup path is returned');
      assert.ok(first.backupPath.startsWith(`${path}.`) && first.backupPath.endsWith('~'), first.backupPath);
      assert.equal(await readFile(first.backupPath, 'utf8'), 'v1\n');
      assert.equal(await readFile(path, 'utf8'), 'v2\n');
      const fresh = await conn.put('x', join(dir, 'fresh.txt'), { backup: true });
      assert.equal(fresh.backupPath, undefined, 'nothing to back up for a new file');
    });

    it('gets binary content, and null for a missing file', async function () {
      const data = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(50_000), Buffer.from('\n\0')]);
      const path = join(dir, 'binary.bin');
      await writeFile(path, data);
      const got = await conn.get(path);
      assert.ok(got && got.equals(data), 'get returns the same bytes');
      assert.equal(await conn.get(join(dir, 'missing')), null);
      await conn.put(data, join(dir, 'binary2.bin'));
      assert.ok((await readFile(join(dir, 'binary2.bin'))).equals(data), 'put writes the same bytes');
    });

    it('runs 200 sequential commands quickly (no per-command Nagle delay)', async function () {
      const t0 = Date.now();
      for (let i = 0; i < 200; i++) {
        const r = await conn.run(['echo', String(i)]);
        assert.equal(r.stdout, `${i}\n`);
      }
      const ms = Date.now() - t0;
      assert.ok(ms < 3000, `200 commands took ${ms} ms`);
    });

    it('keeps the outputs of concurrent calls apart', async function () {
      const payloads = Array.from({ length: 40 }, (_, i) => `${i}:`.padEnd(i % 5 === 0 ? 100_000 : 10 + i, String.fromCharCode(97 + (i % 26))));
      const results = await Promise.all(
        payloads.map((p, i) =>
          i % 2 === 0
            ? conn.run(['sh', '-c', 'printf %s "$1"; printf %s "$1" | rev >&2', 'sh', p])
            : conn.run(['sh', '-c', 'cat; printf E%s "$0" >&2'], { stdin: p }),
        ),
      );
      results.forEach((r, i) => {
        const p = payloads[i] as string;
        assert.equal(r.stdout, p, `stdout of call ${i}`);
        assert.equal(r.stderr, i % 2 === 0 ? [...p].reverse().join('') : 'Esh', `stderr of call ${i}`);
      });
    });

    // Fails until ShellConnection.session() reopens a dead session once (see the SSH transport report).
    it('reopens a dead session once, even when calls arrive together', async function () {
      const killed = await conn.run(['sh', '-c', 'kill -9 $PPID']).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(killed instanceof ConnectionError && /connection lost/.test(killed.message), `the session shell was killed: ${String(killed)}`);
      const rs = await Promise.all(Array.from({ length: 5 }, () => conn.run(['sh', '-c', 'echo $PPID'])));
      const shells = [...new Set(rs.map((r) => Number(r.stdout.trim())))];
      try {
        assert.equal(shells.length, 1, `${shells.length} shells were started for one session (all but one leak)`);
      } finally {
        // Leaked shells are in no map and would outlive the test: end them all; the next call reopens.
        for (const pid of shells) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal((await conn.run(['echo', 'back'])).stdout, 'back\n');
    });

    it(`becomes another user (root -> ${NOPW}) for run, put and get`, async function () {
      const who = await conn.run(['id', '-un'], { becomeUser: NOPW });
      assert.equal(who.stdout, `${NOPW}\n`);
      const me = await conn.run(['id', '-un']);
      assert.equal(me.stdout, `root\n`);
      const env = await conn.run(['sh', '-c', 'printf %s:%s "$X" "$(cat)"'], { becomeUser: NOPW, env: { X: 'y z' }, stdin: 'in' });
      assert.equal(env.stdout, 'y z:in');
      const path = join(dir, 'owned-by-nopw.txt');
      await conn.put('mine\n', path, { becomeUser: NOPW, mode: '0600' });
      assert.equal((await stat(path)).uid, await uidOf(NOPW));
      assert.equal((await conn.get(path, { becomeUser: NOPW }))?.toString(), 'mine\n');
      const denied = await conn.run(['cat', '/etc/shadow'], { becomeUser: NOPW });
      assert.notEqual(denied.rc, 0, 'the become session really runs without root rights');
    });
  });
}

function sshSettings(f: SshdFixture, over: Partial<ConnectionSettings>): ConnectionSettings {
  return { name: 'sshd-fixture', connection: 'ssh', host: f.host, port: f.port, becomeMethod: 'sudo', hostKeyChecking: true, timeoutSec: 10, controlPersistSec: 0, ...over };
}

function sshOptions(f: SshdFixture): SshOptions {
  return { homeDir: f.dir, sshConfigFile: false, knownHostsFile: f.knownHosts, agent: false, globalKnownHostsFiles: [] };
}

describe('connections', function () {
  let sshd: SshdFixture | undefined;
  let starting: Promise<SshdFixture> | undefined;
  const fixture = (): Promise<SshdFixture> => {
    starting ??= startSshd().then((f) => (sshd = f));
    return starting;
  };

  after(async function () {
    await starting?.catch(() => undefined);
    await sshd?.stop();
  });

  it('runs as root (the become and owner tests need it)', function () {
    assert.equal(userInfo().uid, 0);
  });

  contractSuite('local', async () => localConnection());
  contractSuite('ssh', async () => {
    const f = await fixture();
    return sshConnection(sshSettings(f, { user: 'root', privateKeyFile: f.clientKey }), sshOptions(f));
  });

  describe(`ssh: log in as ${TEST_USERS.pw.name}, become root with the sudo password`, function () {
    const password = TEST_USERS.pw.password;
    const opened: Connection[] = [];
    const open = async (over: Partial<ConnectionSettings>): Promise<Connection> => {
      const f = await fixture();
      const c = await sshConnection(sshSettings(f, { user: TEST_USERS.pw.name, ...over }), sshOptions(f));
      opened.push(c);
      return c;
    };
    after(async function () {
      for (const c of opened) await c.close();
    });

    it('logs in with the password and becomes root with the right sudo password', async function () {
      const c = await open({ password, becomePassword: password });
      assert.equal((await c.run(['id', '-un'])).stdout, `${TEST_USERS.pw.name}\n`);
      const root = await c.run(['id', '-u'], { becomeUser: 'root' });
      assert.equal(root.stdout, '0\n');
      const f = await fixture();
      await c.put('root file\n', join(f.dir, 'by-sudo.txt'), { becomeUser: 'root', mode: '0600' });
      const st = await stat(join(f.dir, 'by-sudo.txt'));
      assert.equal(st.uid, 0);
    });

    it('logs in with a key; a wrong sudo password fails clearly and never shows the password', async function () {
      const f = await fixture();
      const wrong = `${password} but wrong`;
      const c = await open({ privateKeyFile: f.clientKey, becomePassword: wrong });
      let err: unknown;
      try {
        await c.run(['id', '-u'], { becomeUser: 'root' });
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof BecomeError, `expected a BecomeError, got ${String(err)}`);
      assert.match(err.message, /incorrect become password/);
      assert.ok(!err.message.includes(wrong) && !err.message.includes(password), 'the message shows the password');
      assert.ok(!String(err.stack).includes(wrong), 'the stack shows the password');
      // The login session is not harmed.
      assert.equal((await c.run(['id', '-un'])).stdout, `${TEST_USERS.pw.name}\n`);
    });

    it('without a sudo password, says which variable to set', async function () {
      const f = await fixture();
      const c = await open({ privateKeyFile: f.clientKey });
      await assert.rejects(c.run(['true'], { becomeUser: 'root' }), (e: unknown) => e instanceof BecomeError && /kiln_become_password/.test(e.message));
    });

    it('never puts the password in any process argv (ps) while a become session is open', async function () {
      const c = await open({ password, becomePassword: password });
      assert.equal((await c.run(['id', '-u'], { becomeUser: 'root' })).stdout, '0\n');
      const busy = c.run(['sleep', '2'], { becomeUser: 'root' });
      await new Promise((r) => setTimeout(r, 300));
      const ps = await runProgram('ps', ['-eo', 'pid,user,args', '--no-headers']);
      await busy;
      assert.equal(ps.code, 0, ps.stderr);
      assert.match(ps.stdout, /sudo -S -H -p \S+ -u root/, 'the become session shows in ps (else this test proves nothing)');
      assert.match(ps.stdout, /sleep 2/);
      for (const piece of [password, ...password.split(' ').filter((w) => w.length >= 6)]) {
        assert.ok(!ps.stdout.includes(piece), `ps shows ${JSON.stringify(piece)}`);
      }
    });

    it('a login that fails says so with ConnectionError and never shows the password', async function () {
      const bad = 'not-the-password-42';
      await assert.rejects(open({ password: bad }), (e: unknown) => {
        assert.ok(e instanceof ConnectionError, String(e));
        assert.match(e.message, /authentication failed/);
        assert.ok(!e.message.includes(bad));
        return true;
      });
    });
  });
});
