// The dnf backend (Fedora, RHEL-likes): rpm -q and dnf check-update to read, dnf to act.
// Tested against canned outputs only: no dnf host takes part in kiln's tests yet.
import { ModuleError } from '../../engine/errors.js';
import type { Applied, ModuleContext } from '../../engine/module.js';
import type { RunResult } from '../../engine/connection/types.js';
import type { Backend, PackageInfo, PackageOptions, PackageSpec, PackageState, Transaction } from './types.js';
import { relevantLines } from './types.js';

// Arguments: "1" to ask dnf for upgrades (state latest) or "0", then the package names (name or
// name.arch). rpm -q prints "package X is not installed" for the missing ones and exits with
// their count; dnf check-update exits 100 when it lists upgrades, 0 when there are none.
export const DNF_READ_SCRIPT = `export LC_ALL=C
latest=$1; shift
echo "now=$(date +%s)"
[ $# -eq 0 ] && exit 0
command -v rpm >/dev/null 2>&1 || { echo 'rpm not found: this host has no rpm database (use: apt on Debian-like hosts)' >&2; exit 127; }
echo '@@rpm'
rpm -q --qf '%{NAME}\\t%{ARCH}\\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\n' "$@"
echo "@@rpm-rc $?"
if [ "$latest" = 1 ]; then
  echo '@@updates'
  dnf -q check-update "$@"
  echo "@@updates-rc $?"
fi`;

/** dnf wants `name.arch` where apt users write `name:arch`. */
export function dnfName(s: PackageSpec): string {
  return s.arch !== undefined ? `${s.base}.${s.arch}` : s.base;
}

/** "0:1.24.0-1.fc40" → "1.24.0-1.fc40": epoch 0 is how rpm says "no epoch". */
function display(evr: string): string {
  return evr.startsWith('0:') ? evr.slice(2) : evr;
}

/** Parse DNF_READ_SCRIPT's output (pure; exported for tests). */
export function parseDnfRead(stdout: string, specs: readonly PackageSpec[]): { now: number; packages: PackageInfo[] } {
  let now = Number.NaN;
  const rows: { name: string; arch: string; evr: string }[] = [];
  const updates = new Map<string, string>();
  let section: 'head' | 'rpm' | 'updates' = 'head';
  let updatesRc = 0;
  for (const line of stdout.split('\n')) {
    if (line === '@@rpm') section = 'rpm';
    else if (line === '@@updates') section = 'updates';
    else if (line.startsWith('@@rpm-rc ')) continue;
    else if (line.startsWith('@@updates-rc ')) updatesRc = Number(line.slice(13));
    else if (section === 'head' && line.startsWith('now=')) now = Number(line.slice(4));
    else if (section === 'rpm') {
      const [name, arch, evr] = line.split('\t');
      if (name && arch && evr) rows.push({ name, arch, evr });
    } else if (section === 'updates') {
      // "nginx.x86_64    2:1.26.1-1.fc40    updates"; the "Obsoleting Packages" part is indented.
      const m = /^(\S+)\.([^.\s]+)\s+(\S+)\s+\S+\s*$/.exec(line);
      if (m?.[1] && m[2] && m[3]) {
        updates.set(`${m[1]}.${m[2]}`, m[3]);
        if (!updates.has(m[1])) updates.set(m[1], m[3]);
      }
    }
  }
  if (!Number.isFinite(now)) throw new ModuleError(`unexpected output reading the rpm state: ${JSON.stringify(stdout.slice(0, 200))}`);
  if (updatesRc === 1) throw new ModuleError('dnf check-update failed (rc 1): the repositories could not be read; check the network and /etc/yum.repos.d/');
  const packages = specs.map((s): PackageInfo => {
    const row = rows.find((r) => r.name === s.base && (s.arch === undefined || r.arch === s.arch));
    const info: PackageInfo = { name: s.name, status: row ? 'installed' : 'not-installed', configFiles: false, versions: [] };
    if (row) {
      info.installed = display(row.evr);
      const up = updates.get(s.arch !== undefined ? `${s.base}.${s.arch}` : s.base);
      info.candidate = up !== undefined ? display(up) : info.installed;
    }
    return info;
  });
  return { now, packages };
}

const ENV: Readonly<Record<string, string>> = { LC_ALL: 'C' };

/** The lines of dnf's output that explain a failure. */
const EXPLAINS = /^(Error|No match for argument|Problem|\s+- |.*: No such file|Failed to)/;

function failed(what: string, r: RunResult): never {
  const lines = relevantLines(`${r.stderr}\n${r.stdout}`, EXPLAINS);
  const why = lines.length ? lines.join('\n') : r.stderr.trim().split('\n').slice(-5).join('\n') || 'no output';
  throw new ModuleError(`${what} failed (rc ${r.rc}):\n${why}`, r);
}

/** The options every dnf transaction gets. */
function txOptions(opts: PackageOptions): string[] {
  if (opts.installRecommends === false) return ['--setopt=install_weak_deps=False'];
  if (opts.installRecommends === true) return ['--setopt=install_weak_deps=True'];
  return [];
}

/** `dnf makecache`: dnf itself refreshes metadata older than cache_valid_time, or all of it. */
export function makecacheArgv(opts: PackageOptions): string[] {
  return ['dnf', '-y', 'makecache', opts.cacheValidTime !== undefined ? `--setopt=metadata_expire=${opts.cacheValidTime}` : '--refresh'];
}

export const dnf: Backend = {
  name: 'dnf',
  knowsAvailability: false,
  updateText: 'refresh the dnf metadata',

  async read(ctx, specs, opts): Promise<PackageState> {
    const names = [...new Set(specs.map(dnfName))];
    const r = await ctx.conn.script(DNF_READ_SCRIPT, [opts.state === 'latest' ? '1' : '0', ...names], { becomeUser: ctx.becomeUser });
    if (r.rc !== 0) throw new ModuleError(`cannot read the state of ${names.join(', ') || 'the dnf cache'}: ${r.stderr.trim() || `rc ${r.rc}`}`, r);
    const { now, packages } = parseDnfRead(r.stdout, specs);
    return { backend: 'dnf', specs, packages, cache: { now } };
  },

  /** A pin matches the version, version-release or epoch:version-release installed. */
  matches(installed, pin) {
    const full = installed.includes(':') ? installed : `0:${installed}`;
    const noEpoch = full.slice(full.indexOf(':') + 1);
    const version = noEpoch.replace(/-[^-]*$/, '');
    return pin === installed || pin === full || pin === noEpoch || pin === version;
  },

  installArg: (s) => (s.version !== undefined ? `${s.base}-${s.version}${s.arch !== undefined ? `.${s.arch}` : ''}` : dnfName(s)),

  async apply(ctx: ModuleContext, d: Transaction, opts): Promise<Applied> {
    const runs: RunResult[] = [];
    const run = async (argv: string[], what: string): Promise<RunResult> => {
      const r = await ctx.conn.run(argv, { env: ENV, becomeUser: ctx.becomeUser });
      runs.push(r);
      if (r.rc !== 0) failed(what, r);
      return r;
    };
    let acted = false;
    if (d.update !== undefined) await run(makecacheArgv(opts), 'dnf makecache');
    if (d.install.length) await run(['dnf', '-y', 'install', ...txOptions(opts), ...d.install], `dnf install of ${d.install.join(', ')}`);
    const upgrade = [...d.upgrade, ...d.recheck];
    if (upgrade.length) {
      const r = await run(['dnf', '-y', 'upgrade', ...txOptions(opts), ...upgrade], `dnf upgrade of ${upgrade.join(', ')}`);
      acted = !/^Nothing to do\.?$/m.test(r.stdout);
    }
    if (d.remove.length) await run(['dnf', '-y', 'remove', ...d.remove], `dnf remove of ${d.remove.join(', ')}`);
    const last = runs[runs.length - 1];
    return {
      rc: last?.rc,
      stdout: runs.map((r) => r.stdout).join(''),
      stderr: runs.map((r) => r.stderr).join(''),
      data: { cache_updated: d.update !== undefined },
      // A metadata refresh alone changes no package (dnf does not say whether it fetched anything).
      changed: d.definite || acted,
    };
  },
};
