// Disposable "fresh Debian 12" test hosts: startHost() boots one (systemd or tini as PID 1) on
// an overlay of the cached image, in its own namespaces and cgroup, reachable over SSH at its
// own address; stop() removes every trace of it. See README.md beside this file.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { makeCgroup, spawnInCgroup } from './cgroup.js';
import { Cleanup } from './cleanup.js';
import { ensureImage, type Image } from './image.js';
import { acquireNetwork, type Network, releaseNetwork, releaseNetworkSync } from './network.js';
import { mustRun, runProgram, sleep } from './proc.js';

export type Flavour = 'systemd' | 'tini';

export interface HostOptions {
  /** Host name: also its hostname and part of its netns name. Lower case, digits, dashes. */
  name: string;
  /** What runs as PID 1: systemd (services as units), or tini (SysV `service` only). */
  flavour: Flavour;
  /** How long to wait for sshd after the start (default 60 s). */
  bootTimeoutMs?: number;
}

export interface ExecOptions {
  input?: string | Buffer;
  env?: Readonly<Record<string, string>>;
  timeoutMs?: number;
}

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface TestHost {
  readonly name: string;
  readonly flavour: Flavour;
  /** Its address on the run's bridge, reachable from the machine and the run's other hosts. */
  readonly ip: string;
  readonly sshPort: 22;
  readonly user: 'root';
  /** Private key (ed25519, per run) authorized for root on every host of the run. */
  readonly keyFile: string;
  /** `IP ssh-ed25519 KEY`: the host's key, for a known_hosts file (made per host at start). */
  readonly knownHostsLine: string;
  /** The host's network namespace (`ip netns exec` works with it). */
  readonly netns: string;
  /** The machine-side end of its veth pair, and the run's bridge it is on. */
  readonly veth: string;
  readonly bridge: string;
  /** Its temp dir (overlay upper and work dirs, boot log). */
  readonly dir: string;
  /** PID of the host's init (systemd or tini) as the machine sees it. */
  readonly pid: number;
  /** The host's cgroup on the machine: every process of the host is in it. */
  readonly cgroup: string;
  /** Seconds from launching init to the SSH banner. */
  readonly bootSeconds: number;
  /** Run argv inside the host (all its namespaces, root, clean env), for test assertions. */
  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Kill everything in it, delete its veth and netns, remove its files. Idempotent. */
  stop(): Promise<void>;
}

const HOST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Runs as PID 1 of the host's new PID namespace (in its net, mount, UTS, IPC and cgroup
 * namespaces): builds the root filesystem, pivots into it, and becomes the host's init.
 */
const BOOT_SCRIPT = `#!/bin/sh
set -eu
image=$1 dir=$2 name=$3 flavour=$4
root=$dir/root
mount -t overlay overlay -o "lowerdir=$image,upperdir=$dir/upper,workdir=$dir/work" "$root"
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
# Kernel settings are the machine's (systemd-sysctl would apply Debian's to it at every boot),
# except those of the host's own network namespace.
mount --bind "$root/proc/sys" "$root/proc/sys"
mount --bind "$root/proc/sys/net" "$root/proc/sys/net"
mount -o remount,bind,ro "$root/proc/sys"
if [ -e "$root/proc/sysrq-trigger" ]; then
  mount --bind "$root/proc/sysrq-trigger" "$root/proc/sysrq-trigger"
  mount -o remount,bind,ro "$root/proc/sysrq-trigger"
fi
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys"
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs "$root/run"
# Its own /dev: without one, systemd mounts the machine's devtmpfs (every disk) and starts gettys.
mount -t tmpfs -o mode=755,nosuid,size=16m tmpfs "$root/dev"
for d in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
  n=\${d%%:*} mm=\${d#*:}
  mknod -m 666 "$root/dev/$n" c "\${mm%:*}" "\${mm#*:}"
done
mkdir -m 755 "$root/dev/pts"
mkdir -m 1777 "$root/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5,nosuid,noexec devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
echo "$name" > /proc/sys/kernel/hostname
cd "$root"
mkdir .kiln-oldroot
pivot_root . .kiln-oldroot
cd /
umount -l /.kiln-oldroot
rmdir /.kiln-oldroot
# No capability that reaches the machine's clock, kernel modules, raw I/O or kernel log.
drop=-sys_module,-sys_time,-sys_rawio,-syslog,-wake_alarm,-block_suspend,-mac_admin,-mac_override
case $flavour in
  # Unified cgroups only: on a hybrid machine systemd would otherwise write into the machine's
  # v1 hierarchies (their roots are shared by every host). In a container systemd takes
  # kernel command line options from its own arguments.
  systemd) exec setpriv --bounding-set "$drop" -- env -i container=kiln PATH=${HOST_PATH} /lib/systemd/systemd systemd.unified_cgroup_hierarchy=1 ;;
  tini) exec setpriv --bounding-set "$drop" -- env -i PATH=${HOST_PATH} LANG=C.UTF-8 /usr/bin/tini -- /usr/local/sbin/kiln-tini-init ;;
esac
echo "unknown flavour $flavour" >&2
exit 1
`;

interface Live {
  name: string;
  cleanup: Cleanup;
  stopped: boolean;
}

const live = new Map<string, Live>();
let clientKey: { net: Network; file: Promise<string> } | undefined;

/**
 * Boot a fresh Debian 12 host and wait until its sshd answers. Builds the image first if needed
 * (about a minute, once per machine). If this throws, everything it made is gone again.
 */
export async function startHost(opts: HostOptions): Promise<TestHost> {
  const { name, flavour } = opts;
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(name)) throw new Error(`startHost: name must be 1-20 of a-z, 0-9 and -, starting with a letter (got ${JSON.stringify(name)})`);
  if (flavour !== 'systemd' && flavour !== 'tini') throw new Error(`startHost: flavour must be systemd or tini (got ${JSON.stringify(flavour)})`);
  if (live.has(name)) throw new Error(`startHost: a host named "${name}" is already running in this process`);
  installExitHook();
  const image = await ensureImage();
  const net = await acquireNetwork();
  const cleanup = new Cleanup();
  const entry: Live = { name, cleanup, stopped: false };
  live.set(name, entry);
  try {
    return await boot(opts, image, net, cleanup, entry);
  } catch (e) {
    entry.stopped = true;
    live.delete(name);
    await cleanup.run().catch(() => undefined);
    await releaseNetwork();
    throw e;
  }
}

async function boot(opts: HostOptions, image: Image, net: Network, cleanup: Cleanup, entry: Live): Promise<TestHost> {
  const { name, flavour } = opts;
  const dir = join(net.runDir, 'hosts', name);
  await mkdir(join(dir, 'upper'), { recursive: true });
  await mkdir(join(dir, 'work'));
  await mkdir(join(dir, 'root'));
  cleanup.push({ kind: 'remove', path: dir });
  const bootScript = join(net.runDir, 'boot.sh');
  if (!existsSync(bootScript)) await writeFile(bootScript, BOOT_SCRIPT, { mode: 0o755 });

  const link = await net.addHost(name, cleanup);
  const keyFile = await runClientKey(net);
  const hostKey = await seedUpper(join(dir, 'upper'), image.dir, { name, ip: link.ip, proxyUrl: net.proxyUrl, authorizedKey: await readFile(`${keyFile}.pub`, 'utf8') });

  const cgroup = join(net.cgroup, `host-${name}`);
  makeCgroup(join(cgroup, 'init'));
  makeCgroup(join(cgroup, 'exec'));
  cleanup.push({ kind: 'cgroup', path: cgroup });

  const t0 = Date.now();
  const log = join(dir, 'boot.log');
  const child = spawnInCgroup(
    join(cgroup, 'init'),
    [
      'nsenter',
      `--net=/run/netns/${link.netns}`,
      'unshare',
      '--fork',
      '--pid',
      '--mount',
      '--uts',
      '--ipc',
      '--cgroup',
      '--propagation',
      'private',
      '--',
      '/bin/sh',
      bootScript,
      image.dir,
      dir,
      name,
      flavour,
    ],
    log,
    { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' },
  );
  const failed = (why: string): Error => new Error(`test host ${name} (${flavour}) ${why}; boot log:\n${readLog(log)}`);
  const until = Date.now() + (opts.bootTimeoutMs ?? 60_000);
  while (!(await sshBanner(link.ip))) {
    if (child.exitCode !== null || child.signalCode !== null) throw failed(`stopped while booting (exit ${child.exitCode ?? child.signalCode})`);
    if (Date.now() > until) throw failed(`had no SSH banner on ${link.ip}:22 after ${opts.bootTimeoutMs ?? 60_000} ms`);
    await sleep(50);
  }
  const bootSeconds = (Date.now() - t0) / 1000;
  const pid = initPid(join(cgroup, 'init'));
  if (pid === undefined) throw failed('has no PID 1');

  const stop = async (): Promise<void> => {
    if (entry.stopped) return;
    entry.stopped = true;
    live.delete(name);
    try {
      await cleanup.run();
    } finally {
      await releaseNetwork();
    }
  };
  return {
    name,
    flavour,
    ip: link.ip,
    sshPort: 22,
    user: 'root',
    keyFile,
    knownHostsLine: `${link.ip} ${hostKey}`,
    netns: link.netns,
    veth: link.veth,
    bridge: net.bridge,
    dir,
    pid,
    cgroup,
    bootSeconds,
    exec: (argv, o = {}) => execIn(pid, join(cgroup, 'exec'), argv, o),
    stop,
  };
}

/** Stop every host this process started (and so the network). */
export async function stopAll(): Promise<void> {
  const errors: string[] = [];
  // Through each host's own stop(), so the network's use count goes to zero with the last one.
  for (const h of [...live.values()]) {
    h.stopped = true;
    live.delete(h.name);
    try {
      await h.cleanup.run();
    } catch (e) {
      errors.push((e as Error).message);
    } finally {
      await releaseNetwork().catch((e: Error) => errors.push(e.message));
    }
  }
  if (errors.length) throw new Error(errors.join('\n'));
}

/** The one ed25519 client key of a run, in its run dir. */
function runClientKey(net: Network): Promise<string> {
  if (clientKey?.net !== net) {
    const file = join(net.runDir, 'id_ed25519');
    clientKey = { net, file: mustRun('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kiln-testhost', '-f', file]).then(() => file) };
  }
  return clientKey.file;
}

interface Seed {
  name: string;
  ip: string;
  proxyUrl: string;
  authorizedKey: string;
}

/**
 * Write what makes this host itself into its upper layer, before boot: hostname, /etc/hosts,
 * machine-id, apt proxy, fresh SSH host keys, root's authorized_keys. Returns the ed25519 host
 * key as `type base64`.
 */
async function seedUpper(upper: string, lower: string, s: Seed): Promise<string> {
  const put = async (path: string, content: string, mode: number): Promise<void> => {
    await mkdirLike(upper, lower, path.split('/').slice(0, -1).join('/'));
    await writeFile(join(upper, path), content);
    await chmod(join(upper, path), mode);
  };
  await put('etc/hostname', `${s.name}\n`, 0o644);
  await put('etc/hosts', `127.0.0.1\tlocalhost\n${s.ip}\t${s.name}\n::1\t\tlocalhost ip6-localhost ip6-loopback\n`, 0o644);
  await put('etc/machine-id', `${randomBytes(16).toString('hex')}\n`, 0o444);
  await put('etc/apt/apt.conf.d/01kiln-testhost-proxy', `// The run's apt-cacher-ng: the host has no other way out.\nAcquire::http::Proxy "${s.proxyUrl}";\n`, 0o644);
  await put('root/.ssh/authorized_keys', s.authorizedKey, 0o600);
  await mkdirLike(upper, lower, 'etc/ssh');
  await Promise.all(
    (['ed25519', 'ecdsa'] as const).map((t) => mustRun('ssh-keygen', ['-q', '-t', t, '-N', '', '-C', `root@${s.name}`, '-f', join(upper, `etc/ssh/ssh_host_${t}_key`)])),
  );
  const [type, base64] = (await readFile(join(upper, 'etc/ssh/ssh_host_ed25519_key.pub'), 'utf8')).split(' ');
  return `${type} ${base64}`;
}

/**
 * mkdir -p in the upper layer, giving each new directory the mode and owner of the one it
 * covers in the lower layer: overlayfs shows the upper directory's (so /root stays 0700).
 */
async function mkdirLike(upper: string, lower: string, rel: string): Promise<void> {
  let path = '';
  for (const part of rel.split('/').filter(Boolean)) {
    path = path ? `${path}/${part}` : part;
    if (existsSync(join(upper, path))) continue;
    let mode = 0o700;
    let uid = 0;
    let gid = 0;
    try {
      const st = statSync(join(lower, path));
      mode = st.mode & 0o7777;
      uid = st.uid;
      gid = st.gid;
    } catch {
      // not in the image (root/.ssh): private
    }
    await mkdir(join(upper, path));
    await chmod(join(upper, path), mode);
    await chown(join(upper, path), uid, gid);
  }
}

/** The PID (machine's view) of the process that is PID 1 in the host's PID namespace. */
function initPid(initCgroup: string): number | undefined {
  const walk = (dir: string): number[] => {
    const pids = readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    // systemd moves itself into init.scope below its root.
    const sub = existsSync(join(dir, 'init.scope')) ? walk(join(dir, 'init.scope')) : [];
    return [...pids, ...sub];
  };
  for (const pid of walk(initCgroup)) {
    try {
      const nspid = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]?.split(/\s+/);
      if (nspid && nspid.length > 1 && nspid[nspid.length - 1] === '1') return pid;
    } catch {
      // exited
    }
  }
  return undefined;
}

/** Resolves true once ip:22 answers with an SSH identification string. */
function sshBanner(ip: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: ip, port: 22 });
    let got = '';
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      if (got.includes('\n') || got.length >= 8) done(got.startsWith('SSH-'));
    });
    s.once('error', () => done(false));
    s.once('end', () => done(false));
  });
}

/** Run argv in all of the host's namespaces; the process joins the host's cgroup so stop() reaches it. */
async function execIn(pid: number, cgroup: string, argv: readonly string[], o: ExecOptions): Promise<ExecResult> {
  // env would take a first word with "=" for a variable.
  if (!argv.length || (argv[0] as string).includes('=')) throw new Error(`exec: argv[0] must be a program (got ${JSON.stringify(argv[0])})`);
  const env = Object.entries(o.env ?? {}).map(([k, v]) => `${k}=${v}`);
  return runProgram(
    'sh',
    [
      '-c',
      'echo $$ > "$0/cgroup.procs" && exec "$@"',
      cgroup,
      'nsenter',
      `--target=${pid}`,
      '--all',
      '--',
      '/usr/bin/env',
      '-i',
      `PATH=${HOST_PATH}`,
      'HOME=/root',
      'LANG=C.UTF-8',
      'TERM=dumb',
      ...env,
      ...argv,
    ],
    { input: o.input, timeoutMs: o.timeoutMs },
  );
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-30).join('\n') || '(empty)';
  } catch {
    return '(none)';
  }
}

let hooked = false;

/**
 * The safety net: on exit (and on SIGINT, SIGTERM, SIGHUP) stop whatever is still running,
 * synchronously. Tests should still stop their hosts in after().
 */
function installExitHook(): void {
  if (hooked) return;
  hooked = true;
  const emergency = (): void => {
    const errors: string[] = [];
    for (const h of [...live.values()]) {
      h.stopped = true;
      live.delete(h.name);
      errors.push(...h.cleanup.runSync());
    }
    errors.push(...releaseNetworkSync());
    if (errors.length) process.stderr.write(`kiln test hosts: teardown at exit left something behind:\n  ${errors.join('\n  ')}\n`);
  };
  process.on('exit', emergency);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      emergency();
      // Alone on this signal: do what the default would have done.
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, onSignal);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, onSignal);
  }
}
