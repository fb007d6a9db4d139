import { strict as assert } from 'node:assert';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { localConnection } from '../../src/engine/connection/local.js';
import type { ShellConnection } from '../../src/engine/connection/shell_connection.js';
import { ModuleError } from '../../src/engine/errors.js';
import { PlannedState } from '../../src/engine/planned.js';
import { type PathState, withPlanned } from '../../src/engine/facts/path.js';
import { file, type FileArgs, type FileState } from '../../src/modules/file.js';
import { chmodSpec, checkMode, resolveMode } from '../../src/modules/file/attrs.js';
import { moduleNames, MODULES } from '../../src/modules/index.js';
import { converge, fakeCtx, isRoot, removeDir, schemaChecks, summaries, tempDir, stepChange } from './helpers.js';

const dirState = (path: string, over: Partial<PathState> = {}): PathState => ({ path, exists: true, type: 'directory', mode: 0o755, owner: 'root', group: 'root', uid: 0, gid: 0, ...over });
const fileState = (path: string, over: Partial<PathState> = {}): PathState => ({ path, exists: true, type: 'file', mode: 0o644, owner: 'root', group: 'root', uid: 0, gid: 0, inode: '1:1', ...over });
const gone = (path: string): PathState => ({ path, exists: false });
const state = (self: PathState, over: Partial<FileState> = {}): FileState => ({ path: self.path, self, parent: dirState('/parent'), umask: 0o022, ...over });
const plan = (s: FileState, args: FileArgs) => file.plan(s, args);
const fails = (fn: () => unknown, re: RegExp): void => assert.throws(fn, (e: unknown) => e instanceof ModuleError && re.test(e.message));

describe('file: modes', () => {
  it('resolves octal modes exactly', () => {
    assert.equal(resolveMode('0644', 0o777, false), 0o644);
    assert.equal(resolveMode('644', 0o777, false), 0o644);
    assert.equal(resolveMode('2755', 0, true), 0o2755);
    assert.equal(resolveMode('0755', 0o2755, true), 0o755);
  });

  it('resolves symbolic modes like GNU chmod', () => {
    assert.equal(resolveMode('u=rw,g=r,o=r', 0o777, false), 0o644);
    assert.equal(resolveMode('u+x', 0o644, false), 0o744);
    assert.equal(resolveMode('go-w', 0o666, false), 0o644);
    assert.equal(resolveMode('+x', 0o644, false), 0o755);
    assert.equal(resolveMode('a=rX', 0o600, false), 0o444);
    assert.equal(resolveMode('a=rX', 0o700, false), 0o555);
    assert.equal(resolveMode('a=rX', 0o600, true), 0o555);
    assert.equal(resolveMode('g=u', 0o740, false), 0o770);
    assert.equal(resolveMode('u=rwx,g=rx,o=', 0o2777, true), 0o2750, 'a directory keeps set-id bits the mode does not mention');
    assert.equal(resolveMode('u=rwx,g=rx,o=', 0o2777, false), 0o750);
    assert.equal(resolveMode('g+s', 0o755, true), 0o2755);
    assert.equal(resolveMode('u+r-w', 0o200, false), 0o400);
    assert.equal(resolveMode('o+t', 0o777, true), 0o1777);
  });

  it('refuses what is neither octal nor symbolic', () => {
    for (const bad of ['rw', '0999', '12345', 'u=rw;g=r', '', 'u']) assert.throws(() => checkMode(bad), ModuleError, bad);
  });

  it('gives chmod -R an unambiguous mode', () => {
    assert.equal(chmodSpec('755'), '00755');
    assert.equal(chmodSpec('2755'), '02755');
    assert.equal(chmodSpec('+x,g=u'), 'a+x,g=u');
  });
});

describe('file: plan (canned state)', () => {
  it('is ok for a converged directory, and says why', () => {
    const p = plan(state(dirState('/srv/app', { owner: 'www-data', uid: 33 })), { path: '/srv/app', state: 'directory', mode: '0755', owner: 'www-data' });
    assert.deepEqual(p.steps.map(stepChange), []);
    assert.equal(p.okReason, '/srv/app is already a directory with mode 0755 and owner www-data');
    assert.deepEqual(p.data, { path: '/srv/app', state: 'directory', mode: '0755', owner: 'www-data', group: 'root' });
  });

  it('plans one change per difference', () => {
    const p = plan(state(dirState('/srv/app')), { path: '/srv/app', state: 'directory', mode: '0700', owner: 'www-data', group: '33' });
    assert.deepEqual(summaries(p), ['mode 0755 -> 0700', 'owner root -> www-data', 'group root -> 33']);
    assert.deepEqual(p.effects, []);
  });

  it('matches numeric owners by id', () => {
    const p = plan(state(dirState('/d', { owner: 'www-data', uid: 33 })), { path: '/d', state: 'directory', owner: '33' });
    assert.deepEqual(p.steps.map(stepChange), []);
  });

  it('creates a missing directory and records the effect', () => {
    const p = plan(state(gone('/srv/new')), { path: '/srv/new', state: 'directory', mode: '0750' });
    assert.deepEqual(summaries(p), ['create directory /srv/new', 'mode 0750']);
    assert.deepEqual(p.effects, [{ kind: 'path', key: '/srv/new', state: 'directory' }]);
    assert.deepEqual(p.steps.map(stepChange)[0]?.diff, { path: '/srv/new', before: 'absent\n', after: 'directory\n' });
  });

  it('refuses to turn a file into a directory', () => {
    fails(() => plan(state(fileState('/srv/x')), { path: '/srv/x', state: 'directory' }), /\/srv\/x exists and is a file, not a directory/);
  });

  it('accepts dest and name as aliases of path, and trailing slashes', () => {
    assert.deepEqual(plan(state(dirState('/d')), { dest: '/d', state: 'directory' }).steps.map(stepChange), []);
    assert.deepEqual(plan(state(dirState('/d')), { name: '/d/', state: 'directory' }).steps.map(stepChange), []);
  });

  it('is ok when an absent path is already missing, and removes one that exists', () => {
    const ok = plan(state(gone('/tmp/x')), { path: '/tmp/x', state: 'absent' });
    assert.deepEqual(ok.steps.map(stepChange), []);
    assert.equal(ok.okReason, '/tmp/x does not exist');
    const rm = plan(state(dirState('/tmp/x')), { path: '/tmp/x', state: 'absent' });
    assert.deepEqual(summaries(rm), ['remove directory /tmp/x and everything below it']);
    assert.deepEqual(rm.effects, [{ kind: 'path', key: '/tmp/x', state: 'absent' }]);
  });

  it('without state, keeps the type and fails like Ansible on a missing path', () => {
    assert.equal(plan(state(fileState('/f')), { path: '/f', mode: '0644' }).okReason, '/f is already a file with mode 0644');
    assert.equal(plan(state(dirState('/d')), { path: '/d' }).okReason, '/d is already a directory');
    fails(() => plan(state(gone('/m')), { path: '/m' }), /path \/m does not exist; use state: touch or state: directory/);
    fails(() => plan(state(gone('/m')), { path: '/m', state: 'file' }), /does not exist; use state: touch/);
  });

  it('state: file follows a link to its target', () => {
    const link: PathState = { path: '/l', exists: true, type: 'link', mode: 0o777, linkTarget: 'f', target: fileState('/l', { mode: 0o600 }) };
    assert.deepEqual(summaries(plan(state(link), { path: '/l', state: 'file', mode: '0644' })), ['mode 0600 -> 0644']);
  });

  it('touch changes every run', () => {
    assert.deepEqual(summaries(plan(state(fileState('/f')), { path: '/f', state: 'touch' })), ['update the timestamps of /f']);
    const p = plan(state(gone('/parent/f')), { path: '/parent/f', state: 'touch', mode: 'u=rw,go=' });
    assert.deepEqual(summaries(p), ['create file /parent/f', 'mode 0600']);
    assert.deepEqual(p.effects, [{ kind: 'path', key: '/parent/f', state: 'file' }]);
  });

  it('touch needs the parent directory', () => {
    fails(() => plan(state(gone('/nope/f'), { parent: gone('/nope') }), { path: '/nope/f', state: 'touch' }), /directory \/nope does not exist; create it first with file: state=directory/);
  });

  describe('links', () => {
    const link = (target: string): PathState => ({ path: '/l', exists: true, type: 'link', mode: 0o777, owner: 'root', group: 'root', uid: 0, gid: 0, linkTarget: target, target: fileState('/l') });

    it('is ok when the link already points at src', () => {
      const p = plan(state(link('/etc/a'), { src: fileState('/etc/a') }), { path: '/l', state: 'link', src: '/etc/a' });
      assert.deepEqual(p.steps.map(stepChange), []);
      assert.equal(p.okReason, '/l already links to /etc/a');
    });

    it('creates, relinks, and replaces a file only with force', () => {
      assert.deepEqual(summaries(plan(state(gone('/l'), { src: fileState('/etc/a') }), { path: '/l', state: 'link', src: '/etc/a' })), ['create link /l -> /etc/a']);
      assert.deepEqual(summaries(plan(state(link('/etc/b'), { src: fileState('/etc/a') }), { path: '/l', state: 'link', src: '/etc/a' })), ['relink /l: /etc/b -> /etc/a']);
      fails(() => plan(state(fileState('/l'), { src: fileState('/etc/a') }), { path: '/l', state: 'link', src: '/etc/a' }), /\/l exists and is a file; set force: true/);
      assert.deepEqual(summaries(plan(state(fileState('/l'), { src: fileState('/etc/a') }), { path: '/l', state: 'link', src: '/etc/a', force: true })), ['replace file /l with a link to /etc/a']);
    });

    it('refuses a link to a missing src unless forced', () => {
      fails(() => plan(state(gone('/l'), { src: gone('/etc/a') }), { path: '/l', state: 'link', src: '/etc/a' }), /src \/etc\/a does not exist; create it first, or set force: true/);
      assert.equal(plan(state(gone('/l'), { src: gone('/etc/a') }), { path: '/l', state: 'link', src: '/etc/a', force: true }).steps.map(stepChange).length, 1);
    });

    it('refuses a mode on a link', () => {
      fails(() => plan(state(gone('/l'), { src: fileState('/a') }), { path: '/l', state: 'link', src: '/a', mode: '0644' }), /mode cannot be set on a symbolic link/);
    });

    it('plans a link to a file that an earlier task only plans, marked pending (check mode)', () => {
      const planned = new PlannedState();
      planned.record({ kind: 'path', key: '/etc/app.conf', state: 'file' }, 'write config');
      const src = withPlanned(gone('/etc/app.conf'), planned);
      const p = plan(state(gone('/l'), { src }), { path: '/l', state: 'link', src: '/etc/app.conf' });
      assert.deepEqual(p.steps.map(stepChange), [
        { summary: 'create link /l -> /etc/app.conf', diff: { path: '/l', before: 'absent\n', after: 'link to /etc/app.conf\n' }, pending: "file /etc/app.conf is planned by task 'write config'" },
      ]);
    });

    it('is ok for a hard link that shares the inode, and needs force to replace another file', () => {
      const p = plan(state(fileState('/h', { inode: '9:9' }), { src: fileState('/a', { inode: '9:9' }) }), { path: '/h', state: 'hard', src: '/a' });
      assert.equal(p.okReason, '/h is already a hard link to /a');
      fails(() => plan(state(fileState('/h'), { src: fileState('/a', { inode: '9:9' }) }), { path: '/h', state: 'hard', src: '/a' }), /set force: true/);
      assert.deepEqual(summaries(plan(state(gone('/h'), { src: fileState('/a') }), { path: '/h', state: 'hard', src: '/a' })), ['create hard link /h => /a']);
      fails(() => plan(state(gone('/h'), { src: gone('/a') }), { path: '/h', state: 'hard', src: '/a' }), /src \/a does not exist/);
    });
  });

  describe('recurse', () => {
    it('counts what differs below the directory; links keep their mode', () => {
      const below = [
        { count: 3, type: 'file' as const, mode: 0o644, uid: 0, gid: 0, owner: 'root', group: 'root' },
        { count: 2, type: 'directory' as const, mode: 0o755, uid: 33, gid: 0, owner: 'www-data', group: 'root' },
        { count: 4, type: 'link' as const, mode: 0o777, uid: 0, gid: 0, owner: 'root', group: 'root' },
      ];
      const p = plan(state(dirState('/w'), { below }), { path: '/w', state: 'directory', recurse: true, mode: 'u=rwX,g=rX,o=', owner: 'www-data' });
      assert.deepEqual(summaries(p), ['mode 0755 -> 0750', 'owner root -> www-data', 'mode u=rwX,g=rX,o= on 5 entries below /w', 'owner www-data on 7 entries below /w']);
    });

    it('is ok when everything below already matches', () => {
      const below = [{ count: 3, type: 'file' as const, mode: 0o640, uid: 0, gid: 0, owner: 'root', group: 'root' }];
      const p = plan(state(dirState('/w', { mode: 0o750 }), { below }), { path: '/w', state: 'directory', recurse: true, mode: 'u=rwX,g=rX,o=' });
      assert.equal(p.okReason, '/w is already a directory with mode 0750, below it too');
    });

    it('needs state: directory', () => {
      fails(() => plan(state(fileState('/f')), { path: '/f', state: 'file', recurse: true }), /recurse needs state: directory/);
    });
  });
});

describe('file: on a real host (local connection)', () => {
  let dir = '';
  let conn: ShellConnection;
  before(() => {
    dir = tempDir('file');
    conn = localConnection();
  });
  after(async () => {
    await conn.close();
    removeDir(dir);
  });

  it('creates a directory with parents, then plans no change on the second run', async () => {
    const ctx = fakeCtx(conn);
    const args: FileArgs = { path: `${dir}/a/b/c`, state: 'directory', mode: '0750' };
    const first = await converge(file, ctx, args);
    assert.deepEqual(summaries(first.plan), [`create directory ${dir}/a/b/c`, 'mode 0750']);
    assert.equal(statSync(`${dir}/a/b/c`).mode & 0o7777, 0o750);
    const second = await converge(file, ctx, args);
    assert.deepEqual(second.plan.steps.map(stepChange), []);
    assert.equal(second.plan.okReason, `${dir}/a/b/c is already a directory with mode 0750`);
    assert.equal(second.applied, undefined);
  });

  it('creates weird names verbatim, and nothing else', async () => {
    const base = `${dir}/weird`;
    mkdirSync(base);
    const ctx = fakeCtx(conn);
    const names = ['with space', "quote'd \"both\"", '$(touch pwned)', '`touch pwned2`', 'new\nline', '-rf', '*'];
    for (const n of names) {
      await converge(file, ctx, { path: `${base}/${n}`, state: 'directory' });
      await converge(file, ctx, { path: `${base}/${n}/f ${n}`, state: 'touch', mode: '0600' });
      await converge(file, ctx, { path: `${base}/${n}/l ${n}`, state: 'link', src: `f ${n}` });
    }
    assert.deepEqual(readdirSync(base).sort(), [...names].sort());
    for (const n of names) {
      assert.deepEqual(readdirSync(`${base}/${n}`).sort(), [`f ${n}`, `l ${n}`].sort(), n);
      assert.equal(readlinkSync(`${base}/${n}/l ${n}`), `f ${n}`);
      assert.equal(statSync(`${base}/${n}/f ${n}`).mode & 0o777, 0o600);
    }
    assert.ok(!existsSync(`${process.env['HOME'] ?? '/root'}/pwned`) && !existsSync('pwned') && !existsSync('pwned2'));
    for (const n of names) assert.deepEqual((await converge(file, ctx, { path: `${base}/${n}/l ${n}`, state: 'link', src: `f ${n}` })).plan.steps.map(stepChange), []);
  });

  it('changes mode, owner and group, then is ok', async function () {
    if (!isRoot()) this.skip();
    const f = `${dir}/owned`;
    writeFileSync(f, 'x');
    chmodSync(f, 0o644);
    const ctx = fakeCtx(conn);
    const args: FileArgs = { path: f, mode: 'u=rw,g=r,o=', owner: 'daemon', group: 'daemon' };
    const first = await converge(file, ctx, args);
    assert.deepEqual(summaries(first.plan), ['mode 0644 -> 0640', 'owner root -> daemon', 'group root -> daemon']);
    const st = statSync(f);
    assert.equal(st.mode & 0o7777, 0o640);
    assert.equal(st.uid, Number((await conn.run(['id', '-u', 'daemon'])).stdout.trim()));
    assert.equal(st.gid, Number((await conn.run(['id', '-g', 'daemon'])).stdout.trim()));
    const second = await converge(file, ctx, args);
    assert.equal(second.plan.okReason, `${f} is already a file with mode 0640, owner daemon and group daemon`);
  });

  it('clears a directory set-gid bit when an octal mode asks for it (no change every run)', async () => {
    const d = `${dir}/sgid`;
    mkdirSync(d);
    chmodSync(d, 0o2775);
    const ctx = fakeCtx(conn);
    await converge(file, ctx, { path: d, state: 'directory', mode: '0755' });
    assert.equal(statSync(d).mode & 0o7777, 0o755);
    assert.deepEqual((await converge(file, ctx, { path: d, state: 'directory', mode: '0755' })).plan.steps.map(stepChange), []);
  });

  it('applies mode and owner recursively, skipping links, and converges', async function () {
    const t = `${dir}/tree`;
    mkdirSync(`${t}/sub/deeper`, { recursive: true });
    writeFileSync(`${t}/sub/a`, '');
    writeFileSync(`${t}/sub/deeper/b`, '');
    chmodSync(`${t}/sub/a`, 0o777);
    symlinkSync('sub/a', `${t}/link`);
    const ctx = fakeCtx(conn);
    const args: FileArgs = { path: t, state: 'directory', recurse: true, mode: 'u=rwX,g=rX,o=', ...(isRoot() ? { group: 'daemon' } : {}) };
    const first = await converge(file, ctx, args);
    assert.ok(summaries(first.plan).some((s) => s.startsWith('mode u=rwX,g=rX,o= on 4 entries below')), summaries(first.plan).join('; '));
    assert.equal(statSync(`${t}/sub/a`).mode & 0o777, 0o750, 'X keeps execute on a file that had it');
    assert.equal(statSync(`${t}/sub/deeper/b`).mode & 0o777, 0o640);
    assert.equal(statSync(`${t}/sub/deeper`).mode & 0o777, 0o750);
    if (isRoot()) assert.equal(lstatSync(`${t}/link`).gid, statSync(`${t}/sub/a`).gid);
    const second = await converge(file, ctx, args);
    assert.deepEqual(second.plan.steps.map(stepChange), []);
  });

  it('removes a tree, then says it does not exist', async () => {
    mkdirSync(`${dir}/gone/x`, { recursive: true });
    const ctx = fakeCtx(conn);
    await converge(file, ctx, { path: `${dir}/gone`, state: 'absent' });
    assert.ok(!existsSync(`${dir}/gone`));
    assert.equal((await converge(file, ctx, { path: `${dir}/gone`, state: 'absent' })).plan.okReason, `${dir}/gone does not exist`);
  });

  it('makes hard links, replaces a file with force, and converges', async () => {
    writeFileSync(`${dir}/h-src`, 'src');
    writeFileSync(`${dir}/h-dst`, 'other');
    const ctx = fakeCtx(conn);
    await assert.rejects(converge(file, ctx, { path: `${dir}/h-dst`, state: 'hard', src: `${dir}/h-src` }), /set force: true/);
    await converge(file, ctx, { path: `${dir}/h-dst`, state: 'hard', src: 'h-src', force: true });
    assert.equal(statSync(`${dir}/h-dst`).ino, statSync(`${dir}/h-src`).ino);
    assert.deepEqual((await converge(file, ctx, { path: `${dir}/h-dst`, state: 'hard', src: 'h-src' })).plan.steps.map(stepChange), []);
  });

  it('replaces an empty directory with a link only with force, and never a full one', async () => {
    mkdirSync(`${dir}/empty`);
    mkdirSync(`${dir}/full`);
    writeFileSync(`${dir}/full/keep`, 'k');
    const ctx = fakeCtx(conn);
    await converge(file, ctx, { path: `${dir}/empty`, state: 'link', src: '/tmp', force: true });
    assert.equal(readlinkSync(`${dir}/empty`), '/tmp');
    await assert.rejects(converge(file, ctx, { path: `${dir}/full`, state: 'link', src: '/tmp', force: true }), (e: unknown) => e instanceof ModuleError && /rmdir/.test(e.message));
    assert.ok(existsSync(`${dir}/full/keep`));
  });

  it('check mode: a touch below a directory an earlier task would create is pending, not a failure', async () => {
    const ctx = fakeCtx(conn, { task: 'make dir' });
    await converge(file, ctx, { path: `${dir}/later/conf.d`, state: 'directory' }, { check: true });
    assert.ok(!existsSync(`${dir}/later`));
    const next = { ...ctx, task: 'touch it' };
    const { plan: p } = await converge(file, next, { path: `${dir}/later/conf.d/x`, state: 'touch' }, { check: true });
    assert.deepEqual(p.steps.map(stepChange), [
      { summary: `create file ${dir}/later/conf.d/x`, diff: { path: `${dir}/later/conf.d/x`, before: 'absent\n', after: 'file\n' }, pending: `directory ${dir}/later/conf.d is planned by task 'make dir'` },
    ]);
    const same = await converge(file, next, { path: `${dir}/later/conf.d`, state: 'directory', mode: '0700' }, { check: true });
    assert.deepEqual(same.plan.steps.map(stepChange), [{ summary: 'mode 0700', pending: `directory ${dir}/later/conf.d is planned by task 'make dir'` }]);
  });

  it('fails a touch in a directory that nobody creates', async () => {
    await assert.rejects(converge(file, fakeCtx(conn), { path: `${dir}/nodir/x`, state: 'touch' }), new RegExp(`directory ${dir}/nodir does not exist; create it first`));
  });
});

describe('file: registry', () => {
  it('lists the canonical module names, sorted, without aliases', () => {
    const names = moduleNames();
    for (const n of ['command', 'copy', 'file', 'shell', 'template']) assert.ok(names.includes(n), n);
    assert.deepEqual(names, [...names].sort());
    assert.ok(!names.some((n) => n.includes('.')));
    assert.ok([...MODULES.keys()].includes('ansible.builtin.file'));
  });
});

schemaChecks(file);
