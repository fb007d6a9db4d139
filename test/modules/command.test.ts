import { moduleTraits } from '../../src/engine/schema/traits.js';
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { localConnection } from '../../src/engine/connection/local.js';
import type { ShellConnection } from '../../src/engine/connection/shell_connection.js';
import { ModuleError } from '../../src/engine/errors.js';
import { command, type CommandArgs, UNPREDICTABLE } from '../../src/modules/command.js';
import { converge, counting, fakeCtx, removeDir, schemaChecks, summaries, tempDir, stepChange } from './helpers.js';

describe('command: plan (canned state)', () => {
  it('always changes, and cannot be predicted in check mode', () => {
    const p = command.plan({}, { cmd: 'ls -l /tmp' });
    assert.deepEqual(summaries(p), ['run ls -l /tmp']);
    assert.equal(p.unpredictable, UNPREDICTABLE);
    assert.equal(p.unpredictable, 'command would run; kiln cannot predict its effect');
    assert.deepEqual(p.data, { cmd: ['ls', '-l', '/tmp'] });
  });

  it('is ok when creates exists or removes does not, and says why', () => {
    const c = command.plan({ creates: { path: '/x', exists: true, type: 'file' } }, { cmd: 'make', creates: '/x' });
    assert.deepEqual(c.steps.map(stepChange), []);
    assert.equal(c.okReason, '/x exists (creates)');
    assert.equal(c.unpredictable, undefined);
    assert.equal(c.data?.['stdout'], 'skipped, since /x exists (creates)');
    const r = command.plan({ removes: { path: '/y', exists: false } }, { cmd: 'rm /y', removes: '/y' });
    assert.equal(r.okReason, '/y does not exist (removes)');
    const runs = command.plan({ creates: { path: '/x', exists: false }, removes: { path: '/y', exists: true, type: 'file' } }, { cmd: 'x', creates: '/x', removes: '/y' });
    assert.equal(runs.steps.map(stepChange).length, 1);
  });

  it('is ok when an earlier task would create the creates path (check mode), naming the task', () => {
    const p = command.plan({ creates: { path: '/opt/app/bin', exists: true, type: 'file', pending: "file /opt/app/bin is planned by task 'unpack'" } }, { cmd: 'build', creates: '/opt/app/bin' });
    assert.equal(p.okReason, "/opt/app/bin exists (creates): file /opt/app/bin is planned by task 'unpack'");
  });

  it('splits cmd like a shell, keeps argv verbatim, and rejects what cannot run', () => {
    assert.deepEqual(command.plan({}, { cmd: `echo "a b" 'c'\\ d $(x)` }).data?.['cmd'], ['echo', 'a b', 'c d', '$(x)']);
    assert.deepEqual(command.plan({}, { argv: ['printf', '%s\n', 'a b'] }).data?.['cmd'], ['printf', '%s\n', 'a b']);
    assert.throws(() => command.plan({}, { cmd: 'echo "unclosed' }), (e: unknown) => e instanceof ModuleError && /cannot be split into arguments/.test(e.message));
    assert.throws(() => command.plan({}, { cmd: '   ' }), /command is empty/);
    assert.throws(() => command.plan({}, { cmd: 'a', argv: ['a'] }), /exactly one of cmd/);
  });

  it('shows multi-line commands on one line', () => {
    assert.deepEqual(summaries(command.plan({}, { argv: ['printf', 'a\nb'] })), ["run printf 'a⏎b'"]);
  });

  it('takes free-form text as cmd', () => {
    assert.equal(moduleTraits('command').freeForm, 'cmd');
  });
});

describe('command: on a real host (local connection)', () => {
  let dir = '';
  let conn: ShellConnection;
  before(() => {
    dir = tempDir('command');
    conn = localConnection();
  });
  after(async () => {
    await conn.close();
    removeDir(dir);
  });

  it('runs without a shell: metacharacters reach the program verbatim and nothing else happens', async () => {
    const ctx = fakeCtx(conn);
    const weird = ['$(touch pwned)', '`touch pwned2`', "it's", 'a b', 'new\nline', '; touch pwned3', '*'];
    const r = await converge(command, ctx, { argv: ['printf', '%s|', ...weird], chdir: dir });
    assert.equal(r.applied?.stdout, `${weird.join('|')}|`);
    const split = await converge(command, ctx, { cmd: `printf '%s|' "$(touch pwned)" '; touch pwned3' *`, chdir: dir });
    assert.equal(split.applied?.stdout, '$(touch pwned)|; touch pwned3|*|');
    assert.deepEqual(readdirSync(dir), []);
    assert.ok(!existsSync('pwned') && !existsSync('pwned3'));
  });

  it('returns rc, stdout and stderr (trailing newlines stripped unless asked) for register', async () => {
    const ctx = fakeCtx(conn);
    const r = await converge(command, ctx, { argv: ['sh', '-c', 'echo out; echo err >&2; echo; echo'] });
    assert.equal(r.applied?.rc, 0);
    assert.equal(r.applied?.stdout, 'out');
    assert.equal(r.applied?.stderr, 'err');
    assert.deepEqual(r.applied?.data?.['stdout_lines'], ['out']);
    const raw = await converge(command, ctx, { argv: ['echo', 'x'], strip_empty_ends: false });
    assert.equal(raw.applied?.stdout, 'x\n');
  });

  it('feeds stdin (with a newline by default) and runs in chdir', async () => {
    const ctx = fakeCtx(conn);
    assert.equal((await converge(command, ctx, { cmd: 'cat', stdin: 'hi', strip_empty_ends: false })).applied?.stdout, 'hi\n');
    assert.equal((await converge(command, ctx, { cmd: 'cat', stdin: 'hi', stdin_add_newline: false, strip_empty_ends: false })).applied?.stdout, 'hi');
    assert.equal((await converge(command, ctx, { cmd: 'pwd', chdir: dir })).applied?.stdout, dir);
  });

  it('fails on a non-zero rc with rc, stdout and stderr in the error', async () => {
    const err = await converge(command, fakeCtx(conn), { argv: ['sh', '-c', 'echo partial; echo "first problem" >&2; echo second >&2; exit 3'] }).then(
      () => assert.fail('should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ModuleError);
    assert.equal(err.message, 'command failed with rc 3: first problem');
    assert.deepEqual(err.details, { rc: 3, stdout: 'partial', stderr: 'first problem\nsecond' });
    await assert.rejects(converge(command, fakeCtx(conn), { cmd: 'no-such-program-kiln' }), /rc 127/);
  });

  it('skips on creates/removes after one stat, relative to chdir, and runs when they say so', async () => {
    const c = counting(conn);
    const ctx = fakeCtx(c);
    const args: CommandArgs = { argv: ['touch', 'made'], chdir: dir, creates: 'made' };
    const first = await converge(command, ctx, args);
    assert.deepEqual(c.calls, ['script', 'run touch made']);
    assert.ok(existsSync(`${dir}/made`));
    const second = await converge(command, ctx, args);
    assert.equal(second.plan.okReason, `${dir}/made exists (creates)`);
    assert.equal(second.applied, undefined);
    assert.ok(first.applied);
    writeFileSync(`${dir}/old`, '');
    await converge(command, ctx, { argv: ['rm', `${dir}/old`], removes: `${dir}/old` });
    assert.equal((await converge(command, ctx, { argv: ['rm', `${dir}/old`], removes: `${dir}/old` })).plan.okReason, `${dir}/old does not exist (removes)`);
  });

  it('reads nothing from the host without creates/removes', async () => {
    const c = counting(conn);
    const { plan } = await converge(command, fakeCtx(c), { cmd: 'true' }, { check: true });
    assert.deepEqual(c.calls, []);
    assert.equal(plan.unpredictable, UNPREDICTABLE);
  });

  it('check mode: a creates path that an earlier task would create makes it ok', async () => {
    const ctx = fakeCtx(conn);
    ctx.planned.record({ kind: 'path', key: `${dir}/later`, state: 'file' }, 'write later');
    const { plan } = await converge(command, ctx, { cmd: 'generate', creates: `${dir}/later` }, { check: true });
    assert.equal(plan.okReason, `${dir}/later exists (creates): file ${dir}/later is planned by task 'write later'`);
  });
});

schemaChecks(command);
