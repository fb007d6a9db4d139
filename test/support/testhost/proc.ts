// Running the machine's own tools (ip, debootstrap, ssh-keygen...) from the test-host harness,
// asynchronously in normal use and synchronously from the process-exit hook.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export interface ProgramResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ProgramOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Run a program (no shell) and collect its output; never rejects for a non-zero exit. */
export function runProgram(cmd: string, args: readonly string[], opts: ProgramOptions = {}): Promise<ProgramResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
    let stdout = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) {
      timer = setTimeout(() => {
        stderr += `\n[killed after ${opts.timeoutMs} ms]`;
        child.kill('SIGKILL');
      }, opts.timeoutMs);
    }
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Run a program and return its stdout; throws with the command line and stderr on failure. */
export async function mustRun(cmd: string, args: readonly string[], opts: ProgramOptions = {}): Promise<string> {
  const r = await runProgram(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${[cmd, ...args].join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** The synchronous twin of runProgram, for the exit hook (no event loop there). */
export function runProgramSync(cmd: string, args: readonly string[]): ProgramResult {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error ? r.error.message : '') };
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Block the thread for `ms` (only the exit hook does this). */
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether a process exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** A process's start time (clock ticks since boot), to tell a live owner from a reused PID. */
export function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Throw a message naming the Debian package when `cmd` is not on PATH. */
export function requireProgram(cmd: string, debianPackage: string): void {
  const dirs = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/sbin']);
  if (dirs.some((d) => d && existsSync(`${d}/${cmd}`))) return;
  throw new Error(`test hosts need ${cmd}, which is not installed: apt-get install ${debianPackage} (.ci/run installs it)`);
}

/** Test hosts make namespaces, mounts and cgroups: only root can. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('test hosts need root (namespaces, overlayfs, cgroups, veths)');
}
