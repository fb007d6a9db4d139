// A Connection for unit tests: it records every call and answers from a queue of canned results.
import type { Connection, RunOptions, RunResult } from '../../src/engine/connection/types.js';

/** One call a module made: a command (argv) or a kiln script (its args). */
export interface Call {
  kind: 'run' | 'script';
  argv: string[];
  script?: string;
  env?: Readonly<Record<string, string>>;
  /** Everything the call was given (stdin, becomeUser, ...). */
  opts: RunOptions;
}

/** A canned result, or a function of the call that computes one. */
export type Answer = Partial<RunResult> | ((c: Call) => Partial<RunResult>);

export class FakeConn implements Connection {
  readonly host = 'fake';
  readonly calls: Call[] = [];
  constructor(private readonly answers: Answer[]) {}
  run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return this.answer({ kind: 'run', argv: [...argv], env: opts.env, opts });
  }
  script(script: string, args: readonly string[] = [], opts: RunOptions = {}): Promise<RunResult> {
    return this.answer({ kind: 'script', argv: [...args], script, env: opts.env, opts });
  }
  put(): Promise<never> {
    throw new Error('put is not expected');
  }
  get(): Promise<never> {
    throw new Error('get is not expected');
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  /** The commands run, each as one string. */
  get commands(): string[] {
    return this.calls.filter((c) => c.kind === 'run').map((c) => c.argv.join(' '));
  }
  /** The apt-get commands run, each as one string. */
  get aptGets(): string[] {
    return this.calls.filter((c) => c.kind === 'run' && c.argv[0] === 'apt-get').map((c) => c.argv.join(' '));
  }
  private answer(c: Call): Promise<RunResult> {
    this.calls.push(c);
    const a = this.answers.shift();
    if (a === undefined) throw new Error(`unexpected call: ${c.kind} ${c.argv.join(' ')}`);
    return Promise.resolve({ rc: 0, stdout: '', stderr: '', ...(typeof a === 'function' ? a(c) : a) });
  }
}
