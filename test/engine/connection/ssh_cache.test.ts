// One run's SSH connections share an SshRunCache: ssh config, known_hosts and keys are read once
// (a file changed after the first connection is not read again), a key recorded under accept-new
// is seen by the next connection, each passphrase is its own outcome; and a connect in progress
// can be abandoned through its AbortSignal.
import { strict as assert } from 'node:assert';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SshRunCache, sshConnection } from '../../../src/engine/connection/ssh.js';
import type { SshOptions } from '../../../src/engine/connection/ssh_target.js';
import type { Connection } from '../../../src/engine/connection/types.js';
import { ConnectionError } from '../../../src/engine/errors.js';
import type { ConnectionSettings } from '../../../src/engine/inventory/connection_vars.js';
import { type SshdFixture, startSshd } from '../../support/sshd.js';
import { muteServer } from '../../support/mute_server.js';

describe('ssh connection: files read once per run (SshRunCache)', function () {
  let f: SshdFixture;
  let home: string;
  const open: Connection[] = [];
  const settings = (over: Partial<ConnectionSettings> = {}): ConnectionSettings => ({
    name: 'target',
    connection: 'ssh',
    host: '127.0.0.1',
    port: f.port,
    user: 'root',
    becomeMethod: 'sudo',
    hostKeyChecking: true,
    timeoutSec: 10,
    controlPersistSec: 0,
    ...over,
  });
  const options = (over: SshOptions = {}): SshOptions => ({ homeDir: home, sshConfigFile: false, agent: false, globalKnownHostsFiles: [], ...over });
  const connect = async (s: ConnectionSettings, o: SshOptions): Promise<Connection> => {
    const c = await sshConnection(s, o);
    open.push(c);
    return c;
  };

  before(async () => (f = await startSshd()));
  beforeEach(async () => (home = await mkdtemp(join(tmpdir(), 'kiln-cache-home-'))));
  afterEach(async () => {
    for (const c of open.splice(0)) await c.close();
    await rm(home, { recursive: true, force: true });
  });
  after(async () => f?.stop());

  it('known_hosts, the key and ~/.ssh/config: read by the first connection, not by the next ones', async () => {
    const key = join(home, 'id');
    const known = join(home, 'known_hosts');
    await copyFile(f.clientKey, key);
    await copyFile(f.knownHosts, known);
    await mkdir(join(home, '.ssh'));
    await writeFile(join(home, '.ssh', 'config'), `Host kiln-cached\n  HostName 127.0.0.1\n  Port ${f.port}\n  IdentityFile ${key}\n`);
    const cache = new SshRunCache();
    const s = settings({ host: 'kiln-cached', port: 22 });
    const o = options({ sshConfigFile: undefined, knownHostsFile: known, hostKeyPolicy: 'strict', cache });
    // 10 at once share the reads in progress.
    const first = await Promise.all(Array.from({ length: 10 }, () => connect(s, o)));
    for (const c of first) assert.equal((await c.run(['true'])).rc, 0);
    await Promise.all([rm(key), writeFile(known, ''), writeFile(join(home, '.ssh', 'config'), '')]);
    assert.equal((await (await connect(s, o)).run(['true'])).rc, 0);
    // Without the cache the same settings read the emptied config: no key to offer.
    await assert.rejects(sshConnection(s, { ...o, cache: undefined }), (e: unknown) => e instanceof ConnectionError && /no way to authenticate/.test(e.message));
  });

  it('a key recorded under accept-new is seen by the next connection of the run', async () => {
    const known = join(home, 'known_hosts');
    await writeFile(known, '');
    const cache = new SshRunCache();
    await connect(settings({ privateKeyFile: f.clientKey }), options({ knownHostsFile: known, hostKeyPolicy: 'accept-new', cache }));
    // strict now: it passes only if the recorded line is read, not the empty file read before.
    const c = await connect(settings({ privateKeyFile: f.clientKey }), options({ knownHostsFile: known, hostKeyPolicy: 'strict', cache }));
    assert.equal((await c.run(['true'])).rc, 0);
  });

  it('an encrypted key: each passphrase is its own outcome', async () => {
    const cache = new SshRunCache();
    const o = options({ knownHostsFile: f.knownHosts, cache });
    await connect(settings({ privateKeyFile: f.encryptedKey, privateKeyPassphrase: f.passphrase }), o);
    await assert.rejects(
      sshConnection(settings({ privateKeyFile: f.encryptedKey, privateKeyPassphrase: 'not it' }), o),
      (e: unknown) => e instanceof ConnectionError && /wrong passphrase/.test(e.message),
    );
    await assert.rejects(
      sshConnection(settings({ privateKeyFile: f.encryptedKey }), o),
      (e: unknown) => e instanceof ConnectionError && /encrypted and no passphrase/.test(e.message),
    );
    await connect(settings({ privateKeyFile: f.encryptedKey, privateKeyPassphrase: f.passphrase }), o);
  });

  it('a connect in progress rejects at once when its signal aborts', async () => {
    const mute = await muteServer();
    const { port } = mute;
    try {
      const abort = new AbortController();
      const t0 = Date.now();
      const p = sshConnection(settings({ port, privateKeyFile: f.clientKey }), options({ signal: abort.signal }));
      setTimeout(() => abort.abort(), 200);
      await assert.rejects(p, (e: unknown) => e instanceof ConnectionError && /abandoned/.test(e.message));
      assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
      // A signal aborted before the call: no connection is made.
      await assert.rejects(sshConnection(settings({ port, privateKeyFile: f.clientKey }), options({ signal: AbortSignal.abort() })), /abandoned/);
    } finally {
      await mute.close();
    }
  });
});
