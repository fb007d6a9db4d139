// The base image of every test host: a debootstrapped Debian 12 (minbase + sshd, systemd, tini),
// built once per machine into /var/tmp/kiln-testhost/bookworm-<version> and shared read-only as
// the lower layer of each host's overlayfs.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { hostSourcesList, machineMirror, type Mirror } from './mirror.js';
import { destroyCgroup, harnessCgroup, makeCgroup, removeIfEmpty, spawnInCgroup } from './cgroup.js';
import { mustRun, requireProgram, requireRoot } from './proc.js';

export const RELEASE = 'bookworm';
/** Fixed, outside any clone, so every checkout and CI run on the machine shares one image. */
export const CACHE_DIR = '/var/tmp/kiln-testhost';

/** Bump when the recipe changes in a way the hash below cannot see (debootstrap flags, say). */
const RECIPE_REVISION = 2;

/**
 * What a fresh Debian 12 server has that minbase lacks. tini is there so one image serves both
 * flavours. No python3: kiln needs only a POSIX shell on its targets.
 */
export const IMAGE_PACKAGES = ['openssh-server', 'iproute2', 'procps', 'ca-certificates', 'systemd', 'systemd-sysv', 'dbus', 'sudo', 'tini'] as const;

/** Units that must not run in a host: a getty would take the machine's console. */
const MASKED_UNITS = ['getty@.service', 'serial-getty@.service', 'console-getty.service', 'container-getty@.service', 'getty-static.service', 'getty.target'];

const STAMP = '.kiln-testhost-image.json';
/** Other image versions are removed after a day without use (see removeUnusedVersions). */
const KEEP_UNUSED_MS = 24 * 3600_000;

/** The tini flavour's whole boot: what a SysV boot would leave behind for apt, then sshd only. */
const TINI_INIT = `#!/bin/sh
# kiln test host, tini flavour: tini (PID 1) runs this and nothing else.
# /run/utmp says "runlevel 2", as sysvinit would, so invoke-rc.d starts what packages install.
set -e
mkdir -p /run/lock /run/sshd
chmod 1777 /run/lock
install -m 664 -g utmp /usr/local/lib/kiln-testhost/utmp-runlevel-2 /run/utmp
/etc/init.d/ssh start
exec sleep infinity
`;

/** Files written into the image (path under the root -> content, mode). */
function imageFiles(mirror: Mirror): Record<string, { content: string | Buffer; mode: number }> {
  return {
    'etc/apt/sources.list': { content: hostSourcesList(mirror), mode: 0o644 },
    'etc/apt/apt.conf.d/99kiln-testhost': {
      content: '// The mirror is a dated snapshot: its Release files are past their Valid-Until.\nAcquire::Check-Valid-Until "false";\n',
      mode: 0o644,
    },
    // Per-host values are written into each host's upper layer at start; these are the neutral defaults.
    'etc/hostname': { content: 'debian\n', mode: 0o644 },
    'etc/hosts': { content: '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n', mode: 0o644 },
    // Never the machine's resolver (debootstrap copies it in): nothing answers here unless a test starts a DNS server.
    'etc/resolv.conf': { content: 'nameserver 127.0.0.1\n', mode: 0o644 },
    'etc/machine-id': { content: '', mode: 0o444 },
    'etc/ssh/sshd_config.d/kiln-testhost.conf': {
      content:
        '# kiln test host: root logs in with the run\'s key only; host keys are made per host at start.\n' +
        'HostKey /etc/ssh/ssh_host_ed25519_key\nHostKey /etc/ssh/ssh_host_ecdsa_key\n' +
        'PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUseDNS no\n',
      mode: 0o644,
    },
    'usr/local/sbin/kiln-tini-init': { content: TINI_INIT, mode: 0o755 },
    'usr/local/lib/kiln-testhost/utmp-runlevel-2': { content: utmpRunlevel2(), mode: 0o644 },
  };
}

/**
 * A utmp RUN_LVL record for runlevel 2 (previous N), the one sysvinit writes: `runlevel` (here
 * systemctl reading utmp) then answers "N 2". Layout: glibc's x86_64 struct utmp, 384 bytes.
 */
export function utmpRunlevel2(): Buffer {
  const b = Buffer.alloc(384);
  b.writeInt16LE(1, 0); // ut_type = RUN_LVL
  b.writeInt32LE(0x32 | (0x4e << 8), 4); // ut_pid = '2' | 'N' << 8
  b.write('~', 8); // ut_line
  b.write('~~', 40); // ut_id
  b.write('runlevel', 44); // ut_user
  return b;
}

/** The image version: the revision plus a hash of everything the recipe puts in. */
export function imageVersion(mirror: Mirror = machineMirror(RELEASE)): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ RECIPE_REVISION, IMAGE_PACKAGES, MASKED_UNITS, archive: mirror.archive }));
  for (const [path, f] of Object.entries(imageFiles(mirror))) h.update(`${path}\0${f.mode}\0`).update(f.content);
  return `${RECIPE_REVISION}-${h.digest('hex').slice(0, 10)}`;
}

export interface Image {
  /** The root of the image (read-only lower layer). */
  dir: string;
  version: string;
  /** Whether it was built during this call (false: the cached one was used). */
  built: boolean;
  /** Seconds the build took, when built. */
  buildSeconds?: number;
}

/** How many images this process has built (tests check the cache is reused). */
export let imagesBuilt = 0;
let pending: Promise<Image> | undefined;

/**
 * The current image, built first if missing or outdated. Safe across processes: the build runs
 * under a lock, into a temp dir renamed into place, so an interrupted build leaves no half image.
 */
export function ensureImage(): Promise<Image> {
  // Calls while a check or build is under way share it; later calls check the stamp again.
  pending ??= ensure().finally(() => (pending = undefined));
  return pending;
}

async function ensure(): Promise<Image> {
  requireRoot();
  const mirror = machineMirror(RELEASE);
  const version = imageVersion(mirror);
  const dir = join(CACHE_DIR, `${RELEASE}-${version}`);
  if (isComplete(dir, version)) {
    markUsed(dir);
    return { dir, version, built: false };
  }
  requireProgram('debootstrap', 'debootstrap');
  await mkdir(CACHE_DIR, { recursive: true, mode: 0o755 });
  return withLock(join(CACHE_DIR, '.build.lock'), async () => {
    // Another process may have built it while we waited.
    if (isComplete(dir, version)) {
      markUsed(dir);
      return { dir, version, built: false };
    }
    const t0 = Date.now();
    await build(dir, version, mirror);
    markUsed(dir);
    imagesBuilt++;
    return { dir, version, built: true, buildSeconds: (Date.now() - t0) / 1000 };
  });
}

function isComplete(dir: string, version: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(dir, STAMP), 'utf8')) as { version?: string }).version === version;
  } catch {
    return false;
  }
}

/**
 * Run `fn` holding an flock on `file`. The lock is held by a helper `flock` process, not by a
 * descriptor of ours, so nothing we start can inherit it; it is released when we finish or die.
 */
async function withLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  requireProgram('flock', 'util-linux');
  const holder: ChildProcess = spawn('flock', ['--exclusive', '--close', file, 'sh', '-c', 'echo locked; exec cat >/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => holder.once('exit', () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      let err = '';
      holder.stderr?.on('data', (c: Buffer) => (err += c.toString()));
      holder.stdout?.once('data', () => resolve());
      holder.once('error', reject);
      holder.once('exit', (code) => reject(new Error(`flock ${file} exited (${code}) before taking the lock: ${err.trim()}`)));
    });
    return await fn();
  } finally {
    holder.stdin?.end();
    await exited;
  }
}

async function build(dir: string, version: string, mirror: Mirror): Promise<void> {
  // We hold the lock: a build cgroup or .build-* dir left here is from an interrupted build.
  const buildCgroup = join(harnessCgroup(), 'image-build');
  await destroyCgroup(buildCgroup);
  for (const n of readdirSync(CACHE_DIR)) if (n.startsWith('.build-')) await removeTree(join(CACHE_DIR, n));
  const tmp = await mkdtemp(join(CACHE_DIR, '.build-'));
  const debCache = join(CACHE_DIR, 'debootstrap-debs');
  await mkdir(debCache, { recursive: true });
  try {
    const root = join(tmp, 'root');
    const out = join(tmp, 'debootstrap.out');
    makeCgroup(buildCgroup);
    // Its own cgroup, so a build orphaned by a killed test run can be ended; its own mount
    // namespace, so the /proc and /sys it mounts in the target die with it.
    const child = spawnInCgroup(
      buildCgroup,
      [
        'unshare',
        '--mount',
        '--propagation',
        'private',
        'debootstrap',
        '--variant=minbase',
        `--include=${IMAGE_PACKAGES.join(',')}`,
        '--components=main',
        // Keeps the .debs for the next build (after a recipe change), outside the image.
        `--cache-dir=${debCache}`,
        RELEASE,
        root,
        mirror.archive,
      ],
      out,
      { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C.UTF-8' },
    );
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => void destroyCgroup(buildCgroup), 30 * 60_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    await destroyCgroup(buildCgroup);
    removeIfEmpty(harnessCgroup());
    if (code !== 0) {
      const log = readTail(join(root, 'debootstrap', 'debootstrap.log'));
      throw new Error(`debootstrap ${RELEASE} from ${mirror.archive} failed (exit ${code}):\n${readTail(out)}${log ? `\n--- debootstrap.log ---\n${log}` : ''}`);
    }
    await fixUp(root, mirror);
    await writeFile(join(root, STAMP), `${JSON.stringify({ version, release: RELEASE, mirror: mirror.archive, builtAt: new Date().toISOString() })}\n`);
    await removeTree(dir);
    await rename(root, dir);
  } finally {
    await removeTree(tmp);
  }
  await removeUnusedVersions(version);
}

/**
 * Remove other image versions no run has used for a day. Not at once: another checkout (another
 * branch, an older CI run) may be using its own version right now, as its hosts' lower layer.
 */
async function removeUnusedVersions(keep: string): Promise<void> {
  for (const n of await readdir(CACHE_DIR)) {
    const m = new RegExp(`^${RELEASE}-(.+)$`).exec(n);
    if (!m || m[1] === keep || n.endsWith('.used')) continue;
    let lastUse: number;
    try {
      lastUse = statSync(join(CACHE_DIR, `${n}.used`)).mtimeMs;
    } catch {
      lastUse = statSync(join(CACHE_DIR, n)).mtimeMs;
    }
    if (Date.now() - lastUse < KEEP_UNUSED_MS) continue;
    await removeTree(join(CACHE_DIR, n));
    await rm(join(CACHE_DIR, `${n}.used`), { force: true });
  }
}

/** Record that a run uses this version now (outside the image: it is a live lower layer). */
function markUsed(dir: string): void {
  const now = new Date();
  try {
    utimesSync(`${dir}.used`, now, now);
  } catch {
    writeFileSync(`${dir}.used`, '');
  }
}

/** rm -rf that never crosses into another file system (a mount left in a build dir). */
async function removeTree(path: string): Promise<void> {
  await mustRun('rm', ['-rf', '--one-file-system', path]);
}

/**
 * Fix what debootstrap leaves: the builder's hostname and resolv.conf, no /etc/hosts, one
 * machine-id and one set of SSH host keys for every host. Everything is written from outside:
 * no chroot command runs, so no package script can start a daemon on the machine.
 */
async function fixUp(root: string, mirror: Mirror): Promise<void> {
  for (const [path, f] of Object.entries(imageFiles(mirror))) {
    const file = join(root, path);
    await mkdir(dirname(file), { recursive: true });
    await rm(file, { force: true });
    await writeFile(file, f.content);
    await chmod(file, f.mode);
  }
  // D-Bus reads its own copy: make it the per-host one.
  await rm(join(root, 'var/lib/dbus/machine-id'), { force: true });
  await symlink('/etc/machine-id', join(root, 'var/lib/dbus/machine-id'));
  for (const n of readdirSync(join(root, 'etc/ssh'))) if (n.startsWith('ssh_host_')) await rm(join(root, 'etc/ssh', n));
  for (const unit of MASKED_UNITS) {
    const link = join(root, 'etc/systemd/system', unit);
    await rm(link, { force: true });
    await symlink('/dev/null', link);
  }
  // The downloaded .debs (~50 MB): apt fetches through the cacher when it needs them again.
  for (const n of readdirSync(join(root, 'var/cache/apt/archives'))) if (n.endsWith('.deb')) await rm(join(root, 'var/cache/apt/archives', n));
  if (!existsSync(join(root, 'usr/bin/tini'))) throw new Error('the image has no /usr/bin/tini: is the tini package in the mirror?');
}

function readTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-25).join('\n');
  } catch {
    return '';
  }
}

