// stat: the dictionary built from canned host output (every type bit, times as Python computes
// them, links, checksum, mime, attributes), check mode's prediction, and one real read here.
import { strict as assert } from 'node:assert';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localConnection } from '../../src/engine/connection/local.js';
import type { ShellConnection } from '../../src/engine/connection/shell_connection.js';
import { PlannedState } from '../../src/engine/planned.js';
import { stat, statResult, type StatState } from '../../src/modules/stat.js';
import { converge, counting, fakeCtx, removeDir, schemaChecks, tempDir } from './helpers.js';

const fields = (o: Record<string, string>): Map<string, string> => new Map(Object.entries(o));
const FILE = fields({
  exists: '1',
  st: '81a4 644 0 33 10 42 65024 1 1700000000.250000000 1700000001.123456789 1700000002.000000000 8 4096 0 0',
  pw_name: 'root',
  gr_name: 'www-data',
  readable: '1',
  writeable: '1',
  executable: '0',
  checksum: 'abc',
  mime: 'text/plain; charset=us-ascii',
  lsattr: '12 --------------e------- /f',
});

describe('stat: the registered dictionary (canned output)', () => {
  it('has Ansible keys and values for a regular file', () => {
    const r = statResult(FILE, '/f', { path: '/f' });
    assert.equal(r['mode'], '0644');
    assert.equal(r['isreg'], true);
    assert.equal(r['isdir'], false);
    assert.equal(r['gr_name'], 'www-data');
    assert.equal(r['mtime'], 1700000001 + 123456789 * 1e-9, 'seconds + ns * 1e-9, as os.stat computes it');
    assert.equal(r['checksum'], 'abc');
    assert.deepEqual([r['mimetype'], r['charset'], r['attr_flags'], r['attributes'], r['version']], ['text/plain', 'us-ascii', 'e', ['extents'], '12']);
    assert.deepEqual([r['rusr'], r['wusr'], r['xusr'], r['roth'], r['woth']], [true, true, false, true, false]);
  });

  it('describes a link with its target and a missing path as exists: false', () => {
    const link = fields({ exists: '1', st: 'a1ff 777 0 0 4 9 1 1 1.0 1.0 1.0 0 4096 0 0', lnk_target: 'f', lnk_source: '/etc/f' });
    const r = statResult(link, '/l', { path: '/l', get_mime: false, get_attributes: false });
    assert.deepEqual([r['islnk'], r['lnk_target'], r['lnk_source'], 'mimetype' in r, 'attributes' in r], [true, 'f', '/etc/f', false, false]);
    assert.deepEqual(statResult(fields({ exists: '0' }), '/nope', { path: '/nope' }), { exists: false });
  });

  it('plans nothing, with the path described as the reason, and registers stat', () => {
    const s: StatState = { fields: FILE, path: '/f' };
    const p = stat.plan(s, { path: '/f' });
    assert.deepEqual(p.steps, []);
    assert.equal(p.okReason, '/f is a file (mode 0644, owner root, group www-data, 10 bytes)');
    assert.equal((p.data?.['stat'] as Record<string, unknown>)['exists'], true);
    assert.equal(stat.plan({ fields: fields({ exists: '0' }), path: '/x' }, { name: '/x' } as never).okReason, '/x does not exist');
  });

  it('check mode: a path an earlier task plans is registered as it would be', () => {
    const s: StatState = { fields: fields({ exists: '0' }), path: '/srv/app', predicted: { exists: true, type: 'directory', pending: "directory /srv/app is planned by task 'app dir'" } };
    const p = stat.plan(s, { path: '/srv/app' });
    assert.deepEqual(p.data?.['stat'], { exists: true, path: '/srv/app', isreg: false, isdir: true, islnk: false });
    assert.equal(p.okReason, "/srv/app would be a directory (directory /srv/app is planned by task 'app dir'); its other attributes are not known yet");
    const changing = stat.plan({ fields: FILE, path: '/f', predicted: { exists: true, type: 'file', pending: "file /f is planned by task 'edit'" } }, { path: '/f' });
    assert.equal((changing.data?.['stat'] as Record<string, unknown>)['checksum'], 'abc', 'a file that exists keeps its attributes of now');
    assert.equal(changing.okReason, "/f is a file (mode 0644, owner root, group www-data, 10 bytes); file /f is planned by task 'edit', so these may change");
  });
});

describe('stat on this machine (local connection)', () => {
  let tmp: string;
  let conn: ShellConnection;
  before(() => {
    tmp = tempDir('stat');
    conn = localConnection();
  });
  after(async () => {
    await conn.close();
    removeDir(tmp);
  });

  it('reads a file, a link and a planned path in one round trip each', async () => {
    writeFileSync(join(tmp, 'f'), 'hello\n');
    symlinkSync('f', join(tmp, 'l'));
    const c = counting(conn);
    const f = await converge(stat, fakeCtx(c), { path: join(tmp, 'f'), checksum_algorithm: 'sha256' });
    const st = f.plan.data?.['stat'] as Record<string, unknown>;
    assert.equal(st['checksum'], '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03');
    assert.equal(st['size'], 6);
    const l = (await converge(stat, fakeCtx(c), { path: join(tmp, 'l') })).plan.data?.['stat'] as Record<string, unknown>;
    assert.deepEqual([l['islnk'], l['lnk_target'], l['lnk_source']], [true, 'f', join(tmp, 'f')]);
    assert.deepEqual(c.calls, ['script', 'script']);
    const planned = new PlannedState();
    planned.record({ kind: 'path', key: join(tmp, 'new'), state: 'file' }, 'make it');
    const n = await converge(stat, fakeCtx(conn, { planned }), { path: join(tmp, 'new') }, { check: true });
    assert.equal((n.plan.data?.['stat'] as Record<string, unknown>)['isreg'], true);
  });
});

schemaChecks(stat);
