// The apt backend: dpkg-query and apt-cache policy to read, apt-get to act. Never prompts.
import { ModuleError } from '../../engine/errors.js';
import type { Applied, ModuleContext } from '../../engine/module.js';
import type { RunResult } from '../../engine/connection/types.js';
import type { Backend, CacheInfo, PackageInfo, PackageOptions, PackageSpec, PackageState } from './types.js';
import { relevantLines } from './types.js';

/** Touched after every successful update (by apt itself), so cache_valid_time can measure the age. */
export const UPDATE_STAMP = '/var/lib/apt/periodic/update-success-stamp';

/**
 * The other age source (an apt-get update that kiln did not run leaves the stamp alone): the
 * newest index file here, by ctime, as apt-get update writes the files it fetches and sets their
 * mtime to the server's Last-Modified. Not the folder's own mtime: the first apt-get install on a
 * fresh system creates lists/auxfiles, which would pass for an update.
 */
export const LISTS_DIR = '/var/lib/apt/lists';

/**
 * A fingerprint of the Release files: an update that leaves it as it was fetched nothing new,
 * whatever apt printed (behind a caching proxy such as apt-cacher-ng, apt-get update prints
 * "Get:" for every InRelease it downloads again, unchanged).
 */
export const RELEASE_SUM_SCRIPT = `cat ${LISTS_DIR}/*Release 2>/dev/null | cksum`;

// Arguments: the package names (arch-qualified or not, no versions). Prints key=value lines for
// the clock and cache age, then dpkg-query's lines, then apt-cache policy's paragraphs, each
// section behind an @@ marker. dpkg-query exits 1 when some name is unknown to dpkg: that is news,
// not an error. /var/cache/apt/pkgcache.bin is not used for the age: any apt run after a dpkg
// change rebuilds it, and Docker-style images disable it.
export const APT_READ_SCRIPT = `export LC_ALL=C
echo "now=$(date +%s)"
t=$(stat -c %Y ${UPDATE_STAMP} 2>/dev/null) && echo "stamp=$t"
t=$(find ${LISTS_DIR} -maxdepth 1 -type f ! -name lock -printf '%C@\\n' 2>/dev/null | sort -n | tail -n 1)
[ -n "$t" ] && echo "lists=\${t%.*}"
echo "release_sum=$(${RELEASE_SUM_SCRIPT})"
[ $# -eq 0 ] && exit 0
command -v dpkg-query >/dev/null 2>&1 || { echo 'dpkg-query not found: this host has no dpkg (use: dnf on Fedora-like hosts)' >&2; exit 127; }
echo '@@dpkg'
dpkg-query -W -f='\${Package}\\t\${Architecture}\\t\${Status}\\t\${Version}\\n' -- "$@"
echo "@@dpkg-rc $?"
echo '@@policy'
apt-cache policy -- "$@"
echo "@@policy-rc $?"`;

/**
 * Every package dpkg knows that provides something: name, status, version, Provides. A virtual
 * package ("awk", "mail-transport-agent") is satisfied by an installed one that provides it.
 */
export const APT_PROVIDERS_SCRIPT = `LC_ALL=C dpkg-query -W -f='\${Package}\\t\${Status}\\t\${Version}\\t\${Provides}\\n' | awk -F '\\t' '$4 != ""'`;

/** dpkg's "installed enough to use" states (the third word of ${Status}). */
const INSTALLED = new Set(['installed', 'triggers-awaiting', 'triggers-pending']);

interface PolicyEntry {
  candidate?: string;
  versions: string[];
}

/** Parse APT_READ_SCRIPT's output (pure; exported for tests). */
export function parseAptRead(stdout: string, specs: readonly PackageSpec[]): { cache: CacheInfo; packages: PackageInfo[] } {
  const kv = new Map<string, string>();
  const dpkg: string[] = [];
  const policy: string[] = [];
  let section: 'head' | 'dpkg' | 'policy' = 'head';
  let dpkgRc = 0;
  for (const line of stdout.split('\n')) {
    if (line === '@@dpkg') section = 'dpkg';
    else if (line === '@@policy') section = 'policy';
    else if (line.startsWith('@@dpkg-rc ')) dpkgRc = Number(line.slice(10));
    else if (line.startsWith('@@policy-rc ')) continue;
    else if (section === 'head') {
      const eq = line.indexOf('=');
      if (eq > 0) kv.set(line.slice(0, eq), line.slice(eq + 1));
    } else if (section === 'dpkg') dpkg.push(line);
    else policy.push(line);
  }
  if (dpkgRc > 1) throw new ModuleError(`dpkg-query failed (rc ${dpkgRc}); is the dpkg database readable?`);
  const now = Number(kv.get('now'));
  if (!Number.isFinite(now)) throw new ModuleError(`unexpected output reading the apt state: ${JSON.stringify(stdout.slice(0, 200))}`);
  const cache: CacheInfo = { now };
  const stamp = kv.get('stamp');
  const lists = kv.get('lists');
  // The later of the two: an apt-get update kiln did not run touches only the lists.
  if (stamp !== undefined && (lists === undefined || Number(stamp) >= Number(lists))) Object.assign(cache, { updatedAt: Number(stamp), source: UPDATE_STAMP });
  else if (lists !== undefined) Object.assign(cache, { updatedAt: Number(lists), source: LISTS_DIR });
  const releaseSum = kv.get('release_sum');
  if (releaseSum !== undefined) cache.releaseSum = releaseSum;

  const rows = dpkg.flatMap((l) => {
    const [pkg, arch, status, version] = l.split('\t');
    return pkg && arch !== undefined && status !== undefined ? [{ pkg, arch, status: status.split(' ')[2] ?? 'not-installed', version: version ?? '' }] : [];
  });
  const pol = parsePolicy(policy.join('\n'));
  const packages = specs.map((s): PackageInfo => {
    const mine = rows.filter((r) => r.pkg === s.base && (s.arch === undefined || r.arch === s.arch || r.arch === 'all'));
    const inst = mine.find((r) => INSTALLED.has(r.status));
    const other = mine.find((r) => r.status !== 'not-installed');
    const p = pol.get(s.name) ?? pol.get(s.base);
    const info: PackageInfo = {
      name: s.name,
      status: inst?.status ?? other?.status ?? 'not-installed',
      configFiles: !inst && other?.status === 'config-files',
      known: p !== undefined,
      versions: p?.versions ?? [],
    };
    if (inst) info.installed = inst.version;
    if (p?.candidate !== undefined) info.candidate = p.candidate;
    return info;
  });
  return { cache, packages };
}

/**
 * Parse APT_PROVIDERS_SCRIPT's output (pure): for each of `names`, the installed packages that
 * provide it, in dpkg's order. A Provides entry may carry a version ("foo (= 1.2)") or an
 * architecture qualifier ("foo:any").
 */
export function parseProviders(stdout: string, names: readonly string[]): Map<string, string[]> {
  const wanted = new Set(names);
  const out = new Map<string, string[]>();
  for (const line of stdout.split('\n')) {
    const [pkg, status, , provides] = line.split('\t');
    if (!pkg || !provides || !INSTALLED.has(status?.split(' ')[2] ?? '')) continue;
    for (const entry of provides.split(',')) {
      const name = entry.trim().split(/[\s:(]/)[0] ?? '';
      if (!wanted.has(name)) continue;
      const list = out.get(name) ?? [];
      if (!list.includes(pkg)) list.push(pkg);
      out.set(name, list);
    }
  }
  return out;
}

/** Parse `apt-cache policy NAMES` (pure): per package its candidate and version table, newest first. */
export function parsePolicy(text: string): Map<string, PolicyEntry> {
  const out = new Map<string, PolicyEntry>();
  let cur: PolicyEntry | undefined;
  for (const line of text.split('\n')) {
    const head = /^(\S+):$/.exec(line);
    if (head?.[1]) {
      cur = { versions: [] };
      out.set(head[1], cur);
      continue;
    }
    if (!cur) continue;
    const cand = /^ {2}Candidate: (.+)$/.exec(line);
    if (cand?.[1]) {
      if (cand[1] !== '(none)') cur.candidate = cand[1];
      continue;
    }
    const ver = /^ (?:\*\*\*| {3}) (\S+) -?\d+$/.exec(line);
    if (ver?.[1]) cur.versions.push(ver[1]);
  }
  return out;
}

/** The environment of every apt-get run: no prompt from debconf, apt-listchanges or needrestart. */
export const APT_ENV: Readonly<Record<string, string>> = {
  DEBIAN_FRONTEND: 'noninteractive',
  DEBCONF_NONINTERACTIVE_SEEN: 'true',
  APT_LISTCHANGES_FRONTEND: 'none',
  // needrestart would otherwise ask (Ubuntu) or restart daemons behind the playbook's back.
  NEEDRESTART_MODE: 'l',
  LC_ALL: 'C',
};

/** apt's words for "another apt or dpkg holds the lock" (not "you may not take it": see NOT_ROOT). */
const LOCKED = /Could not get lock|is another process using it\?/;

/** apt's words for "only root may do this". */
const NOT_ROOT = /are you root\?|Permission denied/;

/** apt's words for an index it could not download (apt-get update exits 0 on these by default). */
const FETCH_FAILED = /^(W|E): (Failed to fetch|Some index files failed to download)/m;

/** The lines of apt's output that explain a failure. */
const EXPLAINS = /^(E: |W: |dpkg: |Errors were encountered|The following packages have unmet dependencies|\s*\S+ : (Pre-)?Depends: |\s+(Pre-)?Depends: )/;

/** How often the lock is tried again while dpkg_lock_timeout lasts. */
const LOCK_POLL_MS = 1000;

/** `apt-get update` that fails on any index it cannot fetch, and stamps the time of success. */
export function updateArgv(): string[] {
  return [
    'apt-get',
    'update',
    '-q',
    '-o',
    'APT::Update::Error-Mode=any',
    '-o',
    `APT::Update::Post-Invoke-Success::=mkdir -p ${UPDATE_STAMP.replace(/\/[^/]+$/, '')} && touch ${UPDATE_STAMP}`,
  ];
}

/** One apt-get transaction; `lockWait` seconds of dpkg lock waiting left. */
export function transactionArgv(action: 'install' | 'remove' | 'purge', names: readonly string[], opts: PackageOptions, lockWait: number): string[] {
  const argv = ['apt-get', action, '-y', '-q', '-o', `DPkg::Lock::Timeout=${lockWait}`];
  if (action === 'install') {
    // confdef: take the package's conffile where the admin never changed it; confold: keep the admin's.
    argv.push('-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold');
    if (opts.installRecommends === false) argv.push('--no-install-recommends');
    if (opts.installRecommends === true) argv.push('-o', 'APT::Install-Recommends=true');
    if (opts.allowDowngrade) argv.push('--allow-downgrades');
  }
  argv.push('--', ...names);
  return argv;
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/**
 * Run an apt-get command, trying again while another apt or dpkg holds the lock, until
 * `lockTimeoutSec` has passed. apt-get changes nothing when it cannot get the lock.
 */
export async function runLocked(ctx: ModuleContext, argvFor: (lockWait: number) => string[], what: string, lockTimeoutSec: number): Promise<RunResult> {
  const deadline = Date.now() + lockTimeoutSec * 1000;
  for (;;) {
    const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    const r = await ctx.conn.run(argvFor(left), { env: APT_ENV, becomeUser: ctx.becomeUser });
    if (r.rc === 0 || !LOCKED.test(r.stderr) || NOT_ROOT.test(r.stderr)) return r;
    const wait = deadline - Date.now();
    if (wait <= 0) {
      const why = relevantLines(r.stderr, /^E: /, 2).join(' ') || r.stderr.trim();
      throw new ModuleError(`${what}: another apt or dpkg still holds the lock after ${lockTimeoutSec} s (dpkg_lock_timeout): ${why}; wait for it to finish (unattended-upgrades?) or raise dpkg_lock_timeout`, r);
    }
    await sleep(Math.min(LOCK_POLL_MS, wait));
  }
}

/** The apt-get summary line's counts: anything installed, upgraded, downgraded or removed. */
export function transactionCount(stdout: string): number {
  const m = /^(\d+) upgraded, (\d+) newly installed, (?:(\d+) downgraded, )?(\d+) to remove/m.exec(stdout);
  if (!m) return 0;
  return Number(m[1]) + Number(m[2]) + Number(m[3] ?? 0) + Number(m[4]);
}

/** Throw a ModuleError naming the packages and quoting apt's explanation. */
function failed(what: string, r: RunResult): never {
  const lines = relevantLines(`${r.stderr}\n${r.stdout}`, EXPLAINS);
  const why = lines.length ? lines.join('\n') : r.stderr.trim().split('\n').slice(-5).join('\n') || 'no output';
  const fix = NOT_ROOT.test(r.stderr) ? '\nfix: apt needs root; add become: true to the task or play' : '';
  throw new ModuleError(`${what} failed (rc ${r.rc}):\n${why}${fix}`, r);
}

/**
 * Update the cache; an index apt could not fetch fails the task. Returns whether anything new
 * came: the Release files changed (when read saw them), else apt printed a "Get:" line.
 */
async function update(ctx: ModuleContext, opts: PackageOptions, out: RunResult[], releaseSum: string | undefined): Promise<boolean> {
  const r = await runLocked(ctx, () => updateArgv(), 'apt-get update', opts.lockTimeoutSec);
  out.push(r);
  if (FETCH_FAILED.test(r.stderr) || FETCH_FAILED.test(r.stdout)) {
    const lines = relevantLines(`${r.stderr}\n${r.stdout}`, /^(E|W): /);
    throw new ModuleError(
      `apt-get update could not fetch every package index (rc ${r.rc}), so the cache may be stale:\n${lines.join('\n') || r.stderr.trim()}\nfix: check the sources (/etc/apt/sources.list, /etc/apt/sources.list.d/), the network and any proxy`,
      r,
    );
  }
  if (r.rc !== 0) failed('apt-get update', r);
  if (releaseSum === undefined) return /^Get:\d+ /m.test(r.stdout);
  const after = await ctx.conn.script(RELEASE_SUM_SCRIPT, [], { becomeUser: ctx.becomeUser });
  return after.rc !== 0 || after.stdout.trim() !== releaseSum;
}

export const apt: Backend = {
  name: 'apt',
  knowsAvailability: true,
  updateText: 'update the apt cache',

  async read(ctx, specs): Promise<PackageState> {
    const names = [...new Set(specs.map((s) => s.name))];
    const r = await ctx.conn.script(APT_READ_SCRIPT, names, { becomeUser: ctx.becomeUser });
    if (r.rc !== 0) throw new ModuleError(`cannot read the state of ${names.join(', ') || 'the apt cache'}: ${r.stderr.trim() || `rc ${r.rc}`}`, r);
    const { cache, packages } = parseAptRead(r.stdout, specs);
    // A name apt-cache policy lists without any version, and that is not installed, may be virtual.
    const maybeVirtual = packages.filter((p, i) => p.known === true && p.installed === undefined && p.versions.length === 0 && specs[i]?.version === undefined);
    if (maybeVirtual.length) {
      const pr = await ctx.conn.script(APT_PROVIDERS_SCRIPT, [], { becomeUser: ctx.becomeUser });
      if (pr.rc !== 0) throw new ModuleError(`cannot read which packages provide ${maybeVirtual.map((p) => p.name).join(', ')}: ${pr.stderr.trim() || `rc ${pr.rc}`}`, pr);
      const bases = new Map(specs.map((s) => [s.name, s.base]));
      const providers = parseProviders(pr.stdout, maybeVirtual.map((p) => bases.get(p.name) ?? p.name));
      for (const p of maybeVirtual) {
        const by = providers.get(bases.get(p.name) ?? p.name);
        if (by) p.providedBy = by;
      }
    }
    return { backend: 'apt', specs, packages, cache };
  },

  matches: (installed, pin) => installed === pin,
  installArg: (s) => (s.version !== undefined ? `${s.name}=${s.version}` : s.name),

  async apply(ctx, d, opts, current): Promise<Applied> {
    const runs: RunResult[] = [];
    let fetched = false;
    let count = 0;
    if (d.update !== undefined) fetched = await update(ctx, opts, runs, current.cache.releaseSum);
    const install = [...d.install, ...d.upgrade, ...d.recheck];
    if (install.length) {
      const what = `apt-get install of ${install.join(', ')}`;
      const r = await runLocked(ctx, (left) => transactionArgv('install', install, opts, left), what, opts.lockTimeoutSec);
      runs.push(r);
      if (r.rc !== 0) failed(what, r);
      count += transactionCount(r.stdout);
    }
    if (d.remove.length) {
      const action = d.purge ? 'purge' : 'remove';
      const what = `apt-get ${action} of ${d.remove.join(', ')}`;
      const r = await runLocked(ctx, (left) => transactionArgv(action, d.remove, opts, left), what, opts.lockTimeoutSec);
      runs.push(r);
      if (r.rc !== 0) failed(what, r);
      count += transactionCount(r.stdout);
    }
    const last = runs[runs.length - 1];
    const data: Record<string, unknown> = { cache_updated: d.update !== undefined };
    if (d.update !== undefined) data['cache_update_time'] = Math.floor(Date.now() / 1000);
    return {
      rc: last?.rc,
      stdout: runs.map((r) => r.stdout).join(''),
      stderr: runs.map((r) => r.stderr).join(''),
      data,
      changed: d.definite || fetched || count > 0,
    };
  },
};
