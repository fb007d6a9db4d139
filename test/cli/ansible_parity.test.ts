// The same playbook through ansible-playbook (Debian's ansible-core) and kiln gives the same tree.
// Runs where ansible-core is installed; on CI (.ci/run installs it) its absence is a failure.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kiln, recap } from '../support/cli.js';
import { writeLocalInventory, writePlaybook50 } from '../support/playbook50.js';
import { snapshot, type Entry } from '../support/tree.js';

const hasAnsible = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).status === 0;

function normalised(root: string): Record<string, Entry> {
  const tree = snapshot(root);
  for (const e of Object.values(tree)) {
    if (e.content) e.content = e.content.split(root).join('<root>');
    if (e.target) e.target = e.target.split(root).join('<root>');
  }
  return tree;
}

describe('parity with ansible-playbook -c local', function () {
  this.timeout(300_000);
  let dir: string;
  before(function () {
    if (!hasAnsible) {
      if (process.env['CI']) throw new Error('ansible-playbook is missing; .ci/run installs Debian\'s ansible-core');
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'kiln-parity-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates the same files, modes, links and contents', async () => {
    const playbook = writePlaybook50(dir);
    const inventory = writeLocalInventory(dir);
    const ansibleRoot = join(dir, 'by-ansible');
    const kilnRoot = join(dir, 'by-kiln');
    const a = spawnSync('ansible-playbook', ['-i', inventory, '-c', 'local', playbook, '-e', `root=${ansibleRoot}`], {
      encoding: 'utf8',
      env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_HOME: join(dir, '.ansible'), ANSIBLE_LOCAL_TEMP: join(dir, '.ansible-tmp') },
    });
    assert.equal(a.status, 0, a.stdout + a.stderr);
    assert.match(a.stdout, /localhost\s+: ok=50\s+changed=50\s+unreachable=0\s+failed=0/);
    const k = await kiln(['play', playbook, '-i', inventory, '-e', `root=${kilnRoot}`]);
    assert.equal(k.code, 0, k.stdout + k.stderr);
    assert.equal(recap(k.stdout)['localhost']?.changed, 50);
    const want = normalised(ansibleRoot);
    assert.equal(Object.keys(want).length, 50 - 5 + 5, 'ansible made 10 dirs, 20 copies, 15 templates, 5 links');
    assert.deepEqual(normalised(kilnRoot), want);
  });
});
