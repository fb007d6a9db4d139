import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { localConnection } from '../../../src/engine/connection/local.js';
import type { ShellConnection } from '../../../src/engine/connection/shell_connection.js';
import { ModuleError } from '../../../src/engine/errors.js';
import { PlannedState } from '../../../src/engine/planned.js';
import { modeText, parentOf, parsePathBatch, readPaths, withPlanned } from '../../../src/engine/facts/path.js';
import { counting, removeDir, tempDir } from '../../modules/helpers.js';

describe('path fact: parsing', () => {
  const sep = '--kiln-0123456789abcdef--';
  const canned = (sections: string[][]): string => [...sections.flatMap((s, i) => (i === 0 ? s : [sep, ...s])), sep, ''].join('\0');

  it('parses files, links, a dangling link and a missing path from canned output, by name', () => {
    const out = canned([
      ['0027\n'],
      ['81a4 640 0 4 12 2049:77 root adm /a', 'a1ff 777 0 0 5 2049:78 root root /l', 'a1ff 777 0 0 7 2049:79 root root /d', '41ed 755 33 33 4096 2049:80 www-data www-data /with space'],
      ['/l', '/d'],
      ['../x y', 'nowhere'],
      ['41ed 755 33 33 4096 2049:80 www-data www-data /l'],
      [`${'ab'.repeat(32)}  /a`],
      [],
    ]);
    const b = parsePathBatch(out, sep, new Map([['/a', 'c'], ['/l', '-'], ['/d', 'c'], ['/m', '-'], ['/with space', 'b']]));
    assert.equal(b.umask, 0o027);
    assert.deepEqual(b.entries.get('/a'), { state: { path: '/a', exists: true, type: 'file', mode: 0o640, uid: 0, gid: 4, size: 12, inode: '2049:77', owner: 'root', group: 'adm', sha256: 'ab'.repeat(32) }, checksummed: true });
    const l = b.entries.get('/l')?.state;
    assert.equal(l?.type, 'link');
    assert.equal(l?.linkTarget, '../x y');
    assert.equal(l?.target?.type, 'directory');
    assert.equal(l?.target?.owner, 'www-data');
    assert.equal(b.entries.get('/d')?.state.target?.exists, false);
    assert.deepEqual(b.entries.get('/m'), { state: { path: '/m', exists: false }, checksummed: false });
    assert.equal(b.entries.get('/with space')?.state.type, 'directory');
    assert.deepEqual(b.entries.get('/with space')?.below, [], 'a summary asked for but not printed is empty');
  });

  it('fails with a ModuleError on truncated output rather than guessing', () => {
    assert.throws(() => parsePathBatch(`0022\0${sep}\0`, sep, new Map([['/a', '-']])), ModuleError);
    const noTarget = canned([['0022'], ['a1ff 777 0 0 5 2049:78 root root /l'], ['/l'], [], [], [], []]);
    assert.throws(() => parsePathBatch(noTarget, sep, new Map([['/l', '-']])), /readlink/);
  });

  it('formats modes as four octal digits', () => {
    assert.equal(modeText(0o644), '0644');
    assert.equal(modeText(0o2755), '2755');
    assert.equal(modeText(0), '0000');
  });
});

describe('path fact: check-mode view (withPlanned)', () => {
  const planned = (): PlannedState => {
    const p = new PlannedState();
    p.record({ kind: 'path', key: '/srv/app/conf', state: 'directory' }, 'make conf');
    p.record({ kind: 'path', key: '/etc/old', state: 'absent' }, 'drop old');
    p.record({ kind: 'path', key: '/etc/motd', state: 'file' }, 'write motd');
    return p;
  };

  it('reports a missing path that an earlier task creates, with the task in pending', () => {
    const s = withPlanned({ path: '/srv/app/conf', exists: false }, planned());
    assert.deepEqual(s, { path: '/srv/app/conf', exists: true, type: 'directory', pending: "directory /srv/app/conf is planned by task 'make conf'" });
  });

  it('treats the ancestors of a planned directory as planned directories', () => {
    const s = withPlanned({ path: '/srv/app', exists: false }, planned());
    assert.equal(s.type, 'directory');
    assert.equal(s.pending, "directory /srv/app is planned by task 'make conf'");
  });

  it('keeps a real directory as it is when only something below it is planned', () => {
    const real = { path: '/srv', exists: true, type: 'directory' as const, mode: 0o755 };
    assert.deepEqual(withPlanned(real, planned()), real);
  });

  it('removes what an earlier task removes, and everything below it', () => {
    assert.deepEqual(withPlanned({ path: '/etc/old', exists: true, type: 'directory' }, planned()), {
      path: '/etc/old',
      exists: false,
      pending: "removal of /etc/old is planned by task 'drop old'",
    });
    const below = withPlanned({ path: '/etc/old/x/y', exists: true, type: 'file' }, planned());
    assert.equal(below.exists, false);
    assert.equal(below.pending, "removal of /etc/old is planned by task 'drop old'");
  });

  it('keeps the real attributes when the planned type matches, but marks them pending', () => {
    const s = withPlanned({ path: '/etc/motd', exists: true, type: 'file', mode: 0o644, sha256: 'aa' }, planned());
    assert.equal(s.mode, 0o644);
    assert.equal(s.pending, "file /etc/motd is planned by task 'write motd'");
  });

  it('changes nothing without planned state', () => {
    const real = { path: '/x', exists: false };
    assert.equal(withPlanned(real, new PlannedState()), real);
  });

  it('knows the parent of a path', () => {
    assert.equal(parentOf('/a/b/'), '/a');
    assert.equal(parentOf('/a'), '/');
    assert.equal(parentOf('/'), undefined);
    assert.equal(parentOf('rel'), undefined);
  });
});

describe('path fact: on a real host (local connection)', () => {
  let dir = '';
  let conn: ShellConnection;
  const ctx = (): { conn: ShellConnection; becomeUser: undefined } => ({ conn, becomeUser: undefined });

  before(() => {
    dir = tempDir('pathfact');
    conn = localConnection();
  });
  after(async () => {
    await conn.close();
    removeDir(dir);
  });

  it('stats files, directories, links and missing paths with names of any bytes, in one round trip', async () => {
    const names = ['plain', 'with space', "it's", '$(touch pwned)', 'new\nline', '-dash'];
    for (const n of names) writeFileSync(`${dir}/${n}`, `content of ${n}`);
    chmodSync(`${dir}/plain`, 0o640);
    mkdirSync(`${dir}/sub`);
    symlinkSync('new\nline', `${dir}/link`);
    symlinkSync('nowhere', `${dir}/dangling`);
    const c = counting(conn);
    const paths = [...names.map((n) => `${dir}/${n}`), `${dir}/sub`, `${dir}/link`, `${dir}/dangling`, `${dir}/missing`];
    const f = await readPaths({ conn: c, becomeUser: undefined }, paths, { checksum: true });
    assert.deepEqual(c.calls, ['script']);
    assert.deepEqual(readdirSync(dir).sort(), [...names, 'sub', 'link', 'dangling'].sort(), 'reading created nothing');
    names.forEach((n, i) => {
      const s = f.paths[i];
      assert.equal(s?.type, 'file', n);
      assert.equal(s?.sha256, createHash('sha256').update(`content of ${n}`).digest('hex'), n);
      assert.equal(s?.size, `content of ${n}`.length);
    });
    assert.equal(f.paths[0]?.mode, 0o640);
    assert.equal(f.paths[0]?.owner !== undefined, true);
    assert.equal(f.paths[6]?.type, 'directory');
    assert.equal(f.paths[6]?.sha256, undefined);
    assert.equal(f.paths[7]?.type, 'link');
    assert.equal(f.paths[7]?.linkTarget, 'new\nline');
    assert.equal(f.paths[7]?.target?.type, 'file');
    assert.equal(f.paths[8]?.target?.exists, false);
    assert.deepEqual(f.paths[9], { path: `${dir}/missing`, exists: false });
    assert.equal(f.umask, Number.parseInt((await conn.run(['sh', '-c', 'umask'])).stdout.trim(), 8));
  });

  it('tells hard links apart by inode', async () => {
    writeFileSync(`${dir}/orig`, 'x');
    linkSync(`${dir}/orig`, `${dir}/hard`);
    writeFileSync(`${dir}/other`, 'x');
    const f = await readPaths(ctx(), [`${dir}/orig`, `${dir}/hard`, `${dir}/other`]);
    assert.equal(f.paths[0]?.inode, f.paths[1]?.inode);
    assert.notEqual(f.paths[0]?.inode, f.paths[2]?.inode);
  });

  it('summarises what lies below a directory by type, mode and owner', async () => {
    const t = `${dir}/tree`;
    mkdirSync(`${t}/a/b`, { recursive: true });
    writeFileSync(`${t}/a/f1`, '');
    writeFileSync(`${t}/a/b/f2`, '');
    writeFileSync(`${t}/f3`, '');
    chmodSync(`${t}/f3`, 0o600);
    symlinkSync('f3', `${t}/l`);
    chmodSync(`${t}/a`, 0o755);
    chmodSync(`${t}/a/b`, 0o755);
    chmodSync(`${t}/a/f1`, 0o644);
    chmodSync(`${t}/a/b/f2`, 0o644);
    const f = await readPaths(ctx(), [t], { below: true });
    const got = (f.below ?? []).map((e) => `${e.count} ${e.type} ${modeText(e.mode)}`).sort();
    assert.deepEqual(got, ['1 file 0600', '1 link 0777', '2 directory 0755', '2 file 0644']);
    const none = await readPaths(ctx(), [`${dir}/plain`], { below: true });
    assert.deepEqual(none.below, []);
  });

  it('fails with the host error when a path cannot be read', async () => {
    await assert.rejects(
      readPaths({ conn: { ...conn, host: 'h', script: async () => ({ rc: 1, stdout: '', stderr: 'stat: boom' }) } as unknown as ShellConnection, becomeUser: undefined }, ['/x']),
      /cannot read the state of \/x: stat: boom/,
    );
  });
});
