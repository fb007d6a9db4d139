// [fleet] acceptance 4: faults on some hosts while the healthy ones converge in the same run.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../../src/engine/exit_codes.js';
import { recap } from '../support/cli.js';
import { freePort, type SshdFixture, startSshd } from '../support/sshd.js';
import { type Home, kilnAt, knownLine, makeHome, resultLines, sshVars, waitForSession, writePlay } from './fleet.js';

const TASKS = [
  `  - name: folder\n    file:\n      path: "{{ root }}/{{ inventory_hostname }}"\n      state: directory\n`,
  `  - name: nap\n    command: sleep {{ nap }}\n`,
  `  - name: first file\n    copy:\n      dest: "{{ root }}/{{ inventory_hostname }}/a"\n      content: "a\\n"\n`,
  `  - name: second file\n    copy:\n      dest: "{{ root }}/{{ inventory_hostname }}/b"\n      content: "b\\n"\n`,
].join('');

const clean = { unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };

describe('fleet: faults while healthy hosts converge', function () {
  this.timeout(90_000);
  let healthy: SshdFixture;
  let wrongKey: SshdFixture;
  let doomed: SshdFixture;
  let deadPort: number;
  let home: Home;
  let root: string;
  let playbook: string;

  before(async () => {
    [healthy, wrongKey, doomed] = await Promise.all([startSshd(), startSshd(), startSshd()]);
    deadPort = await freePort();
    home = makeHome('faults');
    root = join(home.dir, 'target');
    // Line 2 holds another server's key for wrongKey's address: a changed host key.
    writeFileSync(home.knownHosts, knownLine(healthy) + knownLine(wrongKey, healthy.hostKey) + knownLine(doomed));
    playbook = writePlay(home.dir, 'site.yml', 'all', TASKS);
  });
  after(async () => {
    await Promise.all([healthy, wrongKey, doomed].map((f) => f?.stop()));
    if (home) rmSync(home.dir, { recursive: true, force: true });
  });

  const inventory = (name: string, lines: string[]): string => {
    const file = join(home.dir, name);
    writeFileSync(file, `[fleet]\n${lines.join('\n')}\n\n[fleet:vars]\nnap=0\n`);
    return file;
  };

  it('wrong host key, dead port, sshd killed mid-run: those hosts unreachable, the others converge, exit 4', async () => {
    const inv = inventory('faults.ini', [
      `good1 ${sshVars(healthy)}`,
      `good2 ${sshVars(healthy)}`,
      `badkey ${sshVars(wrongKey)}`,
      `dead ${sshVars({ port: deadPort, clientKey: healthy.clientKey })}`,
      `dropped ${sshVars(doomed)} nap=5`,
    ]);
    const run = kilnAt(home, ['play', playbook, '-i', inv, '-e', `root=${root}`]);
    // Kill the host's sshd, sessions included, while its `sleep 5` runs.
    await waitForSession(doomed, /^sleep 5\b/);
    await doomed.kill();
    const r = await run;
    const out = r.stdout + r.stderr;
    assert.equal(r.code, EXIT.UNREACHABLE, out);

    const counts = recap(r.stdout);
    assert.deepEqual(counts['good1'], { ok: 4, changed: 4, ...clean }, out);
    assert.deepEqual(counts['good2'], { ok: 4, changed: 4, ...clean }, out);
    assert.deepEqual(counts['badkey'], { ok: 0, changed: 0, ...clean, unreachable: 1 }, out);
    assert.deepEqual(counts['dead'], { ok: 0, changed: 0, ...clean, unreachable: 1 }, out);
    // The folder task ran; the dropped connection is unreachable, and nothing after it runs or counts.
    assert.deepEqual(counts['dropped'], { ok: 1, changed: 1, ...clean, unreachable: 1 }, out);

    const lines = resultLines(r.stdout);
    const of = (h: string): string[] => lines.filter((l) => l.host === h).map((l) => l.status);
    assert.deepEqual(of('badkey'), ['unreachable']);
    assert.deepEqual(of('dead'), ['unreachable']);
    assert.deepEqual(of('dropped'), ['changed', 'unreachable']);
    const msg = (h: string): string => lines.find((l) => l.host === h && l.status === 'unreachable')?.line ?? '';
    assert.match(msg('badkey'), /host key .* has CHANGED/, out);
    assert.ok(msg('badkey').includes(`${home.knownHosts}:2`), `names the known_hosts file and line: ${msg('badkey')}`);
    assert.match(msg('dead'), new RegExp(`connection refused .*port ${deadPort}`), out);
    assert.match(msg('dropped'), /connection lost|dropped/, out);

    for (const h of ['good1', 'good2']) {
      assert.equal(readFileSync(join(root, h, 'b'), 'utf8'), 'b\n', h);
    }
    assert.ok(existsSync(join(root, 'dropped')), 'the task before the kill ran');
    assert.ok(!existsSync(join(root, 'dropped', 'a')), 'no task ran on the dropped host after the kill');
    for (const h of ['badkey', 'dead']) assert.ok(!existsSync(join(root, h)), h);
  });

  it('one host failed and one unreachable: exit 2 (failed wins)', async () => {
    const inv = inventory('mixed.ini', [`good1 ${sshVars(healthy)}`, `dead ${sshVars({ port: deadPort, clientKey: healthy.clientKey })}`]);
    const failing = writePlay(home.dir, 'failing.yml', 'all', `${TASKS}  - name: break good1\n    fail:\n      msg: good1 breaks on purpose\n    when: inventory_hostname == 'good1'\n`);
    const r = await kilnAt(home, ['play', failing, '-i', inv, '-e', `root=${root}`]);
    assert.equal(r.code, EXIT.HOST_FAILED, r.stdout + r.stderr);
    const counts = recap(r.stdout);
    assert.equal(counts['good1']?.failed, 1);
    assert.equal(counts['dead']?.unreachable, 1);
  });

  it('a later run with the host reachable again converges it', async () => {
    // "dead" is now served (its address and known_hosts entry are the healthy sshd's).
    const inv = inventory('healed.ini', [`good1 ${sshVars(healthy)}`, `dead ${sshVars(healthy)}`]);
    const r = await kilnAt(home, ['play', playbook, '-i', inv, '-e', `root=${root}`]);
    assert.equal(r.code, EXIT.OK, r.stdout + r.stderr);
    const counts = recap(r.stdout);
    assert.deepEqual(counts['dead'], { ok: 4, changed: 4, ...clean });
    // good1 changed only its `command` task (always "changed").
    assert.deepEqual(counts['good1'], { ok: 4, changed: 1, ...clean });
    assert.equal(readFileSync(join(root, 'dead', 'b'), 'utf8'), 'b\n');
  });
});
