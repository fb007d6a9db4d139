// Roles: layout, where they are found, dependencies, role files first, argument_specs checked first.
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, logLines, output, play, removeScratch, scratch } from './helpers.js';

describe('language: roles', function () {
  this.timeout(60_000);
  let root: string;
  before(() => (root = scratch('roles')));
  after(() => removeScratch(root));

  it('finds roles beside the playbook and in KILN_ROLES_PATH, runs dependencies first and once per parameters', async () => {
    const r = await play(fixture('roles/site.yml'), root, [], { KILN_ROLES_PATH: fixture('roles_path') });
    assert.equal(r.code, 0, output(r));
    assert.deepEqual(logLines(join(root, 'roles.log')), [
      // common (common_msg: shared) is listed first, then is web's and app's dependency with the
      // same parameters: it runs once. app's second dependency has other parameters: it runs again.
      'common:shared',
      // role vars beat role defaults; the caller's parameter sets web_port
      'web:8080:from vars',
      'common:different',
      'app',
      'remote_role',
      // allow_duplicates: true runs the second listing too; common (listed again, same params) does not.
      'twice:same',
      'twice:same',
      // web's handler, from roles/web/handlers/main.yml, flushed at the end of the roles section
      'handler:reload-web',
    ]);
    // template and copy read the role's templates/ and files/, not the playbook folder's files of the same name.
    assert.equal(readFileSync(join(root, 'page.conf'), 'utf8'), 'listen 8080\ngreeting from vars\n');
    assert.equal(readFileSync(join(root, 'static.txt'), 'utf8'), 'static from the role\n');
  });

  it("--check names the role task a pending change waits for as it is announced: 'web : name'", async () => {
    const fresh = scratch('roles-check');
    try {
      const r = await play(fixture('roles/site.yml'), fresh, ['--check'], { KILN_ROLES_PATH: fixture('roles_path') });
      assert.equal(r.code, 0, output(r));
      assert.match(r.stdout, /^TASK \[web : a note in it\]/m);
      assert.match(r.stdout, /pending: directory .*web-notes is planned by task 'web : a folder for notes'/);
    } finally {
      removeScratch(fresh);
    }
  });

  it('a role is not found without KILN_ROLES_PATH, and the error says where kiln looked', async () => {
    const r = await play(fixture('roles/site.yml'), root, [], { KILN_ROLES_PATH: '' });
    assert.equal(r.code, 3, output(r));
    assert.match(r.stderr, /site\.yml:\d+:\d+: role "remote_role" not found/);
    assert.match(r.stderr, /looked in .*language\/roles\/roles/);
  });

  it('meta/argument_specs.yml is checked before any task runs, pointing at the caller', async () => {
    const r = await play(fixture('roles/bad_params.yml'), root);
    assert.equal(r.code, 3, output(r));
    // The caller's file:line:col (the value), the parameter, the expected type and the value.
    assert.match(r.stderr, /bad_params\.yml:10:17: role "web" parameters: web_port must be an integer, not a string \(got "eighty"\)/);
    assert.equal(existsSync(join(root, 'pre_task_ran')), false, 'a task ran before the parameters were checked');
    assert.equal(r.stdout, '');
  });

  it('templated parameters are checked once rendered, before the role runs on the host', async () => {
    removeScratch(join(root, 'roles.log'));
    const r = await play(fixture('roles/templated_params.yml'), root);
    assert.equal(r.code, 2, output(r));
    assert.match(r.stdout, /templated_params\.yml:12:17: role "web" parameters \(rendered\): web_port must be an integer, not a string \(got "eighty"\)/);
    // The first instance (8081) ran; none of the second one's tasks did.
    assert.deepEqual(logLines(join(root, 'roles.log')), ['common:shared', 'web:8081:from vars']);
  });
});
