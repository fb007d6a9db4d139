// [fleet] acceptance 7: 200 hosts over the local connection; every recap right, memory bounded.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recap } from '../support/cli.js';
import { kilnMeasured, secondsSince, writePlay } from './fleet.js';

const N = 200;
const RSS_LIMIT_MB = 300;

describe('fleet: 200 local-connection hosts x 2 tasks', function () {
  this.timeout(120_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-fleet200-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`completes with every recap correct, peak RSS under ${RSS_LIMIT_MB} MB`, async () => {
    const root = join(dir, 'target');
    const inventory = join(dir, 'hosts.ini');
    // A range: h001 ... h200.
    writeFileSync(inventory, `[fleet]\nh[001:${N}]\n\n[fleet:vars]\nansible_connection=local\n`);
    const playbook = writePlay(
      dir,
      'site.yml',
      'fleet',
      [
        `  - name: remember\n    set_fact:\n      folder: "{{ root }}/{{ inventory_hostname }}"\n`,
        `  - name: folder\n    file:\n      path: "{{ folder }}"\n      state: directory\n`,
      ].join(''),
    );
    const t0 = Date.now();
    const r = await kilnMeasured(['play', playbook, '-i', inventory, '-e', `root=${root}`]);
    const wall = secondsSince(t0);
    assert.equal(r.code, 0, r.stdout.slice(-3000) + r.stderr);
    const counts = recap(r.stdout);
    const hosts = Object.keys(counts);
    assert.equal(hosts.length, N, `${hosts.length} recap lines`);
    for (const h of hosts) assert.deepEqual(counts[h], { ok: 2, changed: 1, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 }, h);
    assert.equal(readdirSync(root).length, N);
    const mb = r.maxRssKb / 1024;
    console.log(`      wall time ${wall} s (CLI start included); peak RSS of kiln ${mb.toFixed(0)} MB (${r.how})`);
    assert.ok(r.maxRssKb > 0, 'peak RSS was measured');
    assert.ok(mb < RSS_LIMIT_MB, `peak RSS ${mb.toFixed(0)} MB`);
  });
});
