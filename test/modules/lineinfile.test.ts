// lineinfile and blockinfile: the pure edits (Ansible's rules, Python regexps), the plans they make
// from canned file states (including the converged case and its reason, check mode's pending rule
// and attributes), and a real run on this machine through the local connection.
import { strict as assert } from 'node:assert';
import { lstatSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localConnection } from '../../src/engine/connection/local.js';
import type { ShellConnection } from '../../src/engine/connection/shell_connection.js';
import { ModuleError } from '../../src/engine/errors.js';
import { PlannedState } from '../../src/engine/planned.js';
import { blockEdit, blockinfile } from '../../src/modules/blockinfile.js';
import type { PathState } from '../../src/engine/facts/path.js';
import { absentEdit, lineinfile, presentEdit } from '../../src/modules/lineinfile.js';
import type { TextFileState } from '../../src/modules/text/edit.js';
import { pyExpand, pyRegex, toBytes } from '../../src/modules/text/pyre.js';
import { assertAppliesItsPlan } from '../support/contract.js';
import { converge, fakeCtx, removeDir, schemaChecks, summaries, tempDir } from './helpers.js';

const fails = (fn: () => unknown, re: RegExp): void => assert.throws(fn, (e: unknown) => e instanceof ModuleError && re.test(e.message));
const dir = (path: string, over: Partial<PathState> = {}): PathState => ({ path, exists: true, type: 'directory', mode: 0o755, owner: 'root', group: 'root', uid: 0, gid: 0, ...over });
const file = (path: string, over: Partial<PathState> = {}): PathState => ({ path, exists: true, type: 'file', mode: 0o644, owner: 'root', group: 'root', uid: 0, gid: 0, size: 1, ...over });
const state = (content: string | null, over: Partial<TextFileState> = {}): TextFileState => ({
  path: '/etc/app.conf',
  target: '/etc/app.conf',
  file: content === null ? { path: '/etc/app.conf', exists: false } : file('/etc/app.conf'),
  parent: dir('/etc'),
  umask: 0o022,
  content,
  ...over,
});
const present = (before: string, args: Parameters<typeof presentEdit>[1]): string => presentEdit(before, args, '/f').after;

describe('python regexps as JavaScript (text/pyre.ts)', () => {
  it('reads named groups, \\A, \\Z and leading flags, and spells out $ and . as Python means them', () => {
    assert.ok(pyRegex('(?P<k>a)(?P=k)', 'r').re.test('aa'));
    assert.ok(pyRegex('(?i)^HOST', 'r').re.test('host=x\n'));
    assert.ok(pyRegex('x$', 'r').re.test('x\n'), '$ matches before a final newline');
    assert.ok(!pyRegex('x$', 'r').re.test('x\r\n'), 'but not before \\r');
    assert.ok(!pyRegex('a.b', 'r').re.test('a\nb'));
    assert.ok(pyRegex('(?s)a.b', 'r').re.test('a\nb'));
    assert.ok(pyRegex('\\Aa', 'r').re.test('ab') && !pyRegex('\\Ab', 'r').re.test('ab'));
    assert.ok(pyRegex('[]x]', 'r').re.test(']'), "']' first in a class is a literal, as in Python");
    assert.ok(pyRegex('(?m)^b', 'r').re.test('a\nb') && !pyRegex('^b', 'r').re.test('a\nb'));
    assert.ok(!pyRegex('caf\\s', 'r').re.test(toBytes('caf\u00e0')), '\\s is ASCII whitespace only (not the 0xA0 byte of à)');
  });

  it('refuses what JavaScript cannot do, saying so', () => {
    fails(() => pyRegex('(?x) a b', 'regexp'), /verbose mode/);
    fails(() => pyRegex('a(?i:b)', 'regexp'), /inline flags inside/);
    fails(() => pyRegex('(unclosed', 'regexp'), /regexp "\(unclosed" is not a regular expression kiln can use/);
  });

  it('expands templates as match.expand: \\1, \\g<1>, \\g<name>, escapes, unmatched groups', () => {
    const m = /(?<k>a)(b)?/.exec('a') as RegExpExecArray;
    assert.equal(pyExpand('\\1-\\g<1>-\\g<k>-[\\2]\\t\\\\', m, 'line'), 'a-a-a-[]\t\\');
    assert.equal(pyExpand('x\\.y', m, 'line'), 'x\\.y');
    fails(() => pyExpand('\\3', m, 'line'), /group 3, but the regexp has 2/);
    fails(() => pyExpand('\\q', m, 'line'), /unknown escape \\q/);
  });
});

describe('lineinfile: the edit (Ansible rules)', () => {
  const conf = 'host=a\nport=1\nend\n';
  it('replaces the last line regexp matches, or the first with firstmatch', () => {
    assert.equal(present('a=1\nb\na=2\n', { path: '/f', regexp: '^a=', line: 'a=9' }), 'a=1\nb\na=9\n');
    assert.equal(present('a=1\nb\na=2\n', { path: '/f', regexp: '^a=', line: 'a=9', firstmatch: true }), 'a=9\nb\na=2\n');
  });
  it('inserts after or before the last insertafter/insertbefore match, at BOF, or at the end', () => {
    assert.equal(present(conf, { path: '/f', line: 'x', insertafter: '^host' }), 'host=a\nx\nport=1\nend\n');
    assert.equal(present(conf, { path: '/f', line: 'x', insertbefore: '^end' }), 'host=a\nport=1\nx\nend\n');
    assert.equal(present(conf, { path: '/f', line: 'x', insertbefore: 'BOF' }), `x\n${conf}`);
    assert.equal(present(conf, { path: '/f', line: 'x', insertafter: '^nope' }), `${conf}x\n`);
    assert.equal(present('no newline', { path: '/f', line: 'x' }), 'no newline\nx\n');
  });
  it('fills backrefs from the match, and leaves the file when nothing matches', () => {
    assert.equal(present(conf, { path: '/f', regexp: '^(host)=.*$', line: '\\1=b', backrefs: true }), 'host=b\nport=1\nend\n');
    const e = presentEdit(conf, { path: '/f', regexp: '^user=(.*)', line: 'u=\\1', backrefs: true }, '/f');
    assert.equal(e.after, conf);
    assert.equal(e.okReason, 'regexp "^user=(.*)" matches no line in /f, and with backrefs the line is only written over a match');
  });
  it('removes every matching line with state absent, and counts them', () => {
    const e = absentEdit('# a\nk\n# b\n', { path: '/f', regexp: '^#', state: 'absent' }, '/f');
    assert.equal(e.after, 'k\n');
    assert.equal(e.summary, 'remove 2 lines matching regexp "^#" from /f');
    assert.deepEqual(e.data, { found: 2 });
  });
  it('says why nothing changes when the line is there', () => {
    const e = presentEdit(conf, { path: '/f', line: 'port=1' }, '/f');
    assert.equal(e.after, conf);
    assert.equal(e.okReason, '/f already has the line "port=1"');
  });
  it('needs line with state present, and regexp with backrefs', () => {
    fails(() => presentEdit(conf, { path: '/f', regexp: 'x' }, '/f'), /needs line:/);
    fails(() => presentEdit(conf, { path: '/f', line: 'x', backrefs: true }, '/f'), /backrefs: true needs regexp:/);
  });
});

describe('lineinfile: plan (canned state)', () => {
  it('is ok with the reason when the file has the line and the mode', () => {
    const p = lineinfile.plan(state('a\nport = 80\n'), { path: '/etc/app.conf', regexp: '^port', line: 'port = 80', mode: '0644' });
    assert.deepEqual(p.steps, []);
    assert.equal(p.okReason, '/etc/app.conf already has the line "port = 80" where regexp matches, and it has mode 0644');
  });

  it('writes the whole new content in one put step, with the diff as data', () => {
    const p = lineinfile.plan(state('port = 80\n'), { path: '/etc/app.conf', regexp: '^port', line: 'port = 8080', mode: '0600', validate: 'check %s' });
    assert.deepEqual(summaries(p), ['replace line "port = 80" with "port = 8080" in /etc/app.conf', 'mode 0644 -> 0600']);
    assert.deepEqual(p.steps[0]?.do, { kind: 'put', content: 'port = 8080\n', backup: false, validate: ['check', '%s'] });
    assert.deepEqual(p.steps[1]?.do, { kind: 'with the write', attr: 'mode', value: '0600' });
    assert.deepEqual(p.steps[0]?.change.diff, { path: '/etc/app.conf', before: 'port = 80\n', after: 'port = 8080\n', beforeHeader: '/etc/app.conf (content)', afterHeader: '/etc/app.conf (content)' });
    assert.deepEqual(p.effects, [{ kind: 'path', key: '/etc/app.conf', state: 'file' }]);
  });

  it('fails on a missing file without create, and creates it (and its folder) with create', () => {
    fails(() => lineinfile.plan(state(null), { path: '/etc/app.conf', line: 'x' }), /\/etc\/app.conf does not exist; set create: true/);
    const p = lineinfile.plan(state(null, { parent: { path: '/etc', exists: false } }), { path: '/etc/app.conf', line: 'x', create: true });
    assert.deepEqual(summaries(p), ['create directory /etc', 'create /etc/app.conf and add line "x"']);
    assert.equal(p.steps[1]?.change.diff?.before, null);
  });

  it('is ok for state absent on a missing file', () => {
    const p = lineinfile.plan(state(null), { path: '/etc/app.conf', regexp: 'x', state: 'absent' });
    assert.equal(p.okReason, '/etc/app.conf does not exist, so there is nothing to remove');
  });

  it('only sets attributes when the content is right', () => {
    const p = lineinfile.plan(state('x\n'), { path: '/etc/app.conf', line: 'x', owner: 'www-data' });
    assert.deepEqual(summaries(p), ['owner root -> www-data']);
    assert.deepEqual(p.steps[0]?.do, { kind: 'commands', argv: [['chown', '--', 'www-data', '/etc/app.conf']] });
  });

  it('check mode: a file an earlier task only plans is edited pending, without a diff', () => {
    const s = state(null, { file: { path: '/etc/app.conf', exists: true, type: 'file', pending: "file /etc/app.conf is planned by task 'conf'" }, unknown: "file /etc/app.conf is planned by task 'conf'" });
    const p = lineinfile.plan(s, { path: '/etc/app.conf', line: 'x' });
    assert.deepEqual(p.steps.map((st) => [st.change.summary, st.change.pending, st.change.diff]), [['edit /etc/app.conf', "file /etc/app.conf is planned by task 'conf'", undefined]]);
  });

  it('check mode: a file that exists but an earlier task also edits shows this edit against its content of now, pending', () => {
    const pend = "file /etc/app.conf is planned by task 'first edit'";
    const s = state('a=1\n', { file: file('/etc/app.conf', { pending: pend }), unknown: pend });
    const p = lineinfile.plan(s, { path: '/etc/app.conf', line: 'b=2' });
    assert.deepEqual(p.steps.map((st) => [st.change.summary, st.change.pending, st.change.diff?.after]), [['add line "b=2" to /etc/app.conf', pend, 'a=1\nb=2\n']]);
  });

  it('folds Ansible aliases (dest, regex, value) and refuses two spellings at once', () => {
    const p = lineinfile.plan(state('a=1\n'), { dest: '/etc/app.conf', regex: '^a=', value: 'a=2' } as never);
    assert.deepEqual(summaries(p), ['replace line "a=1" with "a=2" in /etc/app.conf']);
    fails(() => lineinfile.plan(state('a\n'), { path: '/x', dest: '/y', line: 'a' } as never), /path and dest are the same argument/);
  });
});

describe('blockinfile: the edit and the plan', () => {
  const M = (s: string): string => `# BEGIN ANSIBLE MANAGED BLOCK\n${s}# END ANSIBLE MANAGED BLOCK\n`;
  it('inserts at the end, updates in place, removes, and says why when it is there', () => {
    assert.equal(blockEdit('a\n', { path: '/f', block: 'x' }, '/f').after, `a\n${M('x\n')}`);
    assert.equal(blockEdit(`a\n${M('old\n')}z\n`, { path: '/f', block: 'new' }, '/f').after, `a\n${M('new\n')}z\n`);
    assert.equal(blockEdit(`a\n${M('old\n')}z\n`, { path: '/f', state: 'absent' }, '/f').after, 'a\nz\n');
    const same = blockEdit(`a\n${M('x\n')}`, { path: '/f', block: 'x' }, '/f');
    assert.equal(same.after, `a\n${M('x\n')}`);
    assert.equal(same.okReason, '/f already has the block "# BEGIN ANSIBLE MANAGED BLOCK" as given');
  });
  it('honours insertbefore BOF, insertafter regexps and custom markers', () => {
    assert.equal(blockEdit('a\nb\n', { path: '/f', block: 'x', insertbefore: 'BOF' }, '/f').after, `${M('x\n')}a\nb\n`);
    assert.equal(blockEdit('a\nb\n', { path: '/f', block: 'x', insertafter: '^a' }, '/f').after, `a\n${M('x\n')}b\n`);
    assert.equal(blockEdit('', { path: '/f', block: 'x', marker: '; {mark}', marker_begin: 'B', marker_end: 'E' }, '/f').after, '; B\nx\n; E\n');
  });
  it('plans one write with the diff, or ok with the reason', () => {
    const p = blockinfile.plan(state('a\n'), { path: '/etc/app.conf', block: 'x' });
    assert.deepEqual(summaries(p), ['insert block "# BEGIN ANSIBLE MANAGED BLOCK" in /etc/app.conf']);
    const ok = blockinfile.plan(state(`a\n${M('x\n')}`), { path: '/etc/app.conf', content: 'x' } as never);
    assert.equal(ok.okReason, '/etc/app.conf already has the block "# BEGIN ANSIBLE MANAGED BLOCK" as given');
  });
});

describe('lineinfile and blockinfile on this machine (local connection)', () => {
  let tmp: string;
  let conn: ShellConnection;
  before(() => {
    tmp = tempDir('lineinfile');
    conn = localConnection();
  });
  after(async () => {
    await conn.close();
    removeDir(tmp);
  });

  it('converges, writes through a symbolic link, keeps the mode, and then is ok', async () => {
    const real = join(tmp, 'real.conf');
    writeFileSync(real, 'port = 80\n', { mode: 0o640 });
    symlinkSync(real, join(tmp, 'link.conf'));
    const ctx = fakeCtx(conn);
    const args = { path: join(tmp, 'link.conf'), regexp: '^port', line: 'port = 8080' };
    const first = await converge(lineinfile, ctx, args);
    assert.equal(first.plan.steps.length, 1);
    assert.equal(readFileSync(real, 'utf8'), 'port = 8080\n');
    assert.ok(lstatSync(join(tmp, 'link.conf')).isSymbolicLink(), 'the link stays a link');
    assert.equal(statSync(real).mode & 0o7777, 0o640);
    const again = await converge(lineinfile, fakeCtx(conn), args);
    assert.deepEqual(again.plan.steps, []);
    const block = { path: real, block: 'a\nb' };
    await converge(blockinfile, fakeCtx(conn), block);
    assert.equal(readFileSync(real, 'utf8'), 'port = 8080\n# BEGIN ANSIBLE MANAGED BLOCK\na\nb\n# END ANSIBLE MANAGED BLOCK\n');
    assert.deepEqual((await converge(blockinfile, fakeCtx(conn), block)).plan.steps, []);
  });

  it('applies exactly the steps of its plan (the module contract)', async () => {
    const f = join(tmp, 'contract', 'c.conf');
    const fresh = (): void => {
      rmSync(join(tmp, 'contract'), { recursive: true, force: true });
    };
    await assertAppliesItsPlan(lineinfile, fakeCtx(conn), { path: f, line: 'x', create: true, mode: '0600' }, fresh);
    await assertAppliesItsPlan(blockinfile, fakeCtx(conn), { path: f, block: 'b', mode: '0640' }, () => {
      fresh();
      mkdirSync(join(tmp, 'contract'));
      writeFileSync(f, 'a\n', { mode: 0o644 });
    });
  });

  it('a failing validate leaves the file as it was', async () => {
    const f = join(tmp, 'v.conf');
    writeFileSync(f, 'a\n');
    await assert.rejects(converge(lineinfile, fakeCtx(conn), { path: f, line: 'b', validate: 'false %s' }), (e: unknown) => e instanceof ModuleError && /validation failed/.test(e.message));
    assert.equal(readFileSync(f, 'utf8'), 'a\n');
  });

  it('check mode plans against a folder an earlier task creates', async () => {
    const planned = new PlannedState();
    planned.record({ kind: 'path', key: join(tmp, 'new'), state: 'directory' }, 'make dir');
    const r = await converge(lineinfile, fakeCtx(conn, { planned }), { path: join(tmp, 'new', 'x.conf'), line: 'x', create: true }, { check: true });
    assert.deepEqual(
      r.plan.steps.map((s) => [s.change.summary, s.change.pending]),
      [[`create ${join(tmp, 'new', 'x.conf')} and add line "x"`, `directory ${join(tmp, 'new')} is planned by task 'make dir'`]],
    );
  });
});

schemaChecks(lineinfile);
schemaChecks(blockinfile);
