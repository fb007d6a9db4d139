// Imports and includes, vars_files, and the play's sections with handler flushes between them.
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, logLines, output, play, removeScratch, scratch } from './helpers.js';

describe('language: includes and imports', function () {
  this.timeout(60_000);
  let root: string;
  const log = (): string[] => logLines(join(root, 'includes.log'));
  before(() => (root = scratch('includes')));
  after(() => removeScratch(root));
  beforeEach(() => removeScratch(join(root, 'includes.log')));

  it('runs sections, imports and includes in order, flushing handlers after each section', async () => {
    const r = await play(fixture('includes/site.yml'), root);
    assert.equal(r.code, 0, output(r));
    assert.deepEqual(log(), [
      // pre_tasks, roles and tasks (one section, as in ansible-core's Play.compile), and
      // post_tasks each end with a handler flush
      'section:pre',
      'handler:flushed',
      'section:roles',
      'vars_files:loaded from vars_files',
      // import_tasks is static: its when and vars reach both tasks; the switched-off copy skips both
      'import:first:on',
      'import:second:on',
      // include_tasks resolves a templated file name at run time, with its vars
      'include_tasks:debian:passed',
      // the include's when is checked once, for the include, not again for each included task
      // (set_fact defines x, yet "use x" runs)
      'include_when:foo',
      // validation knows x (set_fact in a file included by a plain name), and so does the run
      'after_include:foo',
      // a looped include runs the file once per item
      'include_loop:one',
      'include_loop:two',
      // include_role and import_role pass their vars to the role
      'role:included_role:vanilla',
      'role:included_role:chocolate',
      'section:tasks',
      'handler:flushed',
      'section:post',
      'handler:flushed',
      // import_playbook with vars
      'import_playbook:from the importer',
    ]);
    assert.equal(r.recap['localhost']?.skipped, 2, output(r));
    assert.equal(r.recap['localhost']?.failed, 0, output(r));
  });

  it('tags on import_tasks are inherited by the imported tasks', async () => {
    const r = await play(fixture('includes/site.yml'), root, ['--tags', 'static']);
    assert.equal(r.code, 0, output(r));
    assert.deepEqual(log(), ['import:first:on', 'import:second:on']);
  });

  it('an include that leads back to itself fails the host at 64 levels with the chain, not a crash', async () => {
    const dir = join(root, 'cycle');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'a.yml'), '- include_tasks: b.yml\n');
    writeFileSync(join(dir, 'b.yml'), '- include_tasks: a.yml\n');
    writeFileSync(join(dir, 'p.yml'), '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - include_tasks: a.yml\n');
    const r = await play(join(dir, 'p.yml'), root);
    assert.equal(r.code, 2, output(r));
    assert.match(r.stdout, /include_tasks nests more than 64 levels deep \(… a\.yml -> b\.yml -> .*\); an include that leads back to itself needs a when: that ends it/);
    assert.doesNotMatch(r.stdout + r.stderr, /at PlayRunner|internal error/);
  });
});
