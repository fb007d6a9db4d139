// A bench-only OpenSSH sshd on 127.0.0.1, listening on several free ports (each port stands for
// one inventory host), its own host key, a client key and a known_hosts file.
// Smaller cousin of test/support/sshd.ts: root logs in with a key, nothing else.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { onCleanup } from './cleanup.mjs';
import { killTree, must } from './proc.mjs';

const SFTP_SERVER = '/usr/lib/openssh/sftp-server';

/** A port nothing listens on right now (bound once on 127.0.0.1, then released). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Start sshd in `dir` listening on `ports` loopback ports. Unless `realHome`, sessions get
 * HOME=<dir>/remote-home: root's ~/.bashrc is then not read for every SSH command, which would
 * add the cost of whatever it does (pyenv, ...) to every task of a tool that opens one command
 * per task, and tell more about this machine than about the engines.
 * Returns { ports, clientKey, knownHosts, remoteHome, pids, stop() }; stop() is also a cleanup step.
 */
export async function startSshd(dir, { ports: count = 1, realHome = false } = {}) {
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation dir
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  const clientKey = join(dir, 'id_ed25519');
  await must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kiln-bench-host', '-f', hostKey]);
  await must('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kiln-bench', '-f', clientKey]);
  const authorized = join(dir, 'authorized_keys');
  await writeFile(authorized, await readFile(`${clientKey}.pub`, 'utf8'), { mode: 0o644 });
  const [type, base64] = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(' ');
  const remoteHome = join(dir, 'remote-home');
  mkdirSync(remoteHome, { recursive: true, mode: 0o700 });

  // sshd listens on at most 16 sockets (MAX_LISTEN_SOCKS): bigger fleets get more processes.
  const servers = [];
  const stopAll = async () => {
    for (const s of servers) await s.stop();
  };
  try {
    for (let i = 0; i < count; i += PORTS_PER_PROCESS) {
      servers.push(await startOne(dir, servers.length, Math.min(PORTS_PER_PROCESS, count - i), { hostKey, authorized, remoteHome, realHome }));
    }
  } catch (e) {
    await stopAll();
    throw e;
  }
  const ports = servers.flatMap((s) => s.ports);
  const knownHosts = join(dir, 'known_hosts');
  await writeFile(knownHosts, ports.map((p) => `[127.0.0.1]:${p} ${type} ${base64}\n`).join(''), { mode: 0o600 });
  return { ports, clientKey, knownHosts, remoteHome, pids: servers.map((s) => s.pid), log: () => servers.map((s) => s.log()).join(''), stop: stopAll };
}

const PORTS_PER_PROCESS = 10;

async function startOne(dir, index, count, { hostKey, authorized, remoteHome, realHome }) {
  for (let attempt = 0; ; attempt++) {
    const ports = [];
    while (ports.length < count) {
      const p = await freePort();
      if (!ports.includes(p)) ports.push(p);
    }
    const config = join(dir, `sshd_config.${index}`);
    await writeFile(
      config,
      [
        ...(realHome ? [] : [`SetEnv HOME=${remoteHome}`]),
        ...ports.map((p) => `Port ${p}`),
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        'PidFile none',
        `AuthorizedKeysFile ${authorized}`,
        'StrictModes no',
        'PermitRootLogin prohibit-password',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no', // PAM's session modules want systemd/audit; nothing here needs them
        'UseDNS no',
        'PrintMotd no',
        'PrintLastLog no',
        'X11Forwarding no',
        `Subsystem sftp ${SFTP_SERVER}`, // as on any Debian host: Ansible transfers files with it
        'MaxStartups 200:30:400', // 20 hosts x forks connecting at once
        'MaxSessions 200',
        'LogLevel INFO',
        '',
      ].join('\n'),
    );
    const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr.on('data', (c) => {
      if (log.length < 200_000) log += c.toString('utf8');
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const undo = onCleanup(() => stop());
    let stopped = false;
    async function stop() {
      if (stopped) return;
      stopped = true;
      undo();
      killTree(child.pid);
      await exited;
    }
    const up = await waitListening(child, () => log, ports);
    if (up === 'ok') return { ports, pid: child.pid, log: () => log, stop };
    await stop();
    if (up === 'in-use' && attempt < 5) continue; // another process took a port meanwhile
    throw new Error(`sshd did not start: ${log.trim()}`);
  }
}

function waitListening(child, log, ports) {
  return new Promise((resolve) => {
    const started = Date.now();
    const timer = setInterval(() => {
      const text = log();
      if (ports.every((p) => text.includes(`Server listening on 127.0.0.1 port ${p}.`))) finish('ok');
      else if (/Address already in use/.test(text)) finish('in-use');
      else if (child.exitCode !== null || child.signalCode !== null || Date.now() - started > 15_000) finish('failed');
    }, 10);
    const finish = (v) => {
      clearInterval(timer);
      resolve(v);
    };
  });
}
