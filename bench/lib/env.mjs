// What the bench needs from the machine (installed with apt-get when missing), kiln's build, and
// the facts that make a result comparable: machine, load, versions.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { cpus, freemem, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { run } from './proc.mjs';

const NEEDED = [
  { file: '/usr/bin/ansible-playbook', pkg: 'ansible-core', required: true },
  { file: '/usr/sbin/sshd', pkg: 'openssh-server', required: true },
  { file: '/usr/bin/ssh', pkg: 'openssh-client', required: true },
  { file: '/usr/lib/openssh/sftp-server', pkg: 'openssh-sftp-server', required: true },
  // Without GNU time the table loses the exact per-process peak (%M); the sampled tree remains.
  { file: '/usr/bin/time', pkg: 'time', required: false },
];

/** Install the Debian packages of missing tools (needs root); throws if a required one stays missing. */
export async function ensureTools(log, extra = []) {
  const needed = [...NEEDED, ...extra];
  const missing = needed.filter((n) => !existsSync(n.file));
  if (!missing.length) return;
  const pkgs = missing.map((m) => m.pkg);
  if (process.getuid?.() !== 0) {
    if (missing.some((m) => m.required)) throw new Error(`missing ${missing.map((m) => m.file).join(', ')}: run as root, or apt-get install ${pkgs.join(' ')}`);
    log(`bench: ${missing.map((m) => m.file).join(', ')} missing (apt-get install ${pkgs.join(' ')}); going on without`);
    return;
  }
  log(`bench: installing ${pkgs.join(' ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-qq'], { env });
  const r = await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { env });
  const still = needed.filter((n) => !existsSync(n.file));
  if (still.some((m) => m.required)) throw new Error(`apt-get install ${pkgs.join(' ')} failed: ${(r.stderr || r.stdout).trim().slice(-1500)}`);
  if (still.length) log(`bench: ${still.map((m) => m.file).join(', ')} still missing; going on without`);
}

/** The newest modification time (ms) of any file under `dir`. */
function newestMtime(dir) {
  let newest = 0;
  for (const ent of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (ent.isFile()) newest = Math.max(newest, statSync(join(ent.parentPath ?? ent.path, ent.name)).mtimeMs);
  }
  return newest;
}

/** Whether src/ or schemas/ changed after dist/ was built (then dist/ is not the code in the tree). */
export function distIsStale(repo) {
  const cli = join(repo, 'dist', 'cli', 'main.cjs');
  if (!existsSync(cli)) return true;
  const built = statSync(cli).mtimeMs;
  return ['src', 'schemas'].some((d) => newestMtime(join(repo, d)) > built);
}

/**
 * Build dist/ when it is missing or older than src/ or schemas/ (`build`: 'auto'), always
 * ('always') or never ('never'); then copy it with schemas/ and package.json into `dir`,
 * node_modules linked: other work rebuilding dist/ during a long bench must not change the
 * kiln being measured half-way. Returns { cli, stale }: the bin (run it as a program), and whether
 * it was measured stale.
 */
export function kilnUnderTest(repo, dir, { build = 'auto', snapshot = true, log }) {
  const cli = join(repo, 'dist', 'cli', 'main.cjs');
  const missing = !existsSync(cli);
  const stale = distIsStale(repo);
  if (build === 'always' || (build === 'auto' && stale) || missing) {
    log(`bench: ${missing ? 'dist/ is missing' : build === 'always' ? '--build' : 'dist/ is older than src/ or schemas/'}: npm run build`);
    const r = spawnSync('npm', ['run', 'build'], { cwd: repo, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error(`npm run build failed (exit ${r.status}); run npm ci first, or measure the dist/ there is with --no-build`);
  } else if (stale) {
    log('bench: warning: dist/ is older than src/ or schemas/ (--no-build): measuring the old build');
  }
  const measuredStale = distIsStale(repo);
  if (!snapshot) return { cli, stale: measuredStale };
  mkdirSync(dir, { recursive: true });
  cpSync(join(repo, 'dist'), join(dir, 'dist'), { recursive: true });
  // With their times: a built kiln trusts its schema stamp (sizes and mtimes) instead of hashing them.
  cpSync(join(repo, 'schemas'), join(dir, 'schemas'), { recursive: true, preserveTimestamps: true });
  cpSync(join(repo, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { cli: join(dir, 'dist', 'cli', 'main.cjs'), stale: measuredStale };
}

function firstLine(s) {
  return (s ?? '').trim().split('\n')[0] ?? '';
}

function git(repo, args) {
  const r = spawnSync('git', args, { cwd: repo, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Machine, load and tool versions, for the record. */
export async function describeEnvironment(repo, kilnCli) {
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
  const ansible = await run('ansible-playbook', ['--version']);
  const ssh = await run('ssh', ['-V']);
  const python = await run('/usr/bin/python3', ['--version']);
  const kilnVersion = await run(kilnCli, ['--version']);
  const osRelease = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  const commit = git(repo, ['rev-parse', '--short', 'HEAD']);
  const dirty = git(repo, ['status', '--porcelain', '--', 'src', 'schemas', 'package.json']);
  return {
    date: new Date().toISOString(),
    extraCaCerts: process.env.NODE_EXTRA_CA_CERTS || null,
    machine: {
      nproc: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      memoryMb: Math.round(totalmem() / 2 ** 20),
      freeMemoryMb: Math.round(freemem() / 2 ** 20),
      kernel: release(),
      os: /^PRETTY_NAME="?([^"\n]*)"?/m.exec(osRelease)?.[1] ?? 'unknown',
      loadavgStart: loadavg().map((x) => Math.round(x * 100) / 100),
    },
    versions: {
      node: process.version,
      kiln: `${firstLine(kilnVersion.stdout) || pkg.version}${commit ? ` (git ${commit}${dirty ? ', with uncommitted changes in src/ or schemas/' : ''})` : ''}`,
      ansibleCore: /core ([\w.]+)/.exec(ansible.stdout)?.[1] ?? firstLine(ansible.stdout),
      python: firstLine(python.stdout || python.stderr),
      openssh: firstLine(ssh.stderr || ssh.stdout),
    },
  };
}
