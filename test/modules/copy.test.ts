import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { localConnection } from '../../src/engine/connection/local.js';
import type { ShellConnection } from '../../src/engine/connection/shell_connection.js';
import { ModuleError } from '../../src/engine/errors.js';
import { Secret } from '../../src/engine/secret.js';
import { copy, type CopyArgs, type CopyState, validateArgv } from '../../src/modules/copy.js';
import type { PathState } from '../../src/engine/facts/path.js';
import { converge, counting, fakeCtx, isRoot, removeDir, schemaChecks, summaries, tempDir, stepChange } from './helpers.js';

const sha = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');
const dirState = (path: string): PathState => ({ path, exists: true, type: 'directory', mode: 0o755, owner: 'root', group: 'root', uid: 0, gid: 0 });
const fileWith = (path: string, content: string, over: Partial<PathState> = {}): PathState => ({
  path,
  exists: true,
  type: 'file',
  mode: 0o644,
  owner: 'root',
  group: 'root',
  uid: 0,
  gid: 0,
  size: content.length,
  sha256: sha(content),
  ...over,
});
const canned = (file: PathState, content: string, over: Partial<CopyState> = {}): CopyState => ({
  dest: file.path,
  file,
  parent: dirState('/etc'),
  umask: 0o022,
  destIsDirectory: false,
  bytes: Buffer.from(content),
  sha256: sha(content),
  label: 'dynamically generated',
  secret: false,
  ...over,
});
const fails = (fn: () => unknown, re: RegExp): void => assert.throws(fn, (e: unknown) => e instanceof ModuleError && re.test(e.message));

describe('copy: plan (canned state)', () => {
  it('is ok when content and mode already match, and says why', () => {
    const p = copy.plan(canned(fileWith('/etc/x', 'hello\n'), 'hello\n'), { dest: '/etc/x', content: 'hello\n', mode: '0644' });
    assert.deepEqual(p.steps.map(stepChange), []);
    assert.equal(p.okReason, '/etc/x already has this content and mode 0644');
    assert.deepEqual(p.data, { dest: '/etc/x', checksum: sha('hello\n'), size: 6, mode: '0644' });
  });

  it('plans a content update and a mode change as two changes', () => {
    const p = copy.plan(canned(fileWith('/etc/x', 'old\n'), 'new\n'), { dest: '/etc/x', content: 'new\n', mode: '0600' });
    assert.deepEqual(summaries(p), ['update content of /etc/x', 'mode 0644 -> 0600']);
    assert.deepEqual(p.effects, [{ kind: 'path', key: '/etc/x', state: 'file' }]);
    assert.equal(p.steps.map(stepChange)[0]?.diff, undefined, 'no diff unless --diff');
  });

  it('plans only attribute changes when the content matches', () => {
    const p = copy.plan(canned(fileWith('/etc/x', 'a'), 'a'), { dest: '/etc/x', content: 'a', owner: 'www-data' });
    assert.deepEqual(summaries(p), ['owner root -> www-data']);
    assert.deepEqual(p.effects, []);
  });

  it('carries the diff as data with --diff', () => {
    const s = canned(fileWith('/etc/x', 'old\n'), 'new\n', { diff: { before: 'old\n', binary: false }, label: 'x.conf' });
    assert.deepEqual(copy.plan(s, { dest: '/etc/x', src: 'x.conf' }).steps.map(stepChange)[0]?.diff, { path: '/etc/x', before: 'old\n', after: 'new\n', beforeHeader: '/etc/x', afterHeader: 'x.conf' });
    const created = canned({ path: '/etc/n', exists: false }, 'n\n', { diff: { before: null, binary: false } });
    assert.equal(copy.plan(created, { dest: '/etc/n', content: 'n\n' }).steps.map(stepChange)[0]?.diff?.before, null);
  });

  it('fails when the destination directory is missing and nobody creates it', () => {
    const s = canned({ path: '/srv/app/x', exists: false }, 'a', { parent: { path: '/srv/app', exists: false } });
    fails(() => copy.plan(s, { dest: '/srv/app/x', content: 'a' }), /^destination directory \/srv\/app does not exist; create it first with file: state=directory$/);
  });

  it('plans a pending create when an earlier task would create the directory (check mode)', () => {
    const parent: PathState = { path: '/srv/app', exists: true, type: 'directory', pending: "directory /srv/app is planned by task 'make dir'" };
    const p = copy.plan(canned({ path: '/srv/app/x', exists: false }, 'a', { parent }), { dest: '/srv/app/x', content: 'a', mode: '0600' });
    assert.deepEqual(p.steps.map(stepChange), [{ summary: 'create /srv/app/x', pending: "directory /srv/app is planned by task 'make dir'" }, { summary: 'mode 0600', pending: "directory /srv/app is planned by task 'make dir'" }]);
  });

  it('with force: false leaves an existing file alone', () => {
    const p = copy.plan(canned(fileWith('/etc/x', 'other'), 'a'), { dest: '/etc/x', content: 'a', force: false });
    assert.deepEqual(p.steps.map(stepChange), []);
    assert.equal(p.okReason, '/etc/x exists and force is false, so its content is left as it is');
  });

  it('replaces a symbolic link with a file', () => {
    const link: PathState = { path: '/etc/x', exists: true, type: 'link', mode: 0o777, linkTarget: 'y' };
    assert.deepEqual(summaries(copy.plan(canned(link, 'a'), { dest: '/etc/x', content: 'a' })), ['replace symbolic link /etc/x with a file']);
  });

  it('refuses content into a directory', () => {
    fails(() => copy.plan(canned(dirState('/etc'), 'a', { destIsDirectory: true }), { dest: '/etc', content: 'a' }), /dest \/etc is a directory/);
  });

  it('splits validate like a shell, and insists on %s', () => {
    assert.deepEqual(validateArgv(`nginx -t -c "%s" -g 'daemon off;'`), ['nginx', '-t', '-c', '%s', '-g', 'daemon off;']);
    assert.throws(() => validateArgv('visudo -c'), /has no %s/);
    assert.throws(() => validateArgv('sh -c "unclosed %s'), /cannot be split/);
  });
});

describe('copy: on a real host (local connection)', () => {
  let dir = '';
  let conn: ShellConnection;
  before(() => {
    dir = tempDir('copy');
    conn = localConnection();
    mkdirSync(`${dir}/files`);
    writeFileSync(`${dir}/files/app.conf`, 'listen 80;\n');
  });
  after(async () => {
    await conn.close();
    removeDir(dir);
  });

  it('creates a file from content, then plans no change on the second run (one round trip to read)', async () => {
    const c = counting(conn);
    const ctx = fakeCtx(c);
    const args: CopyArgs = { dest: `${dir}/motd`, content: 'hello\n', mode: '0640' };
    const first = await converge(copy, ctx, args);
    assert.deepEqual(summaries(first.plan), [`create ${dir}/motd`, 'mode 0640']);
    assert.equal(readFileSync(`${dir}/motd`, 'utf8'), 'hello\n');
    assert.equal(statSync(`${dir}/motd`).mode & 0o7777, 0o640);
    c.calls.length = 0;
    const second = await converge(copy, ctx, args);
    assert.deepEqual(c.calls, ['script']);
    assert.equal(second.plan.okReason, `${dir}/motd already has this content and mode 0640`);
  });

  it('copies src from files/, into a directory under the source name', async () => {
    const ctx = fakeCtx(conn, { root: dir });
    mkdirSync(`${dir}/etc`);
    const r = await converge(copy, ctx, { src: 'app.conf', dest: `${dir}/etc` });
    assert.equal(readFileSync(`${dir}/etc/app.conf`, 'utf8'), 'listen 80;\n');
    assert.equal(r.applied?.data?.['dest'], `${dir}/etc/app.conf`);
    assert.equal(r.applied?.data?.['checksum'], sha('listen 80;\n'));
    assert.deepEqual((await converge(copy, ctx, { src: 'app.conf', dest: `${dir}/etc/` })).plan.steps.map(stepChange), []);
  });

  it('fails clearly for a missing src', async () => {
    await assert.rejects(converge(copy, fakeCtx(conn, { root: dir }), { src: 'nope.conf', dest: `${dir}/x` }), /cannot read src nope.conf .*ENOENT/);
  });

  it('writes weird names verbatim, and nothing else', async () => {
    const base = `${dir}/weird`;
    mkdirSync(base);
    const ctx = fakeCtx(conn);
    const names = ['with space', "quote'd \"both\"", '$(touch pwned)', 'new\nline', '-n'];
    for (const n of names) await converge(copy, ctx, { dest: `${base}/${n}`, content: `${n}\n`, backup: true });
    assert.deepEqual(readdirSync(base).sort(), [...names].sort());
    for (const n of names) assert.equal(readFileSync(`${base}/${n}`, 'utf8'), `${n}\n`);
    assert.ok(!existsSync('pwned') && !existsSync(`${process.env['HOME'] ?? '/root'}/pwned`));
  });

  it('leaves the destination untouched when validate fails', async () => {
    const dest = `${dir}/validated`;
    writeFileSync(dest, 'good\n');
    chmodSync(dest, 0o600);
    const ctx = fakeCtx(conn);
    const err = await converge(copy, ctx, { dest, content: 'bad\n', validate: `sh -c 'grep -q good "$1"' check %s` }).then(
      () => assert.fail('validate should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ModuleError, String(err));
    assert.match(err.message, /validation failed.*was not changed/);
    assert.equal(readFileSync(dest, 'utf8'), 'good\n');
    assert.equal(statSync(dest).mode & 0o7777, 0o600);
    assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.kiln')), [], 'no temp file left');
    await converge(copy, ctx, { dest, content: 'good too\n', validate: `sh -c 'grep -q good "$1"' check %s` });
    assert.equal(readFileSync(dest, 'utf8'), 'good too\n');
    assert.equal(statSync(dest).mode & 0o7777, 0o600, 'an existing file keeps its mode');
  });

  it('keeps a backup of the replaced file and registers its name', async () => {
    const dest = `${dir}/backed`;
    writeFileSync(dest, 'v1\n');
    const r = await converge(copy, fakeCtx(conn), { dest, content: 'v2\n', backup: true });
    const backup = r.applied?.data?.['backup_file'];
    assert.equal(typeof backup, 'string');
    assert.match(String(backup), new RegExp(`^${dir}/backed\\.\\d{4}-\\d\\d-\\d\\d@\\d\\d:\\d\\d:\\d\\d~$`));
    assert.equal(readFileSync(String(backup), 'utf8'), 'v1\n');
    assert.equal(readFileSync(dest, 'utf8'), 'v2\n');
  });

  it('changes only mode and owner of a file whose content matches (no put)', async function () {
    const dest = `${dir}/attrs`;
    writeFileSync(dest, 'same\n');
    chmodSync(dest, 0o644);
    const c = counting(conn);
    const args: CopyArgs = { dest, content: 'same\n', mode: 'go-r', ...(isRoot() ? { owner: 'daemon' } : {}) };
    const r = await converge(copy, fakeCtx(c), args);
    assert.deepEqual(summaries(r.plan), ['mode 0644 -> 0600', ...(isRoot() ? ['owner root -> daemon'] : [])]);
    assert.ok(!c.calls.some((x) => x.startsWith('put')), c.calls.join('; '));
    assert.equal(statSync(dest).mode & 0o7777, 0o600);
    if (isRoot()) assert.equal(statSync(dest).uid, Number((await conn.run(['id', '-u', 'daemon'])).stdout.trim()));
    assert.deepEqual((await converge(copy, fakeCtx(conn), args)).plan.steps.map(stepChange), []);
  });

  it('reads the old content only with --diff, and marks binary content', async () => {
    const dest = `${dir}/diffed`;
    writeFileSync(dest, 'one\n');
    const c = counting(conn);
    const plain = await converge(copy, fakeCtx(c), { dest, content: 'two\n' }, { check: true });
    assert.equal(plain.plan.steps.map(stepChange)[0]?.diff, undefined);
    assert.ok(!c.calls.some((x) => x.startsWith('get')));
    const withDiff = await converge(copy, fakeCtx(c, { diff: true }), { dest, content: 'two\n' }, { check: true });
    assert.deepEqual(withDiff.plan.steps.map(stepChange)[0]?.diff, { path: dest, before: 'one\n', after: 'two\n', beforeHeader: dest, afterHeader: 'dynamically generated' });
    const binary = await converge(copy, fakeCtx(conn, { diff: true }), { dest, content: 'a\0b' }, { check: true });
    assert.equal(binary.plan.steps.map(stepChange)[0]?.diff?.binary, true);
    const secret = await converge(copy, fakeCtx(conn, { diff: true }), { dest, content: new Secret('hunter2') }, { check: true });
    assert.equal(secret.plan.steps.map(stepChange)[0]?.diff, undefined, 'secret content never goes into a diff');
    assert.equal(readFileSync(dest, 'utf8'), 'one\n', 'check mode wrote nothing');
  });

  it('check mode: copying into a directory an earlier task would create is pending; otherwise it fails', async () => {
    const ctx = fakeCtx(conn, { task: 'make dir' });
    ctx.planned.record({ kind: 'path', key: `${dir}/later`, state: 'directory' }, 'make dir');
    const { plan } = await converge(copy, ctx, { dest: `${dir}/later/app.conf`, content: 'x' }, { check: true });
    assert.deepEqual(plan.steps.map(stepChange), [{ summary: `create ${dir}/later/app.conf`, pending: `directory ${dir}/later is planned by task 'make dir'` }]);
    await assert.rejects(
      converge(copy, fakeCtx(conn), { dest: `${dir}/never/app.conf`, content: 'x' }, { check: true }),
      new RegExp(`destination directory ${dir}/never does not exist; create it first with file: state=directory`),
    );
  });

  it('replaces a link by a file instead of writing through it', async () => {
    writeFileSync(`${dir}/target`, 'target\n');
    symlinkSync('target', `${dir}/alink`);
    await converge(copy, fakeCtx(conn), { dest: `${dir}/alink`, content: 'mine\n' });
    assert.equal(readFileSync(`${dir}/target`, 'utf8'), 'target\n');
    assert.equal(readFileSync(`${dir}/alink`, 'utf8'), 'mine\n');
  });

  it('accepts only one of content and src', async () => {
    await assert.rejects(copy.read(fakeCtx(conn), { dest: `${dir}/x` }), /exactly one of content: and src:/);
  });
});

schemaChecks(copy);
