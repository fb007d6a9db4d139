// A stack of undo steps, pushed as each resource is made, run in reverse: a start that fails
// half-way leaves nothing behind, and the exit hook can run the same steps synchronously.
import { rmSync, unlinkSync } from 'node:fs';
import { rm, unlink } from 'node:fs/promises';
import { destroyCgroup, destroyCgroupSync } from './cgroup.js';
import { runProgram, runProgramSync } from './proc.js';

export type Undo =
  /** SIGKILL the subtree, wait for it to empty, remove it. */
  | { kind: 'cgroup'; path: string }
  /** A command; a failure whose stderr matches `gone` means the thing was already gone. */
  | { kind: 'command'; argv: readonly string[]; gone?: RegExp }
  | { kind: 'remove'; path: string }
  | { kind: 'unlink'; path: string }
  | { kind: 'call'; label: string; run: () => void };

function describe(u: Undo): string {
  switch (u.kind) {
    case 'cgroup':
      return `kill cgroup ${u.path}`;
    case 'command':
      return u.argv.join(' ');
    case 'remove':
    case 'unlink':
      return `remove ${u.path}`;
    case 'call':
      return u.label;
  }
}

function commandFailure(u: { argv: readonly string[]; gone?: RegExp }, r: { code: number | null; stderr: string }): string | undefined {
  if (r.code === 0 || (u.gone && u.gone.test(r.stderr))) return undefined;
  return `${u.argv.join(' ')}: exit ${r.code}: ${r.stderr.trim()}`;
}

export class Cleanup {
  private readonly steps: Undo[] = [];

  push(u: Undo): void {
    this.steps.push(u);
  }

  get empty(): boolean {
    return this.steps.length === 0;
  }

  /** Run every step, newest first; throws one error naming every step that failed. */
  async run(): Promise<void> {
    const errors: string[] = [];
    for (let u = this.steps.pop(); u; u = this.steps.pop()) {
      try {
        switch (u.kind) {
          case 'cgroup':
            await destroyCgroup(u.path);
            break;
          case 'command': {
            const [cmd, ...args] = u.argv as [string, ...string[]];
            const bad = commandFailure(u, await runProgram(cmd, args));
            if (bad) errors.push(bad);
            break;
          }
          case 'remove':
            await rm(u.path, { recursive: true, force: true });
            break;
          case 'unlink':
            await unlink(u.path).catch((e: NodeJS.ErrnoException) => {
              if (e.code !== 'ENOENT') throw e;
            });
            break;
          case 'call':
            u.run();
            break;
        }
      } catch (e) {
        errors.push(`${describe(u)}: ${(e as Error).message}`);
      }
    }
    if (errors.length) throw new Error(`test host teardown left something behind:\n  ${errors.join('\n  ')}`);
  }

  /** run() without the event loop, for process exit. Returns the failures instead of throwing. */
  runSync(): string[] {
    const errors: string[] = [];
    for (let u = this.steps.pop(); u; u = this.steps.pop()) {
      try {
        switch (u.kind) {
          case 'cgroup':
            destroyCgroupSync(u.path);
            break;
          case 'command': {
            const [cmd, ...args] = u.argv as [string, ...string[]];
            const bad = commandFailure(u, runProgramSync(cmd, args));
            if (bad) errors.push(bad);
            break;
          }
          case 'remove':
            rmSync(u.path, { recursive: true, force: true });
            break;
          case 'unlink':
            try {
              unlinkSync(u.path);
            } catch (e) {
              if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
            }
            break;
          case 'call':
            u.run();
            break;
        }
      } catch (e) {
        errors.push(`${describe(u)}: ${(e as Error).message}`);
      }
    }
    return errors;
  }
}
