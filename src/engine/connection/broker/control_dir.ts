// Where the broker's socket lives, and whether that place is private enough to hold it: the
// socket carries login secrets and hands out logged-in connections, so only its owner may reach it.
import { lstatSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { packageJson } from '../../paths.js';
import { PROTOCOL } from './protocol.js';

/** The environment variable that moves the control directory (default ~/.kiln/cp, like ~/.ansible/cp). */
export const CONTROL_DIR_ENV = 'KILN_CONTROL_DIR';

// sun_path is 108 bytes on Linux, including the terminating NUL.
const MAX_SOCKET_PATH = 107;

export function controlDir(env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  return env[CONTROL_DIR_ENV] || join(home, '.kiln', 'cp');
}

/**
 * The socket's name: the protocol and kiln's version, so that a broker another kiln version left
 * running is never spoken to (each version starts its own).
 */
export function socketName(): string {
  return `ssh-broker-p${PROTOCOL}-${packageJson().version.replace(/[^A-Za-z0-9.]/g, '_')}.sock`;
}

/**
 * Create the control directory (0700) if needed and return the socket path in it, or a problem
 * (what is wrong, and the fix) when kiln must not use it: not a directory, owned by someone else,
 * group/other-accessible, a socket path that is a symlink or no socket, or a path too long.
 */
export function controlSocket(dir: string): { path: string } | { problem: string } {
  const fix = `or set ${CONTROL_DIR_ENV} to a private directory`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    return { problem: `cannot create the control directory ${dir}: ${(e as Error).message}; ${fix}` };
  }
  const st = statSync(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory()) return { problem: `the control directory ${dir} is not a directory; ${fix}` };
  if (uid !== undefined && st.uid !== uid) return { problem: `the control directory ${dir} belongs to uid ${st.uid}, not to you (uid ${uid}); ${fix}` };
  if (st.mode & 0o077) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    return { problem: `the control directory ${dir} is accessible to group or others (mode ${mode}): run chmod 700 ${dir}, ${fix}` };
  }
  const path = join(dir, socketName());
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) return { problem: `the control socket path ${path} is longer than ${MAX_SOCKET_PATH} bytes; set ${CONTROL_DIR_ENV} to a shorter directory` };
  try {
    const sock = lstatSync(path);
    if (sock.isSymbolicLink()) return { problem: `the control socket ${path} is a symbolic link: remove it` };
    if (!sock.isSocket()) return { problem: `the control socket ${path} is not a socket: remove it` };
  } catch {
    // not there: the broker creates it
  }
  return { path };
}
