// A task's `timeout:` (seconds), as in Ansible: every command the task runs on the host gets what
// is left of it. The connection runs the command under GNU timeout, which kills the command's
// whole process group (TERM, then KILL 5 s later), and the task fails saying it timed out.
import type { Connection, RunOptions, RunResult } from '../connection/types.js';

export class TaskDeadline {
  timedOut = false;
  private readonly end: number;

  constructor(readonly seconds: number) {
    this.end = Date.now() + seconds * 1000;
  }

  /** Whole seconds left, at least 1 (a command is never started with no time at all). */
  private left(): number {
    return Math.max(1, Math.ceil((this.end - Date.now()) / 1000));
  }

  private limit(opts: RunOptions | undefined): RunOptions {
    const left = this.left();
    return { ...opts, timeoutSec: opts?.timeoutSec !== undefined ? Math.min(opts.timeoutSec, left) : left };
  }

  private seen(r: RunResult): RunResult {
    if (r.timedOut) this.timedOut = true;
    return r;
  }

  /** The task's view of the connection: the same, with the deadline on every command. */
  wrap(conn: Connection): Connection {
    return {
      get host() {
        return conn.host;
      },
      run: async (argv, opts) => this.seen(await conn.run(argv, this.limit(opts))),
      script: async (script, args, opts) => this.seen(await conn.script(script, args, this.limit(opts))),
      put: (content, path, opts) => conn.put(content, path, opts),
      get: (path, opts) => conn.get(path, opts),
      close: () => conn.close(),
    };
  }

  /** Ansible's words for it. */
  message(module: string): string {
    return `The ${module} action failed to execute in the expected time frame (${this.seconds}) and was terminated (timeout: ${this.seconds} s; the command and its children were killed)`;
  }
}
