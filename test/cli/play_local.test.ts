// Acceptance of the foundation: the 50-task playbook against localhost, through the real CLI.
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kiln, recap } from '../support/cli.js';
import { assertConverged50, writePlaybook50 } from '../support/playbook50.js';
import { snapshot } from '../support/tree.js';

describe('kiln play: 50 file/copy/template tasks on localhost', function () {
  this.timeout(120_000);
  let dir: string;
  let root: string;
  let playbook: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-play50-'));
    root = join(dir, 'target');
    playbook = writePlaybook50(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--check on a clean target reports changed=50 and creates nothing', async () => {
    const r = await kiln(['play', playbook, '--check', '-e', `root=${root}`]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(recap(r.stdout)['localhost'], { ok: 50, changed: 50, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 });
    assert.equal(existsSync(root), false, 'check mode created the target');
    // Copies into directories an earlier task would create are pending, not failures.
    assert.match(r.stdout, /pending: .*d0.* is planned by task 'directory 0'/);
  });

  it('first run changes 50, second run changes nothing', async () => {
    const first = await kiln(['play', playbook, '-e', `root=${root}`]);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.deepEqual(recap(first.stdout)['localhost'], { ok: 50, changed: 50, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 });
    const tree = assertConverged50(root);

    const second = await kiln(['play', playbook, '-e', `root=${root}`]);
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.deepEqual(recap(second.stdout)['localhost'], { ok: 50, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 });
    assert.deepEqual(snapshot(root), tree);
  });

  it('--check --diff shows the unified diff of a changed template and leaves it alone', async () => {
    const before = readFileSync(join(root, 'd2/app2.conf'), 'utf8');
    const r = await kiln(['play', playbook, '--check', '--diff', '-e', `root=${root}`, '-e', 'greeting=bonjour']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(recap(r.stdout)['localhost']?.changed, 15);
    assert.match(r.stdout, /^--- before: .*d2\/app2\.conf$/m);
    assert.match(r.stdout, /^\+\+\+ after: .*app\.conf\.j2$/m);
    assert.match(r.stdout, /^-# greeting: hello$/m);
    assert.match(r.stdout, /^\+# greeting: bonjour$/m);
    assert.equal(readFileSync(join(root, 'd2/app2.conf'), 'utf8'), before);
  });

  it('--detailed-exitcodes tells drift from no drift', async () => {
    const clean = await kiln(['play', playbook, '--check', '--detailed-exitcodes', '-e', `root=${root}`]);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    const drift = await kiln(['play', playbook, '--check', '--detailed-exitcodes', '-e', `root=${root}`, '-e', 'port=9090']);
    assert.equal(drift.code, 8, drift.stdout + drift.stderr);
  });

  it('--json streams one event per line, ending with the recap', async () => {
    const r = await kiln(['play', playbook, '--json', '-e', `root=${root}`]);
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; status?: string });
    assert.equal(events.filter((e) => e.event === 'task_result').length, 50);
    assert.ok(events.filter((e) => e.event === 'task_result').every((e) => e.status === 'ok'));
    assert.equal(events.at(-1)?.event, 'recap');
  });
});

describe('kiln play: file names are created verbatim (no shell injection)', function () {
  this.timeout(60_000);
  let dir: string;
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates names with spaces, quotes, $() and newlines exactly', async () => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-names-'));
    const names = ['with space', "it's", 'double"quote', '$(touch pwned)', '`touch pwned2`', 'new\nline', 'semi;colon&amp', '-dash'];
    const tasks = names
      .map((n, i) => `  - name: file ${i}\n    copy:\n      dest: ${JSON.stringify(`${dir}/out/${n}`)}\n      content: ${JSON.stringify(`${n}\n`)}`)
      .join('\n');
    const pb = join(dir, 'names.yml');
    writeFileSync(pb, `- hosts: localhost\n  gather_facts: false\n  tasks:\n  - file:\n      path: ${dir}/out\n      state: directory\n${tasks}\n`);
    const r = await kiln(['play', pb], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const tree = snapshot(join(dir, 'out'));
    assert.deepEqual(Object.keys(tree).sort(), [...names].sort());
    for (const n of names) assert.equal(tree[n]?.content, `${n}\n`);
    assert.equal(existsSync(join(dir, 'pwned')), false);
    assert.equal(existsSync(join(dir, 'out', 'pwned')), false);
    assert.equal(existsSync('pwned'), false);
  });
});
