import { moduleTraits } from '../../src/engine/schema/traits.js';
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { localConnection } from '../../src/engine/connection/local.js';
import type { ShellConnection } from '../../src/engine/connection/shell_connection.js';
import { ModuleError } from '../../src/engine/errors.js';
import { UNPREDICTABLE } from '../../src/modules/command.js';
import { shell } from '../../src/modules/shell.js';
import { converge, fakeCtx, removeDir, schemaChecks, summaries, tempDir } from './helpers.js';

describe('shell: plan (canned state)', () => {
  it('runs cmd verbatim as the one argument of sh -c', () => {
    const cmd = `echo "$HOME" | tr a-z A-Z > '/tmp/o u t'\nls *`;
    const p = shell.plan({}, { cmd });
    assert.deepEqual(p.data?.['cmd'], ['sh', '-c', cmd]);
    assert.deepEqual(summaries(p), [`run echo "$HOME" | tr a-z A-Z > '/tmp/o u t'⏎ls *`]);
    assert.equal(p.unpredictable, UNPREDICTABLE);
  });

  it('uses executable instead of sh', () => {
    assert.deepEqual(shell.plan({}, { cmd: 'echo $0', executable: '/bin/bash' }).data?.['cmd'], ['/bin/bash', '-c', 'echo $0']);
  });

  it('is ok when creates exists, like command', () => {
    assert.equal(shell.plan({ creates: { path: '/x', exists: true, type: 'file' } }, { cmd: 'x', creates: '/x' }).okReason, '/x exists (creates)');
  });

  it('takes free-form text as cmd and refuses an empty one', () => {
    assert.equal(moduleTraits('shell').freeForm, 'cmd');
    assert.throws(() => shell.plan({}, { cmd: '  ' }), ModuleError);
  });
});

describe('shell: on a real host (local connection)', () => {
  let dir = '';
  let conn: ShellConnection;
  before(() => {
    dir = tempDir('shell');
    conn = localConnection();
  });
  after(async () => {
    await conn.close();
    removeDir(dir);
  });

  it('interprets pipes, redirections and variables, in chdir', async () => {
    const r = await converge(shell, fakeCtx(conn), { cmd: 'X=world; echo "hello $X" | tr a-z A-Z > out.txt; cat out.txt', chdir: dir });
    assert.equal(r.applied?.stdout, 'HELLO WORLD');
    assert.equal(readFileSync(`${dir}/out.txt`, 'utf8'), 'HELLO WORLD\n');
  });

  it('passes multi-line scripts and stdin through unchanged', async () => {
    const r = await converge(shell, fakeCtx(conn), { cmd: 'read line\nprintf "%s|%s" "$line" "it\'s"', stdin: 'a $(b) c' });
    assert.equal(r.applied?.stdout, "a $(b) c|it's");
  });

  it('fails on a non-zero rc with the first stderr line', async () => {
    await assert.rejects(converge(shell, fakeCtx(conn), { cmd: 'echo boom >&2; exit 4' }), (e: unknown) => e instanceof ModuleError && e.message === 'shell failed with rc 4: boom' && e.details.rc === 4);
  });

  it('runs once, then creates makes it ok', async () => {
    const args = { cmd: 'date > stamp', chdir: dir, creates: 'stamp' };
    await converge(shell, fakeCtx(conn), args);
    assert.ok(existsSync(`${dir}/stamp`));
    const second = await converge(shell, fakeCtx(conn), args);
    assert.equal(second.plan.okReason, `${dir}/stamp exists (creates)`);
  });
});

schemaChecks(shell);
