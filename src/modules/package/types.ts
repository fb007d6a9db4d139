// What the package module and its backends (apt, dnf) share: the state read, the decision taken.
import type { Applied, ModuleContext, Step } from '../../engine/module.js';
import type { Effect } from '../../engine/planned.js';

export type PackageWant = 'present' | 'absent' | 'latest';

/** One entry of `name`, split: `nginx:amd64=1.22.1-9` → name nginx:amd64, base nginx, version. */
export interface PackageSpec {
  /** As the user wrote it. */
  spec: string;
  /** The package with its architecture qualifier, if any (what dpkg-query and rpm are asked about). */
  name: string;
  /** The package without an architecture qualifier (the key in check mode's memory). */
  base: string;
  arch?: string;
  /** The pinned version (`name=version`), if any. */
  version?: string;
}

/** One package as the host knows it. */
export interface PackageInfo {
  name: string;
  /** The installed version; undefined when not (fully) installed. */
  installed?: string;
  /** The package manager's own word for its state ("installed", "config-files", "unpacked", "not-installed"). */
  status: string;
  /** Removed, but its configuration files are still there (apt: dpkg status config-files). */
  configFiles: boolean;
  /** The package manager's cache knows this name (apt-cache policy printed it). Unknown for dnf. */
  known?: boolean;
  /** The version an install or upgrade would get now; undefined when there is none. */
  candidate?: string;
  /** Every version the cache offers, newest first (apt's version table). */
  versions: string[];
  /**
   * A virtual package (apt: a name only other packages' Provides list): the installed packages
   * that provide it. Read only for names not installed that apt offers no version of.
   */
  providedBy?: string[];
  /** Check mode: what an earlier task only planned for this package (the state above is the real one). */
  planned?: 'present' | 'absent';
  /** Check mode: the note for changes that depend on `planned`. */
  pending?: string;
}

/** How old the package cache is, measured on the host's clock. */
export interface CacheInfo {
  /** The host's time, seconds since the epoch. */
  now: number;
  /** When the cache was last updated successfully (seconds), if known. */
  updatedAt?: number;
  /** What said so (apt: the update stamp's mtime, or the ctime of the newest index in the lists folder). */
  source?: string;
  /** apt: a fingerprint of the Release files (RELEASE_SUM_SCRIPT's output), to tell whether an update fetched anything new. */
  releaseSum?: string;
  /** Check mode: an earlier task plans a cache update. */
  plannedBy?: string;
}

/** What read found: one PackageInfo per spec, in order. */
export interface PackageState {
  backend: BackendName;
  specs: PackageSpec[];
  packages: PackageInfo[];
  cache: CacheInfo;
}

export type BackendName = 'apt' | 'dnf';

/** The normalised arguments the backends work with. */
export interface PackageOptions {
  state: PackageWant;
  updateCache: boolean;
  cacheValidTime?: number;
  purge: boolean;
  /** undefined: the host's package manager default. */
  installRecommends?: boolean;
  allowDowngrade: boolean;
  lockTimeoutSec: number;
}

/** What one planned step of a package task does: the cache update, or one package in the transaction. */
export type PackageOp = 'install' | 'upgrade' | 'recheck' | 'remove';
export type PackageDo = { op: 'update' } | { op: PackageOp; arg: string };

/** The commands that close the gap, as apply runs them: built from the plan's steps (package.ts transaction). */
export interface Transaction {
  /** Why the cache is updated; undefined: no update. */
  update?: string;
  /** Specs to install (apt: name or name=version; dnf: name or name-version), new or re-pinned. */
  install: string[];
  /** Installed packages to bring to the newest version. */
  upgrade: string[];
  /** `latest` packages that looked current before the cache update: asked again after it. */
  recheck: string[];
  remove: string[];
  purge: boolean;
  /** Some change happens whatever the cache update brings (not only update/recheck). */
  definite: boolean;
}

/** The pure decision: the steps (whose transaction apply runs) and why the rest is as asked. */
export interface Decision {
  /** Why the cache is updated; undefined: no update. */
  update?: string;
  changes: Step<PackageDo>[];
  okReasons: string[];
  effects: Effect[];
}

/** A package manager: how it reads, how pins compare, how it applies a decision. */
export interface Backend {
  readonly name: BackendName;
  /**
   * Every spec and the cache age in one round trip (apt: a second only when some name is not
   * installed and offers no version, to find what provides it). Changes nothing.
   */
  read(ctx: ModuleContext, specs: PackageSpec[], opts: PackageOptions): Promise<PackageState>;
  /** Does the installed version satisfy the pin? */
  matches(installed: string, pin: string): boolean;
  /** The install argument for a spec (with its version when pinned). */
  installArg(spec: PackageSpec): string;
  /** Whether `known`/`versions` are read (apt) or left unknown (dnf). */
  readonly knowsAvailability: boolean;
  /** What a cache update is called in change summaries. */
  readonly updateText: string;
  /**
   * Run the decision: update, then one install/upgrade transaction, then one removal. A failure
   * throws ModuleError; whatever an earlier command of the same task did stays done.
   */
  apply(ctx: ModuleContext, d: Transaction, opts: PackageOptions, current: PackageState): Promise<Applied>;
}

/** The package's state word and version as one phrase: "nginx 1.22.1-9", "nginx (unpacked)". */
export function describe(p: PackageInfo): string {
  if (p.installed !== undefined) return `${p.name} ${p.installed}`;
  return p.status === 'not-installed' ? p.name : `${p.name} (${p.status})`;
}

/** The lines of a command's output worth quoting in an error, at most `max`. */
export function relevantLines(text: string, pattern: RegExp, max = 8): string[] {
  const lines = text.split('\n').map((l) => l.trimEnd()).filter((l) => pattern.test(l));
  return lines.slice(0, max);
}

/** "3 h", "12 min", "40 s": an age for humans. */
export function age(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}
