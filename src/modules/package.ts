// package: install, upgrade or remove packages with the host's package manager (apt in full,
// dnf tested against canned outputs only). Read once, decide once (pure), act in one transaction.
import { ModuleError } from '../engine/errors.js';
import type { Applied, Module, ModuleContext, Plan, Step } from '../engine/module.js';
import type { PlannedState } from '../engine/planned.js';
import type { Change } from '../engine/result.js';
import { apt, UPDATE_STAMP } from './package/apt.js';
import { dnf } from './package/dnf.js';
import { age, type Backend, type BackendName, type Decision, describe, type PackageDo, type PackageInfo, type PackageOp, type PackageOptions, type PackageSpec, type PackageState, type PackageWant, type Transaction } from './package/types.js';

/** package's arguments, as the schema allows them. */
export interface PackageArgs {
  /** One package, a comma-separated list, or a list; `name=version` pins a version. */
  name?: string | string[];
  state?: PackageWant;
  update_cache?: boolean;
  /** Seconds; update only when the cache is older. Implies update_cache. */
  cache_valid_time?: number;
  use?: 'auto' | BackendName;
  /** absent: also remove configuration files (apt purge). */
  purge?: boolean;
  /** Default: the host's package manager default (apt: recommends are installed). */
  install_recommends?: boolean;
  allow_downgrade?: boolean;
  /** Seconds to wait for another apt or dpkg to release its lock. Default 60. */
  dpkg_lock_timeout?: number;
}


const BACKENDS: Readonly<Record<BackendName, Backend>> = { apt, dnf };

export const DEFAULT_LOCK_TIMEOUT = 60;

/** The normalised options (pure). Throws ModuleError for contradictions the schema cannot see. */
export function optionsOf(args: PackageArgs): PackageOptions {
  if (args.update_cache === false && args.cache_valid_time !== undefined) {
    throw new ModuleError(`cache_valid_time (${args.cache_valid_time}) asks for a cache update, but update_cache is false; drop one of them`);
  }
  const opts: PackageOptions = {
    state: args.state ?? 'present',
    updateCache: args.update_cache === true || args.cache_valid_time !== undefined,
    purge: args.purge === true,
    allowDowngrade: args.allow_downgrade === true,
    lockTimeoutSec: args.dpkg_lock_timeout ?? DEFAULT_LOCK_TIMEOUT,
  };
  if (args.cache_valid_time !== undefined) opts.cacheValidTime = args.cache_valid_time;
  if (args.install_recommends !== undefined) opts.installRecommends = args.install_recommends;
  return opts;
}

const SPEC = /^([A-Za-z0-9][A-Za-z0-9+._@-]*)(?::([A-Za-z0-9_-]+))?(?:=(\S+))?$/;

/** Split `name` into specs (pure): a list, or a comma-separated string; duplicates merged. */
export function specsOf(args: PackageArgs): PackageSpec[] {
  const raw = args.name === undefined ? [] : Array.isArray(args.name) ? args.name : args.name.split(',');
  const out = new Map<string, PackageSpec>();
  for (const item of raw) {
    const text = item.trim();
    const m = SPEC.exec(text);
    if (!m?.[1]) {
      throw new ModuleError(`package name ${JSON.stringify(item)} is not a package: give a name like nginx, nginx:amd64 or nginx=1.22.1-9 (one package per list item)`);
    }
    const spec: PackageSpec = { spec: text, name: m[2] !== undefined ? `${m[1]}:${m[2]}` : m[1], base: m[1] };
    if (m[2] !== undefined) spec.arch = m[2];
    if (m[3] !== undefined) {
      if (/[*?[]/.test(m[3])) throw new ModuleError(`package ${text}: version patterns are not supported; pin the exact version (apt-cache policy ${m[1]} lists them)`);
      spec.version = m[3];
    }
    const seen = out.get(spec.name);
    if (seen && seen.version !== spec.version) throw new ModuleError(`package ${spec.name} is asked for twice with different versions (${seen.spec}, ${text}); keep one`);
    out.set(spec.name, spec);
  }
  const specs = [...out.values()];
  if ((args.state ?? 'present') === 'latest') {
    const pinned = specs.find((s) => s.version !== undefined);
    if (pinned) throw new ModuleError(`package ${pinned.spec}: a pinned version contradicts state: latest; use state: present to pin, or drop the version`);
  }
  return specs;
}

function fact(ctx: ModuleContext, key: string): string | undefined {
  const facts = ctx.vars['ansible_facts'];
  if (!facts || typeof facts !== 'object') return undefined;
  const v = (facts as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : undefined;
}

const PROBE = `if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then echo apt
elif command -v dnf >/dev/null 2>&1; then echo dnf
else echo none; fi`;

/** The backend: `use`, else the pkg_mgr fact, else one probe round trip (facts not gathered). */
export async function backendFor(ctx: ModuleContext, use: PackageArgs['use']): Promise<Backend> {
  if (use === 'apt' || use === 'dnf') return BACKENDS[use];
  let mgr = fact(ctx, 'pkg_mgr');
  let source = 'facts: pkg_mgr';
  if (mgr === undefined) {
    const r = await ctx.conn.script(PROBE, [], { becomeUser: ctx.becomeUser });
    mgr = r.stdout.trim();
    source = 'neither apt-get nor dnf found';
  }
  if (mgr === 'apt') return apt;
  if (mgr === 'dnf' || mgr === 'dnf5') return dnf;
  throw new ModuleError(`no supported package manager on this host (${source === 'facts: pkg_mgr' ? `facts say pkg_mgr=${mgr}` : source}); kiln speaks apt and dnf: set use: apt or use: dnf if one is there`);
}

/** Fold check mode's memory in: packages earlier tasks would install or remove, a planned cache update. */
export function withPlannedPackages(s: PackageState, planned: PlannedState): PackageState {
  if (planned.empty) return s;
  const packages = s.packages.map((p, i): PackageInfo => {
    const base = s.specs[i]?.base ?? p.name;
    const e = planned.get('package', base);
    if (!e) return p;
    if (e.state === 'present') return { ...p, planned: 'present', pending: `${base} is planned for install by task '${e.task}'` };
    return { ...p, planned: 'absent', pending: `removal of ${base} is planned by task '${e.task}'` };
  });
  const cache = { ...s.cache };
  const update = s.backend === 'apt' ? planned.path(UPDATE_STAMP) : undefined;
  if (update?.state === 'file') cache.plannedBy = update.task;
  return { ...s, packages, cache };
}

function isInstalled(p: PackageInfo): boolean {
  return p.planned !== undefined ? p.planned === 'present' : p.installed !== undefined;
}

/** Anything dpkg has on disk for it beyond "not installed" / "config files only" (half-installed too). */
function hasFiles(p: PackageInfo): boolean {
  if (p.planned !== undefined) return p.planned === 'present';
  return p.installed !== undefined || (p.status !== 'not-installed' && p.status !== 'config-files');
}

/** Whether the cache is updated first, and why; or why not. */
function cacheDecision(s: PackageState, o: PackageOptions, b: Backend): { update?: string; ok?: string } {
  if (!o.updateCache) return {};
  const n = o.cacheValidTime;
  if (n === undefined) return { update: b.updateText };
  if (s.cache.plannedBy !== undefined) return { ok: `a cache update is planned by task '${s.cache.plannedBy}'` };
  if (b.name === 'dnf') return { update: `${b.updateText} older than cache_valid_time ${n} s` };
  if (s.cache.updatedAt === undefined) return { update: `${b.updateText} (it was never updated)` };
  const a = s.cache.now - s.cache.updatedAt;
  if (a >= n) return { update: `${b.updateText} (last updated ${age(a)} ago, cache_valid_time ${n} s)` };
  return { ok: `the apt cache was updated ${age(a)} ago, within cache_valid_time ${n} s` };
}

/** Pure: the commands that take `s` to what the arguments ask, with their summaries and effects. */
export function decide(s: PackageState, args: PackageArgs): Decision {
  const o = optionsOf(args);
  const b = BACKENDS[s.backend];
  const d: Decision = { changes: [], okReasons: [], effects: [] };
  const cache = cacheDecision(s, o, b);
  if (cache.update !== undefined) {
    d.update = cache.update;
    d.changes.push({ change: { summary: cache.update }, do: { op: 'update' } });
    if (s.backend === 'apt') d.effects.push({ kind: 'path', key: UPDATE_STAMP, state: 'file' });
  } else if (cache.ok !== undefined) d.okReasons.push(cache.ok);
  const updating = d.update !== undefined;
  const change = (summary: string, pending: string | undefined, op: PackageOp, arg: string): void => {
    const c: Change = { summary };
    if (pending !== undefined) c.pending = pending;
    d.changes.push({ change: c, do: { op, arg } });
  };

  // A package apt does not offer fails now, with a clear message, instead of inside apt-get;
  // unless a cache update (this task's or, in check mode, an earlier one's) may bring it.
  const available = (spec: PackageSpec, p: PackageInfo): string | undefined => {
    if (!b.knowsAvailability || updating || p.planned === 'present') return undefined;
    if (s.cache.plannedBy !== undefined && (!p.known || (spec.version !== undefined && !p.versions.includes(spec.version)))) {
      return `an apt cache update is planned by task '${s.cache.plannedBy}'`;
    }
    if (!p.known) throw new ModuleError(`no package ${spec.name} is known to apt (apt-cache policy lists nothing); check the name, or add update_cache: true if the cache is stale or empty`);
    if (spec.version !== undefined && !p.versions.includes(spec.version)) {
      throw new ModuleError(`package ${spec.name} has no version ${spec.version} in the apt cache (it offers ${p.versions.join(', ') || 'none'}); pin one of those, or add update_cache: true`);
    }
    return undefined;
  };
  const installs = (spec: PackageSpec): void => {
    d.effects.push({ kind: 'package', key: spec.base, state: 'present' });
  };

  for (const [i, spec] of s.specs.entries()) {
    const p = s.packages[i];
    if (!p) throw new ModuleError(`no state read for package ${spec.name}`);
    const arg = b.installArg(spec);
    const bare = b.installArg({ ...spec, version: undefined });
    if (o.state === 'absent') {
      if (spec.version !== undefined && p.installed !== undefined && p.planned === undefined && !b.matches(p.installed, spec.version)) {
        d.okReasons.push(`${p.name} ${p.installed} is installed, not ${spec.version}, so there is nothing to remove`);
      } else if (hasFiles(p)) {
        change(`${o.purge ? 'purge' : 'remove'} ${p.planned ? p.name : describe(p)}`, p.pending, 'remove', bare);
        d.effects.push({ kind: 'package', key: spec.base, state: 'absent' });
      } else if (p.configFiles && o.purge) {
        change(`purge the configuration files ${p.name} left behind`, p.pending, 'remove', bare);
      } else if (p.providedBy?.length && p.planned === undefined) {
        // Removing "awk" would not remove mawk: say so rather than pretend it is gone.
        d.okReasons.push(`${p.name} is a virtual package, provided by the installed ${p.providedBy.join(', ')}; nothing is installed under its own name (remove the providing package by name)`);
      } else {
        const rest = p.configFiles ? ' (its configuration files remain; purge: true removes them)' : '';
        d.okReasons.push(p.pending ?? `${p.name} is not installed${rest}`);
      }
      continue;
    }

    if (spec.version !== undefined) {
      if (p.planned === undefined && p.installed !== undefined && b.matches(p.installed, spec.version)) {
        d.okReasons.push(`${p.name} ${p.installed} is installed, as pinned`);
        continue;
      }
      const pending = available(spec, p) ?? p.pending;
      let verb = 'install';
      if (p.planned === undefined && p.installed !== undefined) {
        const from = p.versions.indexOf(p.installed);
        const to = p.versions.indexOf(spec.version);
        verb = from >= 0 && to >= 0 && to > from ? 'downgrade' : from >= 0 && to >= 0 ? 'upgrade' : 'change';
        if (verb === 'downgrade' && !o.allowDowngrade && s.backend === 'apt') {
          throw new ModuleError(`package ${spec.spec} would downgrade the installed ${p.installed}; set allow_downgrade: true if that is meant`);
        }
      }
      change(verb === 'install' ? `install ${p.name} ${spec.version}` : `${verb} ${p.name} ${p.installed} -> ${spec.version}`, pending, 'install', arg);
      installs(spec);
      continue;
    }

    if (isInstalled(p)) {
      if (p.planned !== undefined) {
        d.okReasons.push(`${p.pending}${o.state === 'latest' ? ' (it gets the newest version)' : ''}`);
      } else if (o.state === 'latest' && p.installed !== undefined && p.candidate !== undefined && p.candidate !== p.installed && isNewer(p, p.candidate)) {
        change(`upgrade ${p.name} ${p.installed} -> ${p.candidate}`, undefined, 'upgrade', bare);
        installs(spec);
      } else if (o.state === 'latest' && updating) {
        change(`upgrade ${p.name} if the updated cache offers a newer version than ${p.installed}`, undefined, 'recheck', bare);
        d.okReasons.push(`${p.name} ${p.installed} is the newest version`);
      } else {
        d.okReasons.push(o.state === 'latest' ? `${p.name} ${p.installed} is the newest version` : `${p.name} ${p.installed} is installed`);
      }
      continue;
    }

    // A virtual package is there when a package that provides it is (as Ansible's apt module
    // sees it); state: latest then concerns the providing package, which is named for that.
    if (p.providedBy?.length) {
      const by = p.providedBy.join(', ');
      d.okReasons.push(`${p.name} is a virtual package, provided by the installed ${by}${o.state === 'latest' ? `; to keep it at the newest version, name ${p.providedBy.length === 1 ? by : 'the one you mean'}` : ''}`);
      continue;
    }
    const pending = available(spec, p) ?? p.pending;
    const what = p.status !== 'not-installed' && p.status !== 'config-files' ? `finish installing ${p.name} (dpkg status: ${p.status})` : `install ${p.name}${p.candidate !== undefined && !updating ? ` ${p.candidate}` : ''}`;
    change(what, pending, 'install', arg);
    installs(spec);
  }
  return d;
}

/** Is `version` newer than the installed one? By apt's version table when both are in it, else yes. */
function isNewer(p: PackageInfo, version: string): boolean {
  if (p.installed === undefined) return true;
  const from = p.versions.indexOf(p.installed);
  const to = p.versions.indexOf(version);
  return from < 0 || to < 0 || to < from;
}

/** The one transaction the planned steps make: what the backends run, in their order. */
export function transaction(steps: readonly Step<PackageDo>[], purge: boolean): Transaction {
  const t: Transaction = { install: [], upgrade: [], recheck: [], remove: [], purge, definite: false };
  for (const { change, do: d } of steps) {
    if (d.op === 'update') t.update = change.summary;
    else {
      t[d.op].push(d.arg);
      if (d.op !== 'recheck') t.definite = true;
    }
  }
  return t;
}

/** Pure: the plan for a package task. */
export function planPackage(current: PackageState, args: PackageArgs): Plan<PackageState, PackageDo> {
  const d = decide(current, args);
  const plan: Plan<PackageState, PackageDo> = { steps: d.changes, effects: d.effects, data: { backend: current.backend }, current };
  const reasons = [...d.okReasons];
  if (d.update !== undefined) reasons.unshift(current.backend === 'apt' ? 'apt-get update fetched nothing new' : 'dnf refreshed its metadata, and no package changed');
  if (d.changes.length === 0 || d.update !== undefined) plan.okReason = reasons.join('; ') || 'nothing to do';
  return plan;
}

/** The package module. */
export const packageModule: Module<PackageArgs, PackageState, PackageDo> = {
  name: 'package',

  async read(ctx, args) {
    const opts = optionsOf(args);
    const specs = specsOf(args);
    if (specs.length === 0 && !opts.updateCache) throw new ModuleError('package needs name: (one package or a list), or update_cache: true');
    const backend = await backendFor(ctx, args.use);
    return withPlannedPackages(await backend.read(ctx, specs, opts), ctx.planned);
  },

  plan: planPackage,

  /**
   * Update the cache, then one transaction. If it fails, apt/dpkg leave the packages as they
   * were (a dpkg failure mid-way can leave one "half-configured"; the next run finishes it).
   */
  async apply(ctx, args, plan): Promise<Applied> {
    const o = optionsOf(args);
    return BACKENDS[plan.current.backend].apply(ctx, transaction(plan.steps, o.purge), o, plan.current);
  },
};

export default packageModule;
