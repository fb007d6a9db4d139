// What a task reads before it runs (check mode skips it when one of those is unknown).
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskNode } from '../../../src/engine/playbook/model.js';
import { loadPlaybook } from '../../../src/engine/playbook/load.js';
import { taskReads } from '../../../src/engine/runner/unrun.js';
import { removeDir, tempDir } from '../../modules/helpers.js';

describe('taskReads', () => {
  let dir: string;
  before(() => (dir = tempDir('unrun')));
  after(() => removeDir(dir));

  const tasksOf = (tasks: string): TaskNode[] => {
    const file = join(dir, 'site.yml');
    writeFileSync(file, `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks}`);
    return (loadPlaybook(file).playbook.plays[0]?.sections.flat() ?? []) as TaskNode[];
  };

  it('finds the root names in when, the loop and the arguments (templates and assert conditions)', () => {
    const [t1, t2, t3] = tasksOf(
      [
        '    - command: echo {{ a.stdout }} {{#if b}}x{{/if}}',
        '      when: c.rc == 0 and d is defined',
        '    - command: uptime',
        '      loop: "{{ e.stdout_lines }}"',
        '      delegate_to: "{{ h.stdout }}"',
        '      environment:',
        '        LANG: "{{ i }}"',
        '    - assert:',
        '        that:',
        '          - f.changed',
        '          - "g | length > 0"',
        '',
      ].join('\n'),
    );
    assert.ok(t1 && t2 && t3);
    assert.deepEqual([...taskReads(t1)].sort(), ['a', 'b', 'c', 'd']);
    assert.deepEqual([...taskReads(t2)].sort(), ['e', 'h', 'i']);
    assert.deepEqual([...taskReads(t3)].sort(), ['f', 'g']);
  });
});
