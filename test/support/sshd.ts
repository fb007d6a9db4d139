// Test fixture: a real OpenSSH sshd on a free loopback port, in a temp dir with its own host key,
// client keys (plain and passphrase-protected) and known_hosts; plus the test users kiln-nopw
// (passwordless sudo) and kiln-pw (sudo with a password). Everything it starts, stop() ends.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Test data: the fixture's users and their passwords (never real credentials). */
export const TEST_USERS = {
  /** sudo NOPASSWD. */
  nopw: { name: 'kiln-nopw', password: 'kiln-nopw-login-7Qx' },
  /** sudo asks for this password. Spaces and quotes on purpose. */
  pw: { name: 'kiln-pw', password: `pw for 'kiln' "sudo" 9Zr` },
} as const;

export interface SshdFixture {
  host: '127.0.0.1';
  port: number;
  /** The temp dir holding keys, config and known_hosts; removed by stop(). */
  dir: string;
  /** Unencrypted ed25519 client key (authorized for root and the test users). */
  clientKey: string;
  /** The same kind of key, encrypted with `passphrase`. */
  encryptedKey: string;
  passphrase: string;
  /** A known_hosts file that holds this server's host key under `[127.0.0.1]:port`. */
  knownHosts: string;
  /** The server's public host key. */
  hostKey: { type: string; base64: string; fingerprint: string };
  /** sshd's listener PID. */
  pid: number;
  /** sshd's stderr so far (LogLevel VERBOSE), for failure messages. */
  log(): string;
  /** Kill sshd and every session process under it, then remove the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Kill sshd and its session processes abruptly (connections drop); the temp dir stays until stop(). */
  kill(): Promise<void>;
}

export interface RunOutput {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a program (no shell) and collect its output; never rejects for a non-zero exit. */
export function runProgram(cmd: string, args: readonly string[], input?: string): Promise<RunOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

async function must(cmd: string, args: readonly string[], input?: string): Promise<string> {
  const r = await runProgram(cmd, args, input);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** Generate a key pair at `path` (and `path.pub`); ed25519 unless told otherwise. */
export async function generateKey(path: string, passphrase = '', comment = 'kiln-test', type: 'ed25519' | 'ecdsa' | 'rsa' = 'ed25519'): Promise<void> {
  await must('ssh-keygen', ['-q', '-t', type, '-N', passphrase, '-C', comment, '-f', path]);
}

/** The fingerprint ssh-keygen reports for a public key file (an independent check on kiln's). */
export async function keygenFingerprint(pubFile: string): Promise<string> {
  const out = await must('ssh-keygen', ['-l', '-E', 'sha256', '-f', pubFile]);
  const fp = out.split(' ')[1];
  if (!fp?.startsWith('SHA256:')) throw new Error(`unexpected ssh-keygen -l output: ${out}`);
  return fp;
}

/** A port nothing listens on right now (bound once on 127.0.0.1, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const SUDOERS = '/etc/sudoers.d/kiln-test-users';
const SUDOERS_TEXT = `# Test users of kiln's SSH tests (test/support/sshd.ts). Safe to delete.
Defaults:${TEST_USERS.pw.name} timestamp_timeout=0
${TEST_USERS.nopw.name} ALL=(ALL:ALL) NOPASSWD: ALL
${TEST_USERS.pw.name} ALL=(ALL:ALL) ALL
`;

let usersReady: Promise<void> | undefined;

/** Create the test users and their sudoers drop-in if needed (idempotent; safe across processes). */
export function ensureTestUsers(): Promise<void> {
  usersReady ??= (async () => {
    for (const u of Object.values(TEST_USERS)) {
      await ensureUser(u.name);
      await retry(() => must('chpasswd', [], `${u.name}:${u.password}\n`));
    }
    let current = '';
    try {
      current = await readFile(SUDOERS, 'utf8');
    } catch {
      // not there yet
    }
    if (current !== SUDOERS_TEXT) {
      // A dotted name is ignored by sudo's includedir until it is validated and renamed.
      const tmp = `/etc/sudoers.d/.kiln-test-users.${process.pid}`;
      await writeFile(tmp, SUDOERS_TEXT, { mode: 0o440 });
      try {
        await chmod(tmp, 0o440);
        await must('visudo', ['-cf', tmp]);
        await rename(tmp, SUDOERS);
      } finally {
        await rm(tmp, { force: true });
      }
    }
  })();
  usersReady.catch(() => (usersReady = undefined));
  return usersReady;
}

async function ensureUser(name: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    if ((await runProgram('getent', ['passwd', name])).code === 0) return;
    const r = await runProgram('useradd', ['--create-home', '--shell', '/bin/sh', '--user-group', name]);
    if (r.code === 0 || r.code === 9 /* exists: another process won the race */) return;
    if (attempt >= 10) throw new Error(`useradd ${name} failed (${r.code}): ${r.stderr.trim()}`);
    await sleep(100 + 100 * attempt); // /etc/passwd was locked by a concurrent useradd
  }
}

async function retry<T>(f: () => Promise<T>, times = 10): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await f();
    } catch (e) {
      if (i >= times) throw e;
      await sleep(100 + 100 * i);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** PIDs of every live descendant of `pid` (from /proc), children before grandchildren. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid ..." — comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift() as number;
    for (const c of children.get(p) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

function killTree(pid: number): void {
  // Collect first: once the listener dies its children are re-parented and the tree is lost.
  const all = [pid, ...descendants(pid)];
  for (const p of all) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

// Last resort if a test run is interrupted before its after() hooks: no sshd outlives the tests.
const live = new Map<number, string>();
process.once('exit', () => {
  for (const [pid, dir] of live) {
    try {
      killTree(pid);
    } catch {
      // best effort
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

export interface StartOptions {
  /** Extra sshd_config lines; they come first, so they override the fixture's defaults. */
  config?: readonly string[];
}

/** Start a fresh sshd (own host key, own port). Call stop() in an after() hook. */
export async function startSshd(opts: StartOptions = {}): Promise<SshdFixture> {
  await ensureTestUsers();
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege separation dir
  const dir = await mkdtemp(join(tmpdir(), 'kiln-sshd-'));
  try {
    // sshd reads AuthorizedKeysFile as the user logging in: the dir must be traversable.
    await chmod(dir, 0o755);
    const hostKeyFile = join(dir, 'ssh_host_ed25519_key');
    const clientKey = join(dir, 'id_ed25519');
    const encryptedKey = join(dir, 'id_ed25519_enc');
    const passphrase = 'correct horse $(battery) staple';
    await Promise.all([
      generateKey(hostKeyFile, '', 'kiln-test-host'),
      generateKey(clientKey),
      generateKey(encryptedKey, passphrase, 'kiln-test-encrypted'),
    ]);
    // root's sessions get a HOME of their own: Debian's bash reads ~/.bashrc for every SSH command,
    // and a machine's own (pyenv init here: 140-300 ms, and a lock that a session killed half-way
    // leaves behind, stalling every later bash for 60 s) would tell about the machine, not kiln.
    const rootHome = join(dir, 'root-home');
    await mkdir(rootHome, { mode: 0o700 });
    await writeFile(join(rootHome, '.bashrc'), '');
    const authorized = join(dir, 'authorized_keys');
    await writeFile(authorized, (await readFile(`${clientKey}.pub`, 'utf8')) + (await readFile(`${encryptedKey}.pub`, 'utf8')), { mode: 0o644 });
    const [type, base64] = (await readFile(`${hostKeyFile}.pub`, 'utf8')).trim().split(' ') as [string, string];
    const fingerprint = await keygenFingerprint(`${hostKeyFile}.pub`);

    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      const configFile = join(dir, 'sshd_config');
      await writeFile(
        configFile,
        [
          ...(opts.config ?? []), // first: sshd keeps the first value it reads for a keyword
          `Port ${port}`,
          'ListenAddress 127.0.0.1',
          `HostKey ${hostKeyFile}`,
          'PidFile none',
          `AuthorizedKeysFile ${authorized}`,
          'StrictModes no',
          'PermitRootLogin prohibit-password',
          'PubkeyAuthentication yes',
          'PasswordAuthentication yes',
          'KbdInteractiveAuthentication no',
          // Without PAM sshd checks passwords against /etc/shadow itself; PAM's session modules
          // (pam_loginuid) fail without systemd/audit, and nothing here needs them.
          'UsePAM no',
          'UseDNS no',
          'PrintMotd no',
          'PrintLastLog no',
          'X11Forwarding no',
          'AllowTcpForwarding no',
          'MaxStartups 100:30:200',
          'MaxSessions 100',
          'MaxAuthTries 10',
          'LoginGraceTime 30',
          'LogLevel VERBOSE',
          'Match User root',
          `  SetEnv HOME=${rootHome}`,
          '',
        ].join('\n'),
      );
      const knownHosts = join(dir, 'known_hosts');
      await writeFile(knownHosts, `[127.0.0.1]:${port} ${type} ${base64}\n`, { mode: 0o600 });

      const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
      let log = '';
      child.stderr?.on('data', (c: Buffer) => {
        if (log.length < 1_000_000) log += c.toString('utf8');
      });
      const exited = new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once('exit', () => resolve());
      });
      const pid = child.pid;
      if (pid === undefined) throw new Error('sshd did not start');
      live.set(pid, dir);
      const up = await waitListening(child, () => log, port);
      if (up !== 'ok') {
        killTree(pid);
        await exited;
        live.delete(pid);
        if (up === 'in-use' && attempt < 5) continue; // another process took the port meanwhile
        throw new Error(`sshd did not start: ${log.trim()}`);
      }

      let killed = false;
      const kill = async (): Promise<void> => {
        if (!killed) {
          killed = true;
          killTree(pid);
        } else {
          // sessions started after the first kill would be orphans: sweep again
          for (const p of descendants(pid)) {
            try {
              process.kill(p, 'SIGKILL');
            } catch {
              // gone
            }
          }
        }
        await exited;
      };
      let stopped = false;
      return {
        host: '127.0.0.1',
        port,
        dir,
        clientKey,
        encryptedKey,
        passphrase,
        knownHosts,
        hostKey: { type, base64, fingerprint },
        pid,
        log: () => log,
        kill,
        stop: async () => {
          await kill();
          if (stopped) return;
          stopped = true;
          live.delete(pid);
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

function waitListening(child: ChildProcess, log: () => string, port: number): Promise<'ok' | 'in-use' | 'failed'> {
  return new Promise((resolve) => {
    const started = Date.now();
    const timer = setInterval(() => {
      const text = log();
      if (text.includes(`Server listening on 127.0.0.1 port ${port}.`)) finish('ok');
      else if (/Address already in use/.test(text)) finish('in-use');
      else if (child.exitCode !== null || child.signalCode !== null || Date.now() - started > 10_000) finish('failed');
    }, 10);
    const finish = (v: 'ok' | 'in-use' | 'failed'): void => {
      clearInterval(timer);
      resolve(v);
    };
  });
}
