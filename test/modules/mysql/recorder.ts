// A Connection for the mysql unit tests: records every script call with its options (stdin:
// the defaults file and the SQL) and answers from a queue of canned results.
import type { Connection, RunOptions, RunResult } from '../../../src/engine/connection/types.js';

/** A connection that records script calls and answers from a queue. */
export class Recorder implements Connection {
  readonly host = 'fake';
  readonly calls: { script: string; args: readonly string[]; opts: RunOptions }[] = [];
  constructor(private readonly answers: Partial<RunResult>[]) {}
  run(): Promise<RunResult> {
    throw new Error('the client runner uses script(), not run()');
  }
  /** The SQL of each call (stdin after the defaults file). */
  get sql(): string[] {
    return this.calls.map((c) => String(c.opts.stdin ?? '').split('--kiln-end-of-defaults--\n')[1] ?? '');
  }
  script(script: string, args: readonly string[] = [], opts: RunOptions = {}): Promise<RunResult> {
    this.calls.push({ script, args, opts });
    const a = this.answers.shift();
    if (!a) throw new Error('unexpected script call');
    return Promise.resolve({ rc: 0, stdout: '', stderr: '', ...a });
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
}
