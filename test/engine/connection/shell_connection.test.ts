// ShellConnection.warm(): the login shell opened ahead of the first command, errors left to it.
import { strict as assert } from 'node:assert';
import { spawnShell } from '../../../src/engine/connection/local.js';
import { ShellConnection } from '../../../src/engine/connection/shell_connection.js';
import type { ShellOpener } from '../../../src/engine/connection/stream.js';

/** A real local opener that records what it was asked to open. */
function recording(fail = 0): { opener: ShellOpener; opened: string[][] } {
  const opened: string[][] = [];
  let failures = fail;
  const opener: ShellOpener = (argv) => {
    opened.push([...argv]);
    if (failures-- > 0) return Promise.reject(new Error('cannot start sh: EAGAIN'));
    return spawnShell(argv);
  };
  return { opener, opened };
}

describe('ShellConnection.warm', function () {
  this.timeout(20_000);

  it('opens the login shell at once, and the first command uses it', async () => {
    const { opener, opened } = recording();
    const conn = new ShellConnection({ host: 'localhost', opener });
    try {
      conn.warm();
      assert.equal(opened.length, 1, 'opened before any command');
      conn.warm();
      assert.equal(opened.length, 1, 'a second warm() opens nothing more');
      const r = await conn.run(['echo', 'hi']);
      assert.equal(r.stdout, 'hi\n');
      assert.equal(opened.length, 1);
      assert.deepEqual(opened[0]?.slice(0, 2), ['sh', '-c'], 'the login shell, no become');
    } finally {
      await conn.close();
    }
  });

  it('says nothing of a failure; the first command opens the shell again and reports it', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => void unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    const { opener, opened } = recording(2);
    const conn = new ShellConnection({ host: 'localhost', opener });
    try {
      conn.warm();
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(unhandled, []);
      await assert.rejects(conn.run(['true']), /cannot start sh: EAGAIN/);
      assert.equal(opened.length, 2);
      assert.equal((await conn.run(['echo', 'ok'])).stdout, 'ok\n');
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await conn.close();
    }
  });
});
