// The 50-task playbook of the acceptance criteria: directories, copies, templates and links,
// where later tasks depend on what earlier ones create (so check mode must follow the plan).
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Entry, snapshot } from './tree.js';

/**
 * Write site.yml (+ templates/) into `dir`; the tasks converge `{{ root }}`.
 * Templates only use `{{ var }}`, which Jinja2 and Handlebars read alike, so ansible-playbook
 * can run the very same file.
 */
export function writePlaybook50(dir: string): string {
  mkdirSync(join(dir, 'templates'), { recursive: true });
  writeFileSync(join(dir, 'templates', 'app.conf.j2'), 'listen {{ port }}\nroot {{ root }}/www\n# greeting: {{ greeting }}\n');
  const tasks: string[] = [];
  for (let i = 0; i < 10; i++) {
    tasks.push(`  - name: directory ${i}\n    file:\n      path: "{{ root }}/d${i}"\n      state: directory\n      mode: "07${i % 2 ? '50' : '55'}"`);
  }
  for (let i = 0; i < 20; i++) {
    tasks.push(`  - name: copy ${i}\n    copy:\n      dest: "{{ root }}/d${i % 10}/file${i}.txt"\n      content: "line one of ${i}\\nsecond & <line> \\"quoted\\"\\n"\n      mode: "06${i % 2 ? '40' : '44'}"`);
  }
  for (let i = 0; i < 15; i++) {
    tasks.push(`  - name: template ${i}\n    template:\n      src: app.conf.j2\n      dest: "{{ root }}/d${i % 10}/app${i}.conf"\n      mode: "0644"`);
  }
  for (let i = 0; i < 5; i++) {
    tasks.push(`  - name: link ${i}\n    file:\n      src: "{{ root }}/d${i}/file${i}.txt"\n      dest: "{{ root }}/link${i}"\n      state: link`);
  }
  const yml = `- name: fifty tasks\n  hosts: localhost\n  gather_facts: false\n  vars:\n    port: 8080\n    greeting: hello\n  tasks:\n${tasks.join('\n')}\n`;
  const file = join(dir, 'site.yml');
  writeFileSync(file, yml);
  return file;
}

/** A `kiln -i` / `ansible -i` inventory for localhost over the local connection. */
export function writeLocalInventory(dir: string): string {
  const file = join(dir, 'hosts.ini');
  writeFileSync(file, 'localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n');
  return file;
}

/** Assert that `root` holds what the 50-task playbook makes (default vars); returns the tree. */
export function assertConverged50(root: string): Record<string, Entry> {
  const tree = snapshot(root);
  assert.equal(Object.values(tree).filter((e) => e.type === 'dir').length, 10);
  assert.equal(Object.values(tree).filter((e) => e.type === 'link').length, 5);
  assert.equal(tree['d3/file13.txt']?.content, 'line one of 13\nsecond & <line> "quoted"\n');
  assert.equal(tree['d3/file13.txt']?.mode, '0640');
  assert.equal(tree['d1']?.mode, '0750');
  assert.equal(tree['d4/app4.conf']?.content, `listen 8080\nroot ${root}/www\n# greeting: hello\n`);
  return tree;
}
