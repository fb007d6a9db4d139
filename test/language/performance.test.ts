// kiln's own validation work on a large playbook: 20 roles, 200 tasks, measured in-process
// (a CLI run is dominated by Node and tsx start-up, which is not kiln's work).
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkPlays } from '../../src/engine/playbook/check.js';
import { loadPlaybook } from '../../src/engine/playbook/load.js';
import type { Node } from '../../src/engine/playbook/model.js';
import { removeScratch, scratch } from './helpers.js';

const ROLES = 20;
const TASKS_PER_ROLE = 10;

/** A playbook calling ROLES roles of TASKS_PER_ROLE tasks each, with defaults, handlers, specs and templates. */
function generate(dir: string): string {
  const refs: string[] = [];
  for (let r = 0; r < ROLES; r++) {
    const role = join(dir, 'roles', `role${r}`);
    for (const sub of ['tasks', 'handlers', 'defaults', 'meta', 'templates']) mkdirSync(join(role, sub), { recursive: true });
    writeFileSync(join(role, 'defaults', 'main.yml'), `role${r}_dir: /srv/role${r}\nrole${r}_port: ${8000 + r}\n`);
    writeFileSync(join(role, 'templates', 'app.conf.j2'), `port {{ role${r}_port }}\n`);
    writeFileSync(join(role, 'handlers', 'main.yml'), `- name: role${r} changed\n  debug:\n    msg: role${r} changed\n`);
    writeFileSync(join(role, 'meta', 'argument_specs.yml'), `argument_specs:\n  main:\n    options:\n      role${r}_port:\n        type: int\n      role${r}_dir:\n        type: path\n`);
    const tasks: string[] = [];
    for (let t = 0; t < TASKS_PER_ROLE; t++) {
      tasks.push(
        t % 2 === 0
          ? `- name: role${r} template ${t}\n  template:\n    src: app.conf.j2\n    dest: "{{ role${r}_dir }}/app${t}.conf"\n    mode: "0644"\n  when: role${r}_port > 1024\n  notify: role${r} changed\n`
          : `- name: role${r} directory ${t}\n  file:\n    path: "{{ role${r}_dir }}/d${t}"\n    state: directory\n    mode: "0755"\n  tags: [role${r}]\n`,
      );
    }
    writeFileSync(join(role, 'tasks', 'main.yml'), tasks.join('\n'));
    refs.push(`    - role: role${r}\n      role${r}_port: ${9000 + r}\n`);
  }
  const file = join(dir, 'site.yml');
  writeFileSync(file, `- name: twenty roles\n  hosts: all\n  gather_facts: false\n  roles:\n${refs.join('')}`);
  return file;
}

function countTasks(nodes: Node[]): number {
  return nodes.reduce((n, x) => n + (x.kind === 'task' ? 1 : x.kind === 'block' ? countTasks([...x.block, ...x.rescue, ...x.always]) : 0), 0);
}

describe('language: validation performance', function () {
  this.timeout(60_000);
  let dir: string;
  after(() => removeScratch(dir));

  it(`loads and checks ${ROLES} roles with ${ROLES * TASKS_PER_ROLE} tasks in well under a second`, function () {
    dir = scratch('perf');
    const file = generate(dir);
    const validate = (): { ms: number; tasks: number } => {
      const started = performance.now();
      const { playbook } = loadPlaybook(file);
      const problems = checkPlays(playbook.plays, { global: new Set() });
      const ms = performance.now() - started;
      assert.deepEqual(problems, []);
      return { ms, tasks: playbook.plays.reduce((n, p) => n + p.sections.reduce((m, s) => m + countTasks(s), 0), 0) };
    };
    // The first pass also compiles the JSON Schemas (once per process, like a CLI run).
    const first = validate();
    const warm = [validate(), validate(), validate()].map((r) => r.ms).sort((a, b) => a - b);
    const median = warm[1] as number;
    assert.equal(first.tasks, ROLES * TASKS_PER_ROLE);
    // Reported for the record (mocha prints it under the test).
    console.log(`      validate ${ROLES} roles / ${first.tasks} tasks: first ${first.ms.toFixed(0)} ms (schemas compiled), then median ${median.toFixed(0)} ms`);
    assert.ok(median < 1000, `validation took ${median.toFixed(0)} ms`);
  });
});
