// Pure decisions of the connection pool: which plays let preconnect() open the login shell ahead.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPlaybook } from '../../../src/engine/playbook/load.js';
import { firstContactIsLoginShell } from '../../../src/engine/runner/connection_pool.js';
import { removeDir, tempDir } from '../../modules/helpers.js';

describe('firstContactIsLoginShell', () => {
  let dir: string;
  before(() => (dir = tempDir('first-contact')));
  after(() => removeDir(dir));

  const playOf = (yaml: string): Parameters<typeof firstContactIsLoginShell>[0] => {
    const file = join(dir, `p${Math.random().toString(36).slice(2)}.yml`);
    writeFileSync(file, yaml);
    const play = loadPlaybook(file).playbook.plays[0];
    assert.ok(play);
    return play;
  };
  const cases: [string, string, boolean][] = [
    ['facts first', '- hosts: all\n  become: true\n  tasks:\n    - command: id\n', true],
    ['a first task without become', '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: id\n', true],
    ['play-level become', '- hosts: all\n  gather_facts: false\n  become: true\n  tasks:\n    - command: id\n', false],
    ['a first task with become', '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: id\n      become: true\n    - command: id\n', false],
    ['tasks that run on the controller first, then one on the host', '- hosts: all\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: hi\n    - set_fact:\n        a: 1\n    - command: id\n', true],
    ['a block whose first task becomes', '- hosts: all\n  gather_facts: false\n  tasks:\n    - block:\n        - command: id\n      become: true\n', false],
    ['a delegated first task', '- hosts: all\n  gather_facts: false\n  tasks:\n    - command: id\n      delegate_to: localhost\n', false],
    ['an include first (unknown)', '- hosts: all\n  gather_facts: false\n  tasks:\n    - include_tasks: other.yml\n', false],
    ['no task on the host', '- hosts: all\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: hi\n', false],
  ];
  for (const [what, yaml, expected] of cases) {
    it(`${what}: ${expected ? 'opens it ahead' : 'does not'}`, () => assert.equal(firstContactIsLoginShell(playOf(yaml)), expected));
  }
});
