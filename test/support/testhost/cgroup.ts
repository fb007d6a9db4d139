// Test hosts live in their own cgroup2 subtree: it is how they are killed (never by process name,
// since the machine's `ps` shows the hosts' daemons) and the root of their cgroup namespace.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep, sleepSync } from './proc.js';

let root: string | undefined;

/** Where cgroup2 is mounted on this machine (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts). */
export function cgroup2Root(): string {
  if (root) return root;
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    // "id parent maj:min root mountpoint opts ... - fstype source superopts"
    const [left, right] = line.split(' - ');
    if (!left || !right || right.split(' ')[0] !== 'cgroup2') continue;
    const mountPoint = left.split(' ')[4];
    if (mountPoint) return (root = mountPoint.replace(/\\040/g, ' '));
  }
  throw new Error('test hosts need cgroup2, and it is not mounted here (mount -t cgroup2 none /sys/fs/cgroup/unified)');
}

/** The harness's own subtree: <cgroup2>/kiln-testhost. */
export function harnessCgroup(): string {
  return join(cgroup2Root(), 'kiln-testhost');
}

export function makeCgroup(path: string): void {
  mkdirSync(path, { recursive: true });
}

/** Every PID in the cgroup and below it. */
export function cgroupPids(path: string): number[] {
  const out: number[] = [];
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    try {
      for (const l of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (l) out.push(Number(l));
    } catch {
      // removed meanwhile
    }
    for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name));
  };
  walk(path);
  return out;
}

function populated(path: string): boolean {
  try {
    return /^populated 1$/m.test(readFileSync(join(path, 'cgroup.events'), 'utf8'));
  } catch {
    return false;
  }
}

function signalAll(path: string): void {
  // cgroup.kill (Linux 5.14+) kills the whole subtree atomically, forks in flight included.
  if (existsSync(join(path, 'cgroup.kill'))) {
    writeFileSync(join(path, 'cgroup.kill'), '1');
    return;
  }
  for (const pid of cgroupPids(path)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

function removeTree(path: string): void {
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(join(dir, e.name));
    rmdirSync(dir);
  };
  walk(path);
}

/**
 * SIGKILL everything in the cgroup and below, wait until it is empty, then remove it. If this
 * throws, processes may still be running in it (named in the message).
 */
export async function destroyCgroup(path: string, timeoutMs = 15_000): Promise<void> {
  for (const ms of destroying(path, timeoutMs)) await sleep(ms);
}

/** destroyCgroup for the exit hook. */
export function destroyCgroupSync(path: string, timeoutMs = 15_000): void {
  for (const ms of destroying(path, timeoutMs)) sleepSync(ms);
}

/** The steps of destroyCgroup; it yields how long to wait, so one body serves the async and the sync caller. */
function* destroying(path: string, timeoutMs: number): Generator<number, void> {
  if (!existsSync(path)) return;
  const until = Date.now() + timeoutMs;
  signalAll(path);
  while (populated(path)) {
    if (Date.now() > until) throw new Error(`cgroup ${path} still holds PIDs ${cgroupPids(path).join(' ')} after SIGKILL`);
    yield 20;
    signalAll(path);
  }
  // The kernel can report "populated 0" a moment before rmdir stops answering EBUSY.
  for (let i = 0; ; i++) {
    try {
      removeTree(path);
      return;
    } catch (e) {
      if (i >= 50) throw e;
    }
    yield 20;
  }
}

/** Remove an empty cgroup; leaves it when something else still lives in it. */
export function removeIfEmpty(path: string): void {
  try {
    rmdirSync(path);
  } catch {
    // not empty (another run's slot) or already gone
  }
}

/**
 * Start `argv` as a detached process that has moved itself into `cgroup` before exec, so it and
 * everything it forks can be killed through the cgroup. Output goes to `logFile`.
 */
export function spawnInCgroup(cgroup: string, argv: readonly string[], logFile: string, env?: NodeJS.ProcessEnv): ChildProcess {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn('sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroup, ...argv], {
      stdio: ['ignore', fd, fd],
      detached: true,
      env: env ?? process.env,
    });
    child.on('error', () => undefined);
    child.unref();
    return child;
  } finally {
    closeSync(fd);
  }
}
