// The bench's playbooks and inventories. One playbook file serves both tools: its templates only
// use `{{ var }}`, which Jinja2 and Handlebars read alike. The 50 tasks are those of
// test/support/playbook50.ts, with `hosts: all` so the same file runs locally and over SSH.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const TEMPLATE = 'listen {{ port }}\nroot {{ root }}/www\n# greeting: {{ greeting }}\n';

/** The 50 tasks of playbook50.ts. */
export const FIFTY = { dirs: 10, copies: 20, templates: 15, links: 5 };
/** A 10-task mix of the same kinds, for the 20-host fleet. */
export const TEN = { dirs: 3, copies: 4, templates: 2, links: 1 };

/**
 * Tasks as YAML, plus what each one leaves behind: `{ test, path }` with path relative to
 * `{{ root }}` (test -d / -f / -L), the checks the floor scripts repeat.
 */
export function tasks({ dirs, copies, templates, links }) {
  const out = [];
  for (let i = 0; i < dirs; i++) {
    out.push({
      yaml: `  - name: directory ${i}\n    file:\n      path: "{{ root }}/d${i}"\n      state: directory\n      mode: "07${i % 2 ? '50' : '55'}"`,
      check: { test: '-d', path: `d${i}` },
    });
  }
  for (let i = 0; i < copies; i++) {
    out.push({
      yaml: `  - name: copy ${i}\n    copy:\n      dest: "{{ root }}/d${i % dirs}/file${i}.txt"\n      content: "line one of ${i}\\nsecond & <line> \\"quoted\\"\\n"\n      mode: "06${i % 2 ? '40' : '44'}"`,
      check: { test: '-f', path: `d${i % dirs}/file${i}.txt` },
    });
  }
  for (let i = 0; i < templates; i++) {
    out.push({
      yaml: `  - name: template ${i}\n    template:\n      src: app.conf.j2\n      dest: "{{ root }}/d${i % dirs}/app${i}.conf"\n      mode: "0644"`,
      check: { test: '-f', path: `d${i % dirs}/app${i}.conf` },
    });
  }
  for (let i = 0; i < links; i++) {
    out.push({
      yaml: `  - name: link ${i}\n    file:\n      src: "{{ root }}/d${i % dirs}/file${i}.txt"\n      dest: "{{ root }}/link${i}"\n      state: link`,
      check: { test: '-L', path: `link${i}` },
    });
  }
  return out;
}

/** Write a playbook over `hosts: all` with these tasks (and templates/ beside it); returns its path. */
export function writeTaskPlaybook(dir, name, mix, title) {
  mkdirSync(join(dir, 'templates'), { recursive: true });
  writeFileSync(join(dir, 'templates', 'app.conf.j2'), TEMPLATE);
  const body = tasks(mix)
    .map((t) => t.yaml)
    .join('\n');
  const yml = `- name: ${title}\n  hosts: all\n  gather_facts: false\n  vars:\n    port: 8080\n    greeting: hello\n  tasks:\n${body}\n`;
  const file = join(dir, name);
  writeFileSync(file, yml);
  return file;
}

/** A play that only gathers facts (W4). */
export function writeFactsPlaybook(dir) {
  const file = join(dir, 'facts.yml');
  writeFileSync(file, '- name: facts only\n  hosts: all\n  gather_facts: true\n');
  return file;
}

const PY = 'ansible_python_interpreter=/usr/bin/python3';

/** INI inventory: localhost over the local connection, converging `root`. */
export function writeLocalInventory(file, root) {
  writeFileSync(file, `localhost ansible_connection=local ${PY} root=${root}\n`);
  return file;
}

/**
 * INI inventory of SSH hosts h01..hNN, one per sshd port, each converging `<rootBase>/<name>`
 * (or `root` itself when there is one host).
 */
export function writeSshInventory(file, { ports, clientKey, rootBase, single = false }) {
  const lines = ports.map((port, i) => {
    const name = `h${String(i + 1).padStart(2, '0')}`;
    const root = single ? rootBase : join(rootBase, name);
    return `${name} ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=${port} ansible_user=root ansible_ssh_private_key_file=${clientKey} ${PY} root=${root}`;
  });
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}
