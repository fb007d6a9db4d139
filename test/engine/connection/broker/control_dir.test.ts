import { strict as assert } from 'node:assert';
import { statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { controlDir, controlSocket, socketName } from '../../../../src/engine/connection/broker/control_dir.js';
import { PROTOCOL } from '../../../../src/engine/connection/broker/protocol.js';
import { packageJson } from '../../../../src/engine/paths.js';

describe('broker control directory', function () {
  let tmp: string;
  beforeEach(async function () {
    tmp = await mkdtemp(join(tmpdir(), 'kiln-cpdir-'));
  });
  afterEach(async function () {
    await rm(tmp, { recursive: true, force: true });
  });

  it('is ~/.kiln/cp unless KILN_CONTROL_DIR says otherwise', function () {
    assert.equal(controlDir({}, '/home/u'), '/home/u/.kiln/cp');
    assert.equal(controlDir({ KILN_CONTROL_DIR: '/run/kiln' }, '/home/u'), '/run/kiln');
  });

  it('names the socket after the protocol and the kiln version', function () {
    assert.ok(socketName().includes(`-p${PROTOCOL}-`), socketName());
    assert.ok(socketName().includes(packageJson().version), socketName());
  });

  it('creates a missing directory 0700 and returns the socket path in it', function () {
    const dir = join(tmp, 'a', 'cp');
    assert.deepEqual(controlSocket(dir), { path: join(dir, socketName()) });
    assert.equal(statSync(dir).mode & 0o777, 0o700);
  });

  it('refuses a directory group or others can reach, telling how to fix it', async function () {
    await chmod(tmp, 0o750);
    const r = controlSocket(tmp);
    assert.ok('problem' in r);
    assert.match(r.problem, /accessible to group or others \(mode 0750\): run chmod 700 .*, or set KILN_CONTROL_DIR/);
  });

  it('refuses a directory owned by another user', async function () {
    const dir = join(tmp, 'theirs');
    await mkdir(dir, { mode: 0o700 });
    await chmod(dir, 0o700);
    const { chown } = await import('node:fs/promises');
    await chown(dir, 65534, 65534);
    const r = controlSocket(dir);
    assert.ok('problem' in r);
    assert.match(r.problem, /belongs to uid 65534, not to you/);
  });

  it('refuses a socket path that is a symlink or not a socket', async function () {
    await chmod(tmp, 0o700);
    const sock = join(tmp, socketName());
    await symlink('/tmp/elsewhere', sock);
    const a = controlSocket(tmp);
    assert.ok('problem' in a && /is a symbolic link/.test(a.problem));
    await rm(sock);
    await writeFile(sock, '');
    const b = controlSocket(tmp);
    assert.ok('problem' in b && /is not a socket/.test(b.problem));
  });

  it('refuses a socket path longer than a unix socket can have', function () {
    const r = controlSocket(join(tmp, 'x'.repeat(100)));
    assert.ok('problem' in r && /longer than 107 bytes/.test(r.problem));
  });
});
