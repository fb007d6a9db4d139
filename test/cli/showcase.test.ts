// The showcase's files as users meet them, without a test host: site.yml and every role pass
// `kiln validate` against both inventories (production.ini is only validated, never contacted),
// README command 1 (the dry run against this machine) exits 0 with the whole plan, and the
// bench's Ansible copy of the roles (W5) covers every task.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { kiln, recap, ROOT } from '../support/cli.js';

const ROLES = ['common', 'mariadb', 'app', 'nginx', 'dns'];

describe('showcase files', function () {
  this.timeout(180_000);

  it('site.yml is valid against the default and the production inventory', async () => {
    for (const inv of ['inventories/localhost.ini', 'inventories/production.ini']) {
      const r = await kiln(['validate', 'playbooks/site.yml', '-i', inv]);
      assert.equal(r.code, 0, `${inv}: ${r.stdout}${r.stderr}`);
    }
  });

  it('production.ini names the seed server as an example: web-01 at 8.8.8.8', async () => {
    const r = await kiln(['inventory', '-i', 'inventories/production.ini', '--list']);
    assert.equal(r.code, 0, r.stderr);
    const inv = JSON.parse(r.stdout) as { _meta: { hostvars: Record<string, Record<string, unknown>> } };
    const vars = inv._meta.hostvars['web-01'] ?? {};
    assert.equal(vars['ansible_host'] ?? vars['kiln_host'], '8.8.8.8', JSON.stringify(vars));
  });

  it('every role is authored as kiln tells its users: argument specs, defaults, meta, and passes kiln validate', async () => {
    assert.deepEqual(readdirSync(join(ROOT, 'roles')).sort(), [...ROLES].sort());
    for (const role of ROLES) {
      const dir = join(ROOT, 'roles', role);
      for (const f of ['meta/argument_specs.yml', 'meta/main.yml', 'defaults/main.yml', 'tasks/main.yml']) assert.ok(existsSync(join(dir, f)), `roles/${role}/${f} is missing`);
      const tasks = readFileSync(join(dir, 'tasks/main.yml'), 'utf8');
      if (/notify:/.test(tasks)) assert.ok(existsSync(join(dir, 'handlers/main.yml')), `roles/${role} notifies but has no handlers`);
      const r = await kiln(['validate', `roles/${role}`]);
      assert.equal(r.code, 0, `roles/${role}: ${r.stdout}${r.stderr}`);
    }
  });

  it('no secret sits in the repo: the database password is generated on the host', () => {
    for (const role of ROLES) {
      const text = readFileSync(join(ROOT, 'roles', role, 'tasks/main.yml'), 'utf8') + readFileSync(join(ROOT, 'roles', role, 'defaults/main.yml'), 'utf8');
      assert.doesNotMatch(text, /password:\s*["']?[A-Za-z0-9]{6,}/, `roles/${role} holds a password in clear`);
    }
    const mariadb = readFileSync(join(ROOT, 'roles/mariadb/tasks/main.yml'), 'utf8');
    assert.match(mariadb, /password: "\{\{ mariadb_app_password\.stdout \}\}"/);
    assert.match(mariadb, /no_log: true/);
  });

  it('README command 1: the dry run against this machine exits 0 and reports the whole plan, with pending reasons', async function () {
    if (process.getuid?.() !== 0) this.skip();
    const r = await kiln(['play', 'playbooks/site.yml', '--check', '--diff']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const counts = recap(r.stdout)['localhost'];
    assert.ok(counts && counts.failed === 0 && counts.unreachable === 0, JSON.stringify(counts));
    for (const role of ROLES) assert.match(r.stdout, new RegExp(`TASK \\[${role} : `), `no task of role ${role} in the plan`);
    assert.match(r.stdout, /kiln: \d+ tasks in [\d.]+ s \(check mode\)/);
  });

  it("bench W5's Ansible copy has an equivalent for every kiln-only construct of the roles", async () => {
    const w5 = (await import(pathToFileURL(join(ROOT, 'bench/lib/w5.mjs')).href)) as { toJinja(text: string): string };
    for (const role of ROLES) {
      const text = w5.toJinja(readFileSync(join(ROOT, 'roles', role, 'tasks/main.yml'), 'utf8'));
      assert.doesNotMatch(text, /^\s+(mysql_db|mysql_user|dns_record):/m);
      if (role === 'mariadb') assert.match(text, /community\.mysql\.mysql_user:\n(?:.*\n)*?\s+login_unix_socket: /);
    }
  });
});
