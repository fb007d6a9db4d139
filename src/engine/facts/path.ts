// The path fact: what a host has at some paths (type, mode, owner, size, link target, sha256),
// read in one round trip, plus the check-mode view of what earlier tasks only planned.
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { ModuleError } from '../errors.js';
import type { Connection } from '../connection/types.js';
import type { PlannedState } from '../planned.js';

/** What a path is; 'other' covers fifos, sockets and devices. */
export type PathType = 'file' | 'directory' | 'link' | 'other';

/** One path on the host (or, in check mode, as earlier tasks would leave it). */
export interface PathState {
  path: string;
  exists: boolean;
  type?: PathType;
  /** Permission bits as a number (0o644); `modeText` gives "0644". */
  mode?: number;
  owner?: string;
  group?: string;
  uid?: number;
  gid?: number;
  size?: number;
  /** "device:inode", to tell whether two paths are the same file (hard links). */
  inode?: string;
  /** A link's target as stored in the link (not resolved). */
  linkTarget?: string;
  /** A link's referent (followed); `exists: false` when the link dangles. */
  target?: PathState;
  /** Hex sha256 of a regular file's content, when asked for. */
  sha256?: string;
  /**
   * Check mode: an earlier task only planned this path, so the state here is a prediction
   * (attributes unknown unless the real path already had the planned type). The text is the
   * `pending` note for changes that depend on it.
   */
  pending?: string;
}

/** Entries below a directory, grouped by identical (type, mode, owner, group). */
export interface TreeEntry {
  count: number;
  type: PathType;
  mode: number;
  uid: number;
  gid: number;
  owner: string;
  group: string;
}

/** The answer of one readPaths round trip. */
export interface PathFacts {
  /** One state per path asked for, in the same order. */
  paths: PathState[];
  /** The session's umask (0o022), for the mode new files and directories get. */
  umask: number;
  /** With `below`: what lies under the first path (empty when it is not a directory). */
  below?: TreeEntry[];
}

/** Extra work readPaths does in the same round trip. */
export interface PathFactOptions {
  /** Compute sha256 of every path that is a regular file (not a link). */
  checksum?: boolean;
  /** Summarise the entries below the first path (for recursive mode/owner changes). */
  below?: boolean;
}

/** What one task's read asks for: `read` uses it, and the runner reads several tasks' ahead at once. */
export interface PathQuery extends PathFactOptions {
  paths: string[];
}

/** One path of a batched read, with the extras asked for it. */
export interface PathAsk {
  path: string;
  checksum?: boolean;
  below?: boolean;
}

/** What a batched read found at one path. */
export interface PathEntry {
  state: PathState;
  /** sha256 was asked for (it is set when the path is a regular file). */
  checksummed: boolean;
  /** The summary below the path, when asked for ([] when it is not a directory). */
  below?: TreeEntry[];
}

/** The answer of one batched read: one entry per distinct path, and the session's umask. */
export interface PathBatch {
  entries: Map<string, PathEntry>;
  umask: number;
}

/** The runner's read-ahead (PathReads, path_cache.ts), as readPaths uses it. */
export interface ReadAhead {
  /** Bumped by every apply: facts read at an older generation are stale. */
  readonly generation: number;
  lookup(conn: Connection, becomeUser: string | undefined, paths: readonly string[], opts: PathFactOptions): PathFacts | undefined;
  store(conn: Connection, becomeUser: string | undefined, batch: PathBatch, generation: number): void;
}

/** Where readPaths reads (a module's context has these): the connection, the become user, the read-ahead. */
export interface PathReader {
  readonly conn: Connection;
  readonly becomeUser?: string;
  readonly reads?: ReadAhead;
}

// Arguments: a separator token, then "flags path" pairs (flags: c = sha256, b = summary below, - =
// neither). A fixed number of programs whatever the number of paths: one lstat over all of them,
// one readlink and one stat -L over the links, one sha256sum over the files to checksum, and
// find | sort | uniq for each summary. Each `pick` runs in a function, so "$@" there is its own
// copy, filtered in place without forks. Sections are split by the separator; stat and sha256sum
// print each path after its fields and NUL after it, so any byte but NUL is safe in a name.
export const PATH_SCRIPT = `x=$1; shift
f='%f %a %u %g %s %d:%i %U %G %n\\0'
lstats() { n=$#; while [ "$n" -gt 0 ]; do set -- "$@" "$2"; shift 2; n=$((n-2)); done
  [ $# -eq 0 ] || stat --printf "$f" -- "$@" 2>/dev/null; return 0; }
links() { n=$#; while [ "$n" -gt 0 ]; do [ -L "$2" ] && set -- "$@" "$2"; shift 2; n=$((n-2)); done
  [ $# -eq 0 ] || printf '%s\\0' "$@"; printf '%s\\0' "$x"
  [ $# -eq 0 ] || readlink -z -- "$@" || return 1; printf '%s\\0' "$x"
  [ $# -eq 0 ] || stat -L --printf "$f" -- "$@" 2>/dev/null; return 0; }
sums() { n=$#; while [ "$n" -gt 0 ]; do case $1 in *c*) [ -f "$2" ] && [ ! -L "$2" ] && set -- "$@" "$2" ;; esac; shift 2; n=$((n-2)); done
  [ $# -eq 0 ] || sha256sum -z -- "$@"; }
below() { n=$#; while [ "$n" -gt 0 ]; do case $1 in *b*) set -- "$@" "$2" ;; esac; shift 2; n=$((n-2)); done
  for p in "$@"; do
    case $p in -*) d=./$p ;; *) d=$p ;; esac
    printf '%s\\0' "$p"
    if [ -d "$d" ] && [ ! -L "$d" ]; then find "$d" -mindepth 1 -printf '%y %m %U %G %u %g\\n' | sort | uniq -c; fi
    printf '\\0'
  done; }
umask; printf '\\0%s\\0' "$x"
lstats "$@"; printf '%s\\0' "$x"
links "$@" || exit 1; printf '%s\\0' "$x"
sums "$@" || exit 1; printf '%s\\0' "$x"
below "$@"; printf '%s\\0' "$x"`;

/**
 * Stat `paths` on the host in one round trip. Throws ModuleError when the host cannot say.
 * With `ctx.reads`, facts the runner read ahead answer without a round trip while nothing has
 * been applied since.
 */
export async function readPaths(ctx: PathReader, paths: readonly string[], opts: PathFactOptions = {}): Promise<PathFacts> {
  const cached = ctx.reads?.lookup(ctx.conn, ctx.becomeUser, paths, opts);
  if (cached) return cached;
  const generation = ctx.reads?.generation;
  const batch = await readPathBatch(ctx, asks({ paths: [...paths], ...opts }));
  if (generation !== undefined) ctx.reads?.store(ctx.conn, ctx.becomeUser, batch, generation);
  return factsOf(batch, paths, opts);
}

/** A query as the paths of a batched read (the summary below is asked for the first path only). */
export function asks(q: PathQuery): PathAsk[] {
  return q.paths.map((path, i) => ({ path, checksum: q.checksum === true, below: q.below === true && i === 0 }));
}

/** Read many paths (several tasks' queries) in one round trip. */
export async function readPathBatch(ctx: Pick<PathReader, 'conn' | 'becomeUser'>, list: readonly PathAsk[]): Promise<PathBatch> {
  const flags = new Map<string, string>();
  for (const a of list) {
    const f = flags.get(a.path) ?? '';
    flags.set(a.path, `${f}${a.checksum && !f.includes('c') ? 'c' : ''}${a.below && !f.includes('b') ? 'b' : ''}`);
  }
  const sep = `--kiln-${randomBytes(8).toString('hex')}--`;
  const args = [sep, ...[...flags].flatMap(([path, f]) => [f || '-', path])];
  const r = await ctx.conn.script(PATH_SCRIPT, args, { becomeUser: ctx.becomeUser });
  if (r.rc !== 0) {
    const why = r.stderr.trim() || `rc=${r.rc}`;
    throw new ModuleError(`cannot read the state of ${[...flags.keys()].join(', ')}: ${why}`, r);
  }
  return parsePathBatch(r.stdout, sep, flags);
}

/** Parse PATH_SCRIPT's output (pure; exported for tests). `flags`: path → what was asked ("c", "b"). */
export function parsePathBatch(stdout: string, sep: string, flags: ReadonlyMap<string, string>): PathBatch {
  const fields = stdout.split('\0');
  const sections: string[][] = [[]];
  for (const f of fields) {
    if (f === sep) sections.push([]);
    else (sections.at(-1) as string[]).push(f);
  }
  // umask, lstat, link paths, link targets, followed links, sha256, summaries, and the empty tail.
  if (sections.length !== 8) throw new ModuleError(`unexpected path fact output (${sections.length - 1} of 7 sections)`);
  const [head, lstat, linkPaths, linkTargets, followed, sums, below] = sections as [string[], string[], string[], string[], string[], string[], string[]];
  const umask = Number.parseInt((head[0] ?? '').trim(), 8);
  const byName = (records: string[]): Map<string, string> => {
    const m = new Map<string, string>();
    for (const rec of records) {
      if (!rec) continue;
      const at = nthSpace(rec, 8);
      if (at < 0) throw new ModuleError(`unexpected stat output: ${JSON.stringify(rec)}`);
      m.set(rec.slice(at + 1), rec.slice(0, at));
    }
    return m;
  };
  const stats = byName(lstat);
  const targets = byName(followed);
  const links = new Map<string, string>();
  if (linkPaths.length !== linkTargets.length) throw new ModuleError(`unexpected readlink output (${linkTargets.length} targets for ${linkPaths.length} links)`);
  linkPaths.forEach((p, i) => links.set(p, linkTargets[i] as string));
  const hashes = new Map<string, string>();
  for (const rec of sums) {
    if (!rec) continue;
    const m = /^([0-9a-f]{64}) [ *](.*)$/s.exec(rec);
    if (!m) throw new ModuleError(`unexpected sha256sum output: ${JSON.stringify(rec)}`);
    hashes.set(m[2] as string, m[1] as string);
  }
  const trees = new Map<string, TreeEntry[]>();
  for (let i = 0; i + 1 < below.length; i += 2) trees.set(below[i] as string, parseTree(below[i + 1] as string));
  const entries = new Map<string, PathEntry>();
  for (const [path, f] of flags) {
    const line = stats.get(path);
    let state: PathState;
    if (line === undefined) state = { path, exists: false };
    else {
      state = parseStat(path, line);
      if (state.type === 'link') {
        state.linkTarget = links.get(path) ?? '';
        const t = targets.get(path);
        state.target = t === undefined ? { path, exists: false } : parseStat(path, t);
      }
      const sha = hashes.get(path);
      if (sha) state.sha256 = sha;
    }
    const entry: PathEntry = { state, checksummed: f.includes('c') };
    if (f.includes('b')) entry.below = trees.get(path) ?? [];
    entries.set(path, entry);
  }
  return { entries, umask: Number.isNaN(umask) ? 0o022 : umask };
}

/** The facts one query asks for, out of a batch (or a snapshot) holding all its paths. */
export function factsOf(batch: PathBatch, paths: readonly string[], opts: PathFactOptions = {}): PathFacts {
  const out: PathState[] = paths.map((p) => {
    const e = batch.entries.get(p);
    if (!e) throw new ModuleError(`no state read for ${p}`);
    return copyState(e.state);
  });
  const facts: PathFacts = { paths: out, umask: batch.umask };
  if (opts.below) facts.below = (batch.entries.get(paths[0] as string)?.below ?? []).map((t) => ({ ...t }));
  return facts;
}

/**
 * A copy a module may change without touching the batch it came from: a PathState holds only
 * primitives and, for a link, its target (structuredClone did the same at 10x the cost).
 */
function copyState(s: PathState): PathState {
  return s.target ? { ...s, target: copyState(s.target) } : { ...s };
}

/** Index of the n-th space in s (1-based), or -1. */
function nthSpace(s: string, n: number): number {
  let at = -1;
  for (let k = 0; k < n; k++) {
    at = s.indexOf(' ', at + 1);
    if (at < 0) return -1;
  }
  return at;
}

function parseStat(path: string, line: string): PathState {
  const [raw, perm, uid, gid, size, inode, owner, group] = line.trim().split(/\s+/);
  if (raw === undefined || perm === undefined || group === undefined) throw new ModuleError(`unexpected stat output for ${path}: ${JSON.stringify(line)}`);
  return {
    path,
    exists: true,
    type: typeOfRaw(Number.parseInt(raw, 16)),
    mode: Number.parseInt(perm, 8) & 0o7777,
    uid: Number(uid),
    gid: Number(gid),
    size: Number(size),
    inode,
    owner,
    group,
  };
}

function typeOfRaw(raw: number): PathType {
  switch (raw & 0o170000) {
    case 0o100000:
      return 'file';
    case 0o040000:
      return 'directory';
    case 0o120000:
      return 'link';
    default:
      return 'other';
  }
}

const FIND_TYPES: Record<string, PathType> = { f: 'file', d: 'directory', l: 'link' };

function parseTree(text: string): TreeEntry[] {
  const out: TreeEntry[] = [];
  for (const line of text.split('\n')) {
    const [count, y, m, uid, gid, owner, group] = line.trim().split(/\s+/);
    if (!count || !y || !m || group === undefined) continue;
    out.push({ count: Number(count), type: FIND_TYPES[y] ?? 'other', mode: Number.parseInt(m, 8) & 0o7777, uid: Number(uid), gid: Number(gid), owner: owner ?? '', group });
  }
  return out;
}

/** "0644": four octal digits, the way users write modes. */
export function modeText(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

/**
 * Fold check mode's memory into a real state: a path an earlier task would create, replace or
 * remove (itself, as a planned directory's ancestor, or below a planned removal) is reported the
 * way it would be, with `pending` naming the task.
 */
export function withPlanned(state: PathState, planned: PlannedState): PathState {
  const { path } = state;
  if (planned.empty) return state;
  const own = planned.path(path);
  if (own) {
    if (own.state === 'absent') return { path, exists: false, pending: `removal of ${path} is planned by task '${own.task}'` };
    const pending = `${own.state} ${path} is planned by task '${own.task}'`;
    if (state.exists && state.type === own.state) return { ...state, pending };
    return { path, exists: true, type: own.state as PathType, pending };
  }
  const dirTask = planned.directoryPlanned(path);
  if (dirTask !== undefined) {
    if (state.exists && (state.type === 'directory' || state.target?.type === 'directory')) return state;
    return { path, exists: true, type: 'directory', pending: `directory ${path} is planned by task '${dirTask}'` };
  }
  for (let dir = parentOf(path); dir !== undefined; dir = parentOf(dir)) {
    const anc = planned.path(dir);
    if (!anc) continue;
    if (anc.state === 'directory' || anc.state === 'link') break;
    const what = anc.state === 'absent' ? `removal of ${dir}` : `${anc.state} ${dir}`;
    return { path, exists: false, pending: `${what} is planned by task '${anc.task}'` };
  }
  return state;
}

/** The directory holding `path`, or undefined at the root ("/" or a bare relative name). */
export function parentOf(path: string): string | undefined {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const dir = posix.dirname(trimmed);
  return dir === trimmed || dir === '.' ? undefined : dir;
}
