// Where kiln keeps its caches, and whether that folder can be trusted: what it holds is read back
// as input to the engine, so only a folder of the current user that nobody else may write is used.
import { lstatSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { debuglog } from 'node:util';

/** Set KILN_CACHE_DIR to this to turn every kiln cache off. */
export const CACHE_OFF = 'off';

// NODE_DEBUG=kiln shows why a cache folder is not used; a normal run says nothing.
const note = debuglog('kiln');

/** The cache root: $KILN_CACHE_DIR, else $XDG_CACHE_HOME/kiln, else ~/.cache/kiln; undefined when off. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const own = env.KILN_CACHE_DIR;
  if (own === CACHE_OFF) return undefined;
  if (own) return resolve(own);
  // The XDG spec says to ignore a relative XDG_CACHE_HOME.
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'kiln');
  const home = homedir();
  return home ? join(home, '.cache', 'kiln') : undefined;
}

const decided = new Map<string, string | undefined>();

/**
 * The folder `name` below the cache root, created (0700) when missing. Undefined when caching is
 * off, or when the root or the folder is a symbolic link, not a directory, not the current user's,
 * or writable by group or others: then nothing is cached, and nothing is said but one debug note.
 */
export function cacheDir(name: string): string | undefined {
  const root = cacheRoot();
  if (root === undefined) return undefined;
  const dir = join(root, name);
  if (decided.has(dir)) return decided.get(dir);
  const why = prepare(root, true) ?? prepare(dir, false);
  if (why) note('not caching in %s: %s', dir, why);
  decided.set(dir, why ? undefined : dir);
  return decided.get(dir);
}

/** Create `dir` if missing (checking first, so a symlink is never followed), then check it. */
function prepare(dir: string, withParents: boolean): string | undefined {
  try {
    if (!exists(dir)) mkdirSync(dir, { recursive: withParents, mode: 0o700 });
    return untrusted(dir);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e);
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** Why `dir` must not be trusted, if it must not. */
export function untrusted(dir: string): string | undefined {
  const st = lstatSync(dir);
  if (st.isSymbolicLink()) return 'it is a symbolic link';
  if (!st.isDirectory()) return 'it is not a directory';
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) return `it belongs to uid ${st.uid}, not ${uid}`;
  if (st.mode & 0o022) return `group or others may write it (mode ${(st.mode & 0o777).toString(8)})`;
  return undefined;
}

/** Forget the folders checked so far (tests change KILN_CACHE_DIR between cases). */
export function forgetCacheDirs(): void {
  decided.clear();
}
