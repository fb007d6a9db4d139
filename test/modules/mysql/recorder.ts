// A FakeConn for the mysql unit tests: the client runner only uses script(), whose stdin holds the
// defaults file and the SQL.
import type { RunResult } from '../../../src/engine/connection/types.js';
import { FakeConn } from '../fake_conn.js';

export class Recorder extends FakeConn {
  override run(): Promise<RunResult> {
    throw new Error('the client runner uses script(), not run()');
  }
  /** The SQL of each call (stdin after the defaults file). */
  get sql(): string[] {
    return this.calls.map((c) => String(c.opts.stdin ?? '').split('--kiln-end-of-defaults--\n')[1] ?? '');
  }
}
