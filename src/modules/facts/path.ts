// The path fact: what a host has at some paths (type, mode, owner, size, link target, sha256),
// read in one round trip, plus the check-mode view of what earlier tasks only planned.
import { posix } from 'node:path';
import { ModuleError } from '../../engine/errors.js';
import type { ModuleContext } from '../../engine/module.js';
import type { PlannedState } from '../../engine/planned.js';

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

// Arguments: checksum(0|1) below(0|1) path... Prints NUL-terminated fields: the umask, then per
// path: "L <stat>" / "E <stat>" / "-", the link target, the followed stat or "-", the sha256;
// then, with below=1, `uniq -c` lines of "type mode uid gid user group". No path is printed
// except link targets, so any byte in a name is safe.
export const PATH_SCRIPT = `c=$1; r=$2; shift 2
printf '%s\\0' "$(umask)"
f='%f %a %u %g %s %d:%i %U %G'
for p in "$@"; do
  if [ -L "$p" ]; then
    s=$(stat -c "$f" -- "$p") && t=$(readlink -- "$p"; printf x) || exit 1
    printf 'L %s\\0%s\\0' "$s" "\${t%?x}"
    if [ -e "$p" ]; then s=$(stat -L -c "$f" -- "$p") || exit 1; printf '%s\\0' "$s"; else printf -- '-\\0'; fi
  elif [ -e "$p" ]; then
    s=$(stat -c "$f" -- "$p") || exit 1
    printf 'E %s\\0\\0-\\0' "$s"
  else
    printf -- '-\\0\\0-\\0'
  fi
  if [ "$c" = 1 ] && [ -f "$p" ] && [ ! -L "$p" ]; then
    if command -v sha256sum >/dev/null 2>&1; then h=$(sha256sum < "$p"); else h=$(shasum -a 256 < "$p"); fi || exit 1
    printf '%s\\0' "\${h%% *}"
  else printf '\\0'; fi
done
if [ "$r" = 1 ]; then
  case $1 in -*) d=./$1 ;; *) d=$1 ;; esac
  if [ -d "$d" ] && [ ! -L "$d" ]; then
    printf '%s\\0' "$(find "$d" -mindepth 1 -printf '%y %m %U %G %u %g\\n' | sort | uniq -c)"
  else printf '\\0'; fi
fi`;

/** Stat `paths` on the host in one round trip. Throws ModuleError when the host cannot say. */
export async function readPaths(
  ctx: Pick<ModuleContext, 'conn' | 'becomeUser'>,
  paths: readonly string[],
  opts: PathFactOptions = {},
): Promise<PathFacts> {
  const r = await ctx.conn.script(PATH_SCRIPT, [opts.checksum ? '1' : '0', opts.below ? '1' : '0', ...paths], { becomeUser: ctx.becomeUser });
  if (r.rc !== 0) {
    const why = r.stderr.trim() || `rc=${r.rc}`;
    throw new ModuleError(`cannot read the state of ${paths.join(', ')}: ${why}`, r);
  }
  return parsePathFacts(r.stdout, paths, opts);
}

/** Parse PATH_SCRIPT's output (pure; exported for tests). */
export function parsePathFacts(stdout: string, paths: readonly string[], opts: PathFactOptions = {}): PathFacts {
  const fields = stdout.split('\0');
  let i = 0;
  const next = (): string => {
    const f = fields[i++];
    if (f === undefined) throw new ModuleError(`unexpected path fact output (${fields.length} fields for ${paths.length} paths)`);
    return f;
  };
  const umask = Number.parseInt(next().trim(), 8);
  const out: PathState[] = [];
  for (const path of paths) {
    const self = next();
    const link = next();
    const followed = next();
    const sha = next();
    if (self === '-') {
      out.push({ path, exists: false });
      continue;
    }
    const state = parseStat(path, self.slice(2));
    if (self.startsWith('L ')) {
      state.linkTarget = link;
      state.target = followed === '-' ? { path, exists: false } : parseStat(path, followed);
    }
    if (sha) state.sha256 = sha;
    out.push(state);
  }
  const facts: PathFacts = { paths: out, umask: Number.isNaN(umask) ? 0o022 : umask };
  if (opts.below) facts.below = parseTree(next());
  return facts;
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
    if (own.type === 'absent') return { path, exists: false, pending: `removal of ${path} is planned by task '${own.task}'` };
    const pending = `${own.type} ${path} is planned by task '${own.task}'`;
    if (state.exists && state.type === own.type) return { ...state, pending };
    return { path, exists: true, type: own.type as PathType, pending };
  }
  const dirTask = planned.directoryPlanned(path);
  if (dirTask !== undefined) {
    if (state.exists && (state.type === 'directory' || state.target?.type === 'directory')) return state;
    return { path, exists: true, type: 'directory', pending: `directory ${path} is planned by task '${dirTask}'` };
  }
  for (let dir = parentOf(path); dir !== undefined; dir = parentOf(dir)) {
    const anc = planned.path(dir);
    if (!anc) continue;
    if (anc.type === 'directory' || anc.type === 'link') break;
    const what = anc.type === 'absent' ? `removal of ${dir}` : `${anc.type} ${dir}`;
    return { path, exists: false, pending: `${what} is planned by task '${anc.task}'` };
  }
  return state;
}

/**
 * withPlanned for a directory something will be written into. When it is missing and nothing
 * planned it, a planned package install may still create it (nginx creates /etc/nginx/...):
 * check mode reports the write as pending, saying "may", instead of failing.
 */
export function withPlannedParent(state: PathState, planned: PlannedState): PathState {
  const s = withPlanned(state, planned);
  if (s.exists || s.pending !== undefined) return s;
  const install = planned.plannedInstalls().at(-1);
  if (!install) return s;
  return { path: s.path, exists: true, type: 'directory', pending: `${s.path} does not exist yet; task '${install.task}' plans package installs that may create it` };
}

/** The directory holding `path`, or undefined at the root ("/" or a bare relative name). */
export function parentOf(path: string): string | undefined {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const dir = posix.dirname(trimmed);
  return dir === trimmed || dir === '.' ? undefined : dir;
}
