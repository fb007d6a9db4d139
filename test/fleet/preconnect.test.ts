// Connections open up front: every host of a batch starts connecting when the batch starts, not
// behind --forks and its first task. Failures still surface only on a task that needs the host;
// a host whose tasks all skip reports nothing (a connect still in progress is given up, not
// awaited); a play of controller-only tasks (debug, set_fact, assert) contacts no host.
import { strict as assert } from 'node:assert';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../../src/engine/exit_codes.js';
import { recap } from '../support/cli.js';
import { freePort, type SshdFixture, startSshd } from '../support/sshd.js';
import { type Home, kilnAt, knownLine, makeHome, resultLines, sshVars, waitForSession, writePlay } from './fleet.js';
import { muteServer } from '../support/mute_server.js';

const logins = (f: SshdFixture): number => f.log().split('\n').filter((l) => /Accepted publickey for root/.test(l)).length;
const connections = (f: SshdFixture): number => f.log().split('\n').filter((l) => /Connection from 127\.0\.0\.1/.test(l)).length;

describe('fleet: connections open when the batch starts', function () {
  this.timeout(90_000);
  let a: SshdFixture;
  let b: SshdFixture;
  let home: Home;
  let deadPort: number;

  before(async () => {
    [a, b] = await Promise.all([startSshd(), startSshd()]);
    deadPort = await freePort();
    home = makeHome('preconnect');
    writeFileSync(home.knownHosts, knownLine(a) + knownLine(b));
  });
  after(async () => {
    await Promise.all([a, b].map((f) => f?.stop()));
    if (home) rmSync(home.dir, { recursive: true, force: true });
  });

  const inventory = (name: string, lines: string[]): string => {
    const file = join(home.dir, name);
    writeFileSync(file, `[all]\n${lines.join('\n')}\n`);
    return file;
  };

  it('--forks 1: the second host is logged in while the first one runs its first task', async () => {
    const inv = inventory('two.ini', [`first ${sshVars(a)} nap=3`, `second ${sshVars(b)} nap=0`]);
    const play = writePlay(home.dir, 'nap.yml', 'all', `  - name: nap\n    command: sleep {{ nap }}\n`);
    const before = logins(b);
    const run = kilnAt(home, ['play', play, '-i', inv, '--forks', '1']);
    await waitForSession(a, /^sleep 3\b/);
    // Lazily, "second" would connect only after first's 3 s nap.
    const until = Date.now() + 2000;
    while (logins(b) === before && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.equal(logins(b), before + 1, `second was not logged in during first's task:\n${b.log().slice(-2000)}`);
    const r = await run;
    assert.equal(r.code, EXIT.OK, r.stdout + r.stderr);
  });

  it('a dead host whose tasks all skip: no unreachable, exit 0; one that runs a task: unreachable there', async () => {
    const inv = inventory('dead.ini', [`good ${sshVars(a)}`, `dead ${sshVars({ port: deadPort, clientKey: a.clientKey })}`]);
    const tasks = `  - name: only on good\n    command: "true"\n    when: inventory_hostname == 'good'\n  - name: also only on good\n    command: "true"\n    when: inventory_hostname == 'good'\n`;
    const skipped = await kilnAt(home, ['play', writePlay(home.dir, 'skip.yml', 'all', tasks), '-i', inv]);
    assert.equal(skipped.code, EXIT.OK, skipped.stdout + skipped.stderr);
    assert.deepEqual(recap(skipped.stdout)['dead'], { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 2, rescued: 0, ignored: 0 });
    assert.doesNotMatch(skipped.stdout + skipped.stderr, /unreachable:|refused|Unhandled|rejection/i);

    const third = `${tasks}  - name: everywhere\n    command: "true"\n`;
    const r = await kilnAt(home, ['play', writePlay(home.dir, 'third.yml', 'all', third), '-i', inv]);
    assert.equal(r.code, EXIT.UNREACHABLE, r.stdout + r.stderr);
    assert.deepEqual(recap(r.stdout)['dead'], { ok: 0, changed: 0, unreachable: 1, failed: 0, skipped: 2, rescued: 0, ignored: 0 });
    const lines = resultLines(r.stdout).filter((l) => l.host === 'dead');
    assert.deepEqual(
      lines.map((l) => l.status),
      ['skipping', 'skipping', 'unreachable'],
    );
    assert.match(lines[2]?.line ?? '', new RegExp(`connection refused .*port ${deadPort}`));
  });

  it('a host that never answers and whose tasks all skip does not hold the run up to its timeout', async () => {
    const mute = await muteServer();
    const { port } = mute;
    try {
      const inv = inventory('mute.ini', [`good ${sshVars(a)}`, `mute ${sshVars({ port, clientKey: a.clientKey })} ansible_timeout=30`]);
      // good's nap leaves mute's connect time to reach the server; then the run ends with it pending.
      const play = writePlay(home.dir, 'mute.yml', 'all', `  - name: only on good\n    command: sleep 1\n    when: inventory_hostname == 'good'\n`);
      const t0 = Date.now();
      const r = await kilnAt(home, ['play', play, '-i', inv]);
      assert.equal(r.code, EXIT.OK, r.stdout + r.stderr);
      assert.equal(recap(r.stdout)['mute']?.skipped, 1);
      assert.ok(mute.sockets.length >= 1, 'mute was contacted (preconnect)');
      assert.ok(Date.now() - t0 < 15_000, `took ${Date.now() - t0} ms`);
    } finally {
      await mute.close();
    }
  });

  it('a play of debug and set_fact tasks only opens no connection', async () => {
    const inv = inventory('quiet.ini', [`one ${sshVars(a)}`, `two ${sshVars(b)}`]);
    const play = writePlay(home.dir, 'quiet.yml', 'all', `  - name: say\n    debug:\n      msg: hello\n  - name: note\n    set_fact:\n      x: 1\n`);
    const before = [connections(a), connections(b)];
    const r = await kilnAt(home, ['play', play, '-i', inv]);
    assert.equal(r.code, EXIT.OK, r.stdout + r.stderr);
    assert.deepEqual([connections(a), connections(b)], before);
  });
});
