// [fleet] acceptance 2 and 3: 20 inventory hosts (aliases of one sshd) with --forks 10, and serial: 5.
import { strict as assert } from 'node:assert';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../../src/engine/exit_codes.js';
import { recap } from '../support/cli.js';
import { descendants, freePort, type SshdFixture, startSshd } from '../support/sshd.js';
import { snapshot } from '../support/tree.js';
import { type Home, kilnAt, knownLine, makeHome, resultLines, secondsSince, sshVars, writePlay } from './fleet.js';

const HOSTS = Array.from({ length: 20 }, (_, i) => `node${String(i + 1).padStart(2, '0')}`);

// Ten tasks, each host under its own folder.
const TEN_TASKS = [
  `  - name: host folder\n    file:\n      path: "{{ root }}/{{ inventory_hostname }}"\n      state: directory\n      mode: "0755"\n`,
  ...[1, 2, 3, 4, 5].map((i) => `  - name: copy ${i}\n    copy:\n      dest: "{{ root }}/{{ inventory_hostname }}/f${i}.txt"\n      content: "{{ inventory_hostname }} file ${i}\\n"\n      mode: "0644"\n`),
  `  - name: sub folder\n    file:\n      path: "{{ root }}/{{ inventory_hostname }}/sub"\n      state: directory\n`,
  `  - name: copy into sub\n    copy:\n      dest: "{{ root }}/{{ inventory_hostname }}/sub/id"\n      content: "{{ inventory_hostname }} port {{ ansible_port }}\\n"\n`,
  `  - name: link\n    file:\n      src: "{{ root }}/{{ inventory_hostname }}/f1.txt"\n      dest: "{{ root }}/{{ inventory_hostname }}/latest"\n      state: link\n`,
  `  - name: touch-free marker\n    copy:\n      dest: "{{ root }}/{{ inventory_hostname }}/done"\n      content: ""\n`,
].join('');

describe('fleet: 20 hosts through one sshd', function () {
  this.timeout(120_000);
  let f: SshdFixture;
  let home: Home;
  let inventory: string;
  const logLines = (re: RegExp): number => f.log().split('\n').filter((l) => re.test(l)).length;

  before(async () => {
    f = await startSshd();
    home = makeHome('fleet20');
    writeFileSync(home.knownHosts, knownLine(f));
    inventory = join(home.dir, 'hosts.ini');
    writeFileSync(inventory, `[fleet]\n${HOSTS.map((h) => `${h} ${sshVars(f)}`).join('\n')}\n`);
  });
  after(async () => {
    await f?.stop();
    if (home) rmSync(home.dir, { recursive: true, force: true });
  });

  it('--forks 10: 10 tasks converge on each of 20 hosts, then nothing changes', async () => {
    const root = join(home.dir, 'forks');
    const playbook = writePlay(home.dir, 'ten.yml', 'fleet', TEN_TASKS);
    const loginsBefore = logLines(/Accepted publickey for root/);
    const byeBefore = logLines(/Received disconnect from 127\.0\.0\.1/);
    const t0 = Date.now();
    const first = await kilnAt(home, ['play', playbook, '-i', inventory, '--forks', '10', '-e', `root=${root}`]);
    const firstSec = secondsSince(t0);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const r1 = recap(first.stdout);
    assert.deepEqual(Object.keys(r1).sort(), HOSTS);
    for (const h of HOSTS) assert.deepEqual(r1[h], { ok: 10, changed: 10, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 }, h);
    for (const h of HOSTS) {
      const tree = snapshot(join(root, h));
      assert.equal(tree['sub/id']?.content, `${h} port ${f.port}\n`, h);
      assert.equal(tree['f3.txt']?.content, `${h} file 3\n`, h);
      assert.equal(tree['latest']?.type, 'link', h);
    }
    // One login per host; every connection is closed by kiln (SSH disconnect), none left to die with the process.
    await waitFor(() => descendants(f.pid).length === 0);
    assert.equal(logLines(/Accepted publickey for root/) - loginsBefore, 20, f.log());
    assert.equal(logLines(/Received disconnect from 127\.0\.0\.1/) - byeBefore, 20, f.log());

    const t1 = Date.now();
    const second = await kilnAt(home, ['play', playbook, '-i', inventory, '--forks', '10', '-e', `root=${root}`]);
    const secondSec = secondsSince(t1);
    assert.equal(second.code, 0, second.stdout + second.stderr);
    const r2 = recap(second.stdout);
    assert.deepEqual(Object.keys(r2).sort(), HOSTS);
    for (const h of HOSTS) assert.deepEqual(r2[h], { ok: 10, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 }, h);
    console.log(`      wall time, 20 hosts x 10 tasks, --forks 10 (CLI start included): first run ${firstSec} s, second run ${secondSec} s`);
  });

  it('serial: 5 runs 4 batches of 5, each batch finishing every task before the next starts', async () => {
    const root = join(home.dir, 'serial');
    const tasks = [
      `  - name: folder\n    file:\n      path: "{{ root }}/{{ inventory_hostname }}"\n      state: directory\n`,
      `  - name: batch\n    copy:\n      dest: "{{ root }}/{{ inventory_hostname }}/batch"\n      content: "{{join ansible_play_batch ','}}"\n`,
      `  - name: last\n    copy:\n      dest: "{{ root }}/{{ inventory_hostname }}/last"\n      content: "x"\n`,
    ].join('');
    const playbook = writePlay(home.dir, 'serial.yml', 'fleet', tasks, '  serial: 5\n');
    const logStart = f.log().length;
    const r = await kilnAt(home, ['play', playbook, '-i', inventory, '--forks', '10', '-e', `root=${root}`]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const counts = recap(r.stdout);
    assert.deepEqual(Object.keys(counts).sort(), HOSTS);
    for (const h of HOSTS) assert.equal(counts[h]?.changed, 3, h);

    // The human reporter prints one play banner per batch: "PLAY [serial.yml] (batch i/4)".
    const lines = r.stdout.split('\n');
    const banners = lines.flatMap((l, i) => (/^PLAY \[serial\.yml\]/.test(l) ? [{ i, l }] : []));
    assert.deepEqual(
      banners.map((b) => /\(batch (\d+\/\d+)\)/.exec(b.l)?.[1]),
      ['1/4', '2/4', '3/4', '4/4'],
      r.stdout,
    );
    // Results between banner k and banner k+1 are exactly batch k's hosts, all three tasks each.
    for (const [k, b] of banners.entries()) {
      const end = banners[k + 1]?.i ?? lines.findIndex((l) => l.startsWith('PLAY RECAP'));
      const results = resultLines(lines.slice(b.i, end).join('\n'));
      const expected = HOSTS.slice(k * 5, k * 5 + 5);
      assert.deepEqual([...new Set(results.map((x) => x.host))].sort(), expected, `batch ${k + 1}`);
      assert.equal(results.length, 15, `batch ${k + 1}: 5 hosts x 3 tasks`);
      // ansible_play_batch names the batch the host ran in.
      for (const h of expected) assert.equal(snapshot(join(root, h))['batch']?.content, expected.join(','), h);
    }
    // A finished batch closes its connections before the next one logs in: never more than 5 open.
    await waitFor(() => descendants(f.pid).length === 0);
    const log = f.log().slice(logStart).split('\n');
    const open = new Set<string>();
    let most = 0;
    let logins = 0;
    for (const l of log) {
      const login = /Accepted publickey for root from \S+ port (\d+)/.exec(l);
      const bye = /Received disconnect from \S+ port (\d+)/.exec(l);
      if (login) {
        logins++;
        open.add(login[1] as string);
      }
      if (bye) open.delete(bye[1] as string);
      most = Math.max(most, open.size);
    }
    assert.equal(logins, 20, log.join('\n'));
    assert.equal(open.size, 0, 'every connection was closed by kiln');
    assert.ok(most <= 5, `${most} connections were open at once`);
  });

  describe('a rolling update stops at a broken batch, as Ansible does', () => {
    const SIX = HOSTS.slice(0, 6);
    let deadPort: number;
    before(async () => (deadPort = await freePort()));

    const run = async (dead: readonly string[], playExtra: string) => {
      const inv = join(home.dir, `rolling-${dead.length}.ini`);
      const line = (h: string): string => `${h} ${sshVars(dead.includes(h) ? { port: deadPort, clientKey: f.clientKey } : f)}`;
      writeFileSync(inv, `[fleet]\n${SIX.map(line).join('\n')}\n`);
      const playbook = join(home.dir, `rolling-${dead.length}.yml`);
      const task = `  tasks:\n  - file:\n      path: "{{ root }}/{{ inventory_hostname }}"\n      state: directory\n`;
      writeFileSync(playbook, `- name: roll\n  hosts: fleet\n  gather_facts: false\n  serial: 2\n${playExtra}${task}- name: after\n  hosts: fleet\n  gather_facts: false\n${task}`);
      return kilnAt(home, ['play', playbook, '-i', inv, '-e', `root=${join(home.dir, `rolling-${dead.length}`)}`]);
    };
    const ran = (stdout: string): string[] => [...new Set(resultLines(stdout).map((l) => l.host))].sort();

    it('every host of batch 2 unreachable: batch 3 and the next play do not run', async () => {
      const dead = SIX.slice(2, 4);
      const r = await run(dead, '');
      assert.equal(r.code, EXIT.UNREACHABLE, r.stdout + r.stderr);
      assert.deepEqual(ran(r.stdout), SIX.slice(0, 4), r.stdout);
      assert.doesNotMatch(r.stdout, /PLAY \[after\]/);
      assert.match(r.stdout, /\[WARNING\]: every host of batch 2\/3 of play "roll" failed or is unreachable: stopping the playbook \(1 more batch and 1 more play not run\)/);
      for (const h of SIX.slice(0, 2)) assert.equal(recap(r.stdout)[h]?.changed, 1, h);
    });

    it('max_fail_percentage 40 and 1 of 2 unreachable: batch 3 and the next play do not run', async () => {
      const dead = SIX.slice(2, 3);
      const r = await run(dead, '  max_fail_percentage: 40\n');
      assert.equal(r.code, EXIT.UNREACHABLE, r.stdout + r.stderr);
      assert.deepEqual(ran(r.stdout), SIX.slice(0, 4), r.stdout);
      assert.equal(recap(r.stdout)[SIX[3] as string]?.changed, 1);
      assert.doesNotMatch(r.stdout, /PLAY \[after\]/);
      assert.match(r.stdout, /max_fail_percentage 40% exceeded in batch 2\/3 of play "roll" \(1 of 2 hosts failed or unreachable\): stopping the playbook \(1 more batch and 1 more play not run\)/);
    });
  });
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
}
