// Authoring: a scaffolded role is valid as generated and converges once extended; kiln doc.
import { strict as assert } from 'node:assert';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln } from '../support/cli.js';
import { logLines, output, play, removeScratch, scratch } from './helpers.js';

describe('language: authoring', function () {
  this.timeout(60_000);
  let root: string;
  before(() => (root = scratch('authoring')));
  after(() => removeScratch(root));

  it('kiln role init scaffolds a valid role that converges on localhost, then changes nothing', async () => {
    const roles = join(root, 'roles');
    const init = await kiln(['role', 'init', 'myapp', '--path', roles]);
    assert.equal(init.code, 0, output(init));
    const role = join(roles, 'myapp');

    // As generated: the role and its own test playbook (which must find the role) are valid.
    const valid = await kiln(['validate', role, join(role, 'tests', 'test.yml')]);
    assert.equal(valid.code, 0, output(valid));
    assert.match(valid.stdout, /2 files valid/);

    // Give it a template and a handler.
    writeFileSync(join(role, 'templates', 'app.conf.j2'), 'enabled = {{ myapp_enabled }}\nport = {{ myapp_port }}\n');
    appendFileSync(
      join(role, 'tasks', 'main.yml'),
      [
        '- name: write the configuration',
        '  template:',
        '    src: app.conf.j2',
        '    dest: "{{ myapp_config_dir }}/app.conf"',
        '    mode: "0644"',
        '  notify: myapp reload',
        '',
      ].join('\n'),
    );
    appendFileSync(join(role, 'handlers', 'main.yml'), ['- name: myapp reload', '  shell: echo reloaded >> {{ myapp_config_dir }}/reloads.log', ''].join('\n'));
    appendFileSync(join(role, 'defaults', 'main.yml'), 'myapp_port: 8080\n');
    const playbook = join(root, 'site.yml');
    writeFileSync(playbook, ['- hosts: localhost', '  gather_facts: false', '  roles:', '    - role: myapp', '      myapp_config_dir: "{{ root }}/etc/myapp"', ''].join('\n'));

    const first = await play(playbook, root);
    assert.equal(first.code, 0, output(first));
    // folder + file + handler
    assert.deepEqual(first.recap['localhost'], { ok: 3, changed: 3, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 });
    assert.equal(readFileSync(join(root, 'etc/myapp/app.conf'), 'utf8'), 'enabled = true\nport = 8080\n');
    assert.deepEqual(logLines(join(root, 'etc/myapp/reloads.log')), ['reloaded']);

    const second = await play(playbook, root);
    assert.equal(second.code, 0, output(second));
    assert.deepEqual(second.recap['localhost'], { ok: 2, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 });
    assert.deepEqual(logLines(join(root, 'etc/myapp/reloads.log')), ['reloaded'], 'the handler ran again without a change');
  });

  it('kiln doc copy prints the module options', async () => {
    const r = await kiln(['doc', 'copy']);
    assert.equal(r.code, 0, output(r));
    assert.match(r.stdout, /^copy: /);
    assert.match(r.stdout, /^= dest$/m, 'dest is mandatory');
    for (const option of ['content', 'src', 'mode', 'owner', 'group', 'backup', 'force', 'validate']) {
      assert.match(r.stdout, new RegExp(`^- ${option}\\b`, 'm'), `option ${option} missing`);
    }
    assert.match(r.stdout, /type: string/);
  });
});
