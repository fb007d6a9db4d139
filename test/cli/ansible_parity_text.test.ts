// lineinfile, blockinfile and stat against Ansible's own (Debian's ansible-core, -c local): the same
// cases through both give byte-identical files, the same changed/ok per task, the same ok on a
// re-run, and the same stat dictionaries. Runs where ansible-core is installed; on CI its absence
// is a failure.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kiln } from '../support/cli.js';
import { writeLocalInventory } from '../support/playbook50.js';

const hasAnsible = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).status === 0;

/** One edit: the file's content before (null: missing) and the module's arguments (path added). */
interface Case {
  name: string;
  module: 'lineinfile' | 'blockinfile';
  before: string | null;
  args: Record<string, unknown>;
}

const CONF = '# sample\nhost=old.example\nport = 80\n# end\n';
const CASES: Case[] = [
  { name: 'regexp replaces the last match', module: 'lineinfile', before: 'a=1\nb=2\na=3\n', args: { regexp: '^a=', line: 'a=9' } },
  { name: 'firstmatch replaces the first', module: 'lineinfile', before: 'a=1\nb=2\na=3\n', args: { regexp: '^a=', line: 'a=9', firstmatch: true } },
  { name: 'no match appends', module: 'lineinfile', before: CONF, args: { regexp: '^user=', line: 'user=www' } },
  { name: 'append to a file without final newline', module: 'lineinfile', before: 'x=1', args: { line: 'y=2' } },
  { name: 'insertafter a regexp', module: 'lineinfile', before: CONF, args: { line: 'timeout = 5', insertafter: '^port' } },
  { name: 'insertbefore a regexp', module: 'lineinfile', before: CONF, args: { line: 'timeout = 5', insertbefore: '^# end' } },
  { name: 'insertbefore BOF', module: 'lineinfile', before: CONF, args: { line: '#!/bin/false', insertbefore: 'BOF' } },
  { name: 'insertafter with no match goes to the end', module: 'lineinfile', before: CONF, args: { line: 'z', insertafter: '^nothing' } },
  { name: 'the exact line is already there', module: 'lineinfile', before: CONF, args: { line: 'port = 80' } },
  { name: 'the line is already after insertafter', module: 'lineinfile', before: CONF, args: { line: 'port = 80', insertafter: '^host' } },
  { name: 'backrefs with a numbered group', module: 'lineinfile', before: CONF, args: { regexp: '^(host=).*$', line: '\\1new.example', backrefs: true } },
  { name: 'backrefs with a named group and (?i)', module: 'lineinfile', before: CONF, args: { regexp: '(?i)^(?P<key>PORT)\\s*=\\s*\\d+$', line: '\\g<key> = 8080', backrefs: true } },
  { name: 'backrefs without a match leaves the file', module: 'lineinfile', before: CONF, args: { regexp: '^nothing=(.*)', line: 'x=\\1', backrefs: true } },
  { name: 'absent by regexp removes every match', module: 'lineinfile', before: '# a\nkeep\n# b\n', args: { regexp: '^#', state: 'absent' } },
  { name: 'absent by line', module: 'lineinfile', before: CONF, args: { line: 'port = 80', state: 'absent' } },
  { name: 'absent with nothing matching', module: 'lineinfile', before: CONF, args: { regexp: '^zzz', state: 'absent' } },
  { name: 'search_string replaces', module: 'lineinfile', before: CONF, args: { search_string: 'old.example', line: 'host=plain' } },
  { name: 'create a missing file', module: 'lineinfile', before: null, args: { line: 'first', create: true } },
  { name: 'a CRLF line is rewritten with LF', module: 'lineinfile', before: 'a=1\r\nb=2\r\n', args: { regexp: '^a=', line: 'a=1' } },
  { name: 'non-ASCII text', module: 'lineinfile', before: 'nom=café\nville=Zürich\n', args: { regexp: '^ville=', line: 'ville=Genève' } },
  { name: '$ matches before the newline', module: 'lineinfile', before: 'k = 1\nk = 10\n', args: { regexp: '^k = 1$', line: 'k = 2' } },
  { name: 'block at the end', module: 'blockinfile', before: CONF, args: { block: 'one\ntwo' } },
  { name: 'block updated in place', module: 'blockinfile', before: 'a\n# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK\nz\n', args: { block: 'new\nlines\n' } },
  { name: 'block already there', module: 'blockinfile', before: 'a\n# BEGIN ANSIBLE MANAGED BLOCK\nsame\n# END ANSIBLE MANAGED BLOCK\n', args: { block: 'same' } },
  { name: 'block removed', module: 'blockinfile', before: 'a\n# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK\nz\n', args: { state: 'absent' } },
  { name: 'empty block removes it', module: 'blockinfile', before: 'a\n# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK\n', args: { block: '' } },
  { name: 'block at BOF', module: 'blockinfile', before: CONF, args: { block: 'top', insertbefore: 'BOF' } },
  { name: 'block after a regexp', module: 'blockinfile', before: CONF, args: { block: 'mid', insertafter: '^host=' } },
  { name: 'block before a multiline regexp', module: 'blockinfile', before: CONF, args: { block: 'mid', insertbefore: '(?m)^port' } },
  { name: 'custom markers', module: 'blockinfile', before: CONF, args: { block: 'x y', marker: '<!-- {mark} kiln -->', marker_begin: 'start', marker_end: 'stop' } },
  { name: 'block into a file without final newline', module: 'blockinfile', before: 'last', args: { block: 'b' } },
  { name: 'block creates a file', module: 'blockinfile', before: null, args: { block: 'fresh', create: true } },
];

/** The same tasks for both tools, `{{ root }}` reading alike in Jinja2 and Handlebars. Args are JSON, which YAML reads. */
function playbook(dir: string): string {
  const tasks = CASES.map((c, i) => `  - name: ${JSON.stringify(`${i} ${c.name}`)}\n    ${c.module}: ${JSON.stringify({ path: `{{ root }}/case${i}`, ...c.args })}`);
  const file = join(dir, 'edits.yml');
  writeFileSync(file, `- hosts: localhost\n  gather_facts: false\n  tasks:\n${tasks.join('\n')}\n`);
  return file;
}

function seed(root: string): void {
  mkdirSync(root, { recursive: true });
  CASES.forEach((c, i) => {
    if (c.before !== null) writeFileSync(join(root, `case${i}`), c.before);
  });
}

/**
 * Per task name (given in order), whether it changed and what it returned: from Ansible's minimal
 * callback, which prints "localhost | CHANGED => {json}" for each task in turn (ansible-core has no
 * json callback of its own).
 */
function ansibleRun(dir: string, inventory: string, file: string, names: readonly string[], extra: string[]): { changed: Record<string, boolean>; results: Record<string, Record<string, unknown>> } {
  const a = spawnSync('ansible-playbook', ['-i', inventory, '-c', 'local', file, ...extra], {
    encoding: 'utf8',
    env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_STDOUT_CALLBACK: 'minimal', ANSIBLE_HOME: join(dir, '.ansible'), ANSIBLE_LOCAL_TEMP: join(dir, '.ansible-tmp') },
  });
  assert.equal(a.status, 0, a.stdout + a.stderr);
  const parts = a.stdout.split(/^localhost \| (SUCCESS|CHANGED) => /m).slice(1);
  assert.equal(parts.length, names.length * 2, a.stdout);
  const changed: Record<string, boolean> = {};
  const results: Record<string, Record<string, unknown>> = {};
  names.forEach((name, i) => {
    changed[name] = parts[2 * i] === 'CHANGED';
    results[name] = JSON.parse(parts[2 * i + 1] as string) as Record<string, unknown>;
  });
  return { changed, results };
}

async function kilnRun(inventory: string, file: string, extra: string[]): Promise<{ changed: Record<string, boolean>; results: Record<string, Record<string, unknown>> }> {
  const k = await kiln(['play', file, '-i', inventory, '--json', ...extra]);
  assert.equal(k.code, 0, k.stdout + k.stderr);
  const changed: Record<string, boolean> = {};
  const results: Record<string, Record<string, unknown>> = {};
  for (const line of k.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as Record<string, unknown>;
    if (e['event'] !== 'task_result') continue;
    changed[e['task'] as string] = e['status'] === 'changed';
    results[e['task'] as string] = (e['data'] ?? {}) as Record<string, unknown>;
  }
  return { changed, results };
}

describe('parity with ansible-playbook -c local: lineinfile, blockinfile, stat', function () {
  this.timeout(300_000);
  let dir: string;
  let inventory: string;
  before(function () {
    if (!hasAnsible) {
      if (process.env['CI']) throw new Error("ansible-playbook is missing; .ci/run installs Debian's ansible-core");
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'kiln-parity-text-'));
    inventory = writeLocalInventory(dir);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`${CASES.length} edits give byte-identical files and the same changed/ok, then ok on a re-run`, async () => {
    const file = playbook(dir);
    const byAnsible = join(dir, 'by-ansible');
    const byKiln = join(dir, 'by-kiln');
    seed(byAnsible);
    seed(byKiln);
    const names = CASES.map((c, i) => `${i} ${c.name}`);
    const a1 = ansibleRun(dir, inventory, file, names, ['-e', `root=${byAnsible}`]);
    const k1 = await kilnRun(inventory, file, ['-e', `root=${byKiln}`]);
    const differ: string[] = [];
    CASES.forEach((c, i) => {
      const read = (root: string): string | null => (existsSync(join(root, `case${i}`)) ? readFileSync(join(root, `case${i}`), 'latin1') : null);
      const [want, got] = [read(byAnsible), read(byKiln)];
      if (want !== got) differ.push(`case ${i} (${c.name}):\n  ansible: ${JSON.stringify(want)}\n  kiln:    ${JSON.stringify(got)}`);
    });
    assert.deepEqual(differ, [], differ.join('\n'));
    assert.deepEqual(k1.changed, a1.changed);
    assert.ok(Object.values(a1.changed).filter(Boolean).length >= CASES.length - 6, 'most cases change something');
    const a2 = ansibleRun(dir, inventory, file, names, ['-e', `root=${byAnsible}`]);
    const k2 = await kilnRun(inventory, file, ['-e', `root=${byKiln}`]);
    assert.deepEqual(k2.changed, a2.changed);
    assert.deepEqual(Object.entries(k2.changed).filter(([, v]) => v), [], 'a re-run changes nothing');
  });

  it('stat registers the same dictionary for files, links, folders, devices and missing paths', async () => {
    const root = join(dir, 'stat');
    mkdirSync(join(root, 'dir'), { recursive: true });
    writeFileSync(join(root, 'file'), 'some text\n');
    writeFileSync(join(root, 'script'), '#!/bin/sh\n');
    chmodSync(join(root, 'script'), 0o4755);
    symlinkSync('file', join(root, 'link'));
    symlinkSync('nowhere', join(root, 'dangling'));
    spawnSync('mkfifo', [join(root, 'fifo')]);
    const asks: Record<string, unknown>[] = [
      { path: `${root}/file` },
      { path: `${root}/file`, checksum_algorithm: 'sha256', get_mime: false },
      { path: `${root}/script`, get_attributes: false },
      { path: `${root}/dir` },
      { path: `${root}/link` },
      { path: `${root}/link`, follow: true },
      { path: `${root}/dangling` },
      { path: `${root}/dangling`, follow: true },
      { path: `${root}/fifo` },
      { path: '/dev/null' },
      { path: `${root}/missing` },
      { path: `${root}/file`, get_checksum: false },
    ];
    const file = join(dir, 'stat.yml');
    const tasks = asks.map((a, i) => `  - name: "stat ${i}"\n    stat: ${JSON.stringify(a)}`);
    writeFileSync(file, `- hosts: localhost\n  gather_facts: false\n  tasks:\n${tasks.join('\n')}\n`);
    const a = ansibleRun(dir, inventory, file, asks.map((_, i) => `stat ${i}`), []);
    const k = await kilnRun(inventory, file, []);
    for (let i = 0; i < asks.length; i++) {
      const want = { ...(a.results[`stat ${i}`]?.['stat'] as Record<string, unknown>) };
      const got = { ...(k.results[`stat ${i}`]?.['stat'] as Record<string, unknown>) };
      // Reading a file (its checksum, its mime type) moves its atime between the two runs.
      delete want['atime'];
      delete got['atime'];
      assert.deepEqual(got, want, `stat ${i} ${JSON.stringify(asks[i])}`);
      assert.equal(k.changed[`stat ${i}`], false);
    }
  });
});
