// Issue 13's acceptance, through the real CLI, on one fresh Debian 12 test host (systemd) with
// Debian's mariadb-server: check mode before the server exists, then mysql_db and mysql_user
// converging for real, check mode changing nothing, and passwords that never show anywhere.
// The tests run in order on the same host; each starts from what the one before left.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { sshConnection } from '../../src/engine/connection/ssh.js';
import type { Connection } from '../../src/engine/connection/types.js';
import type { ConnectionSettings } from '../../src/engine/inventory/connection_vars.js';
import { Secret } from '../../src/engine/secret.js';
import { runSql } from '../../src/modules/mysql/client.js';
import { sqlQuote } from '../../src/modules/mysql/quote.js';
import { mysqlDb } from '../../src/modules/mysql_db.js';
import { mysqlUser } from '../../src/modules/mysql_user.js';
import { kiln, ROOT } from '../support/cli.js';
import { assertAppliesItsPlan } from '../support/contract.js';
import { startHost, type TestHost } from '../support/testhost/host.js';
import { fakeCtx } from '../modules/helpers.js';
import { FIXTURES, type KilnOnHosts, kilnOnHosts, type PlayRun } from './kiln_run.js';

// Quotes, ;, $ (with what a shell would expand) and a backslash; each also passes MariaDB's
// simple_password_check (8+ characters, a digit, both cases, a symbol), which one test installs.
const APP_PASSWORD = `S3'cr"et;$HOME\\x`;
const NEW_PASSWORD = `N3w'p"w;$(id)\\`;
const ADMIN_PASSWORD = `Adm1n'"; $x \\y`;
const WEAK_PASSWORD = `no'digits;$\\here`;
const SECRETS = [APP_PASSWORD, NEW_PASSWORD, ADMIN_PASSWORD, WEAK_PASSWORD];

/** Every secret, and pieces of them long enough to be telling, found in `text`. */
function leaks(text: string): string[] {
  const pieces = SECRETS.flatMap((s) => [s, s.slice(0, -2), s.slice(2)]);
  return pieces.filter((p) => text.includes(p));
}

async function sh(h: TestHost, script: string, input?: string): Promise<string> {
  const r = await h.exec(['sh', '-c', script], { timeoutMs: 120_000, input });
  assert.equal(r.code, 0, `${h.name}: ${script}: ${r.stderr}`);
  return r.stdout;
}

/** SQL as root over the socket, inside the host: the test's own eyes, independent of kiln. */
async function sql(h: TestHost, text: string, force = false): Promise<string> {
  const r = await h.exec(['mariadb', '--batch', '--skip-column-names', ...(force ? ['--force'] : [])], { input: text, timeoutMs: 60_000 });
  if (!force) assert.equal(r.code, 0, `${h.name}: ${text}: ${r.stderr}`);
  return r.stdout;
}

/** Whether `user`@localhost logs in with `password` (MYSQL_PWD: no argv, no file). */
async function logsIn(h: TestHost, user: string, password: string): Promise<boolean> {
  const r = await h.exec(['mariadb', '-u', user, '--batch', '--skip-column-names', '-e', 'SELECT CURRENT_USER()'], { env: { MYSQL_PWD: password }, timeoutMs: 30_000 });
  if (r.code === 0) return r.stdout.trim() === `${user}@localhost`;
  assert.match(r.stderr, /ERROR 1045/, `a login that fails must fail for its password: ${r.stderr}`);
  return false;
}

/** SHOW GRANTS of an account, the password hash cut off. */
async function grants(h: TestHost, user: string): Promise<string[]> {
  const out = await sql(h, `SHOW GRANTS FOR '${user}'@'localhost';`);
  return out
    .trim()
    .split('\n')
    .map((l) => l.replace(/ IDENTIFIED BY PASSWORD '[^']*'/, ''));
}

/** Everything check mode could touch: accounts, their hashes and grants, and the databases. */
async function snapshot(h: TestHost): Promise<string> {
  const accounts = await sql(h, 'SELECT User, Host, plugin, authentication_string FROM mysql.user ORDER BY User, Host;');
  const shown = await sql(h, "SHOW GRANTS FOR 'app'@'localhost'; SHOW GRANTS FOR 'kiln_admin'@'localhost';", true);
  const dbs = await sql(h, 'SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA ORDER BY 1;');
  return `${accounts}\n--\n${shown}\n--\n${dbs}`;
}

async function dpkgKnows(h: TestHost, pkg: string): Promise<boolean> {
  return (await h.exec(['dpkg-query', '-W', pkg])).code === 0;
}

describe('hosts: mysql_user and mysql_db on a fresh Debian 12 with MariaDB, through the CLI', function () {
  // The image build (cold cache only) takes 1-3 minutes; the MariaDB install about one.
  this.timeout(20 * 60_000);

  let h: TestHost | undefined;
  let k: KilnOnHosts | undefined;
  let secretsFile = '';
  const timings: string[] = [];
  let freshCheck: PlayRun | undefined;
  let freshBefore = { server: true, client: true };
  let freshAfter = { server: true, client: true };
  let installed: PlayRun | undefined;

  const host = (): TestHost => {
    assert.ok(h, 'the host did not start');
    return h;
  };
  /** `kiln play mysql/FIXTURE --json -e @secrets ARGS`; the run must not fail unless `mayFail`. */
  const play = async (label: string, fixture: string, args: string[] = [], vars: Record<string, unknown> = {}, mayFail = false): Promise<PlayRun> => {
    assert.ok(k, 'no inventory: the host did not start');
    const r = await k.play(`mysql/${fixture}`, '-e', `@${secretsFile}`, '-e', JSON.stringify(vars), ...args);
    timings.push(`${label}: ${r.seconds.toFixed(1)} s`);
    if (!mayFail) {
      assert.equal(r.code, 0, `kiln play ${fixture} ${args.join(' ')} exited ${r.code}:\n${r.stdout}${r.stderr}`);
      assert.equal(r.recap[host().name]?.failed, 0, r.stdout);
    }
    return r;
  };
  const status = (r: PlayRun, task: string): string => r.result(host().name, task).status;
  const userVars = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ app_priv: 'app.*:SELECT,INSERT', append: false, user_state: 'present', ...over });

  before(async function () {
    const t0 = Date.now();
    h = await startHost({ name: 'mysql', flavour: 'systemd' });
    timings.push(`host started: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    k = await kilnOnHosts([h]);
    secretsFile = join(k.dir, 'secrets.json');
    await writeFile(secretsFile, JSON.stringify({ app_password: APP_PASSWORD, new_password: NEW_PASSWORD, admin_password: ADMIN_PASSWORD, weak_password: WEAK_PASSWORD }), { mode: 0o600 });
    // Check mode first, while the host has no MariaDB; then the one real install of the run.
    freshBefore = { server: await dpkgKnows(h, 'mariadb-server'), client: (await h.exec(['sh', '-c', 'command -v mariadb || command -v mysql'])).code === 0 };
    freshCheck = await play('--check on the fresh host', 'fresh_check.yml', ['--check']);
    freshAfter = { server: await dpkgKnows(h, 'mariadb-server'), client: (await h.exec(['sh', '-c', 'command -v mariadb || command -v mysql'])).code === 0 };
    installed = await play('install mariadb-server', 'install.yml');
  });

  after(async function () {
    await h?.stop();
    await k?.remove();
    console.log(`      timings:\n${timings.map((t) => `        ${t}`).join('\n')}`);
  });

  it('--check on a fresh host: the mysql tasks are pending on the planned mariadb-server install, not failures; nothing is installed', function () {
    assert.deepEqual(freshBefore, { server: false, client: false }, 'the host is not fresh');
    assert.deepEqual(freshAfter, { server: false, client: false }, 'check mode installed something');
    const r = freshCheck;
    assert.ok(r);
    const pending = "mariadb-server is planned for install by task 'install mariadb'";
    assert.equal(status(r, 'install mariadb'), 'changed');
    const db = r.result(host().name, 'app database');
    assert.equal(db.status, 'changed');
    assert.deepEqual(db.changes, [{ summary: 'create database app (character set utf8mb4)', pending }]);
    const user = r.result(host().name, 'app user');
    assert.equal(user.status, 'changed');
    assert.deepEqual(user.changes, [
      { summary: 'create user app@localhost with a password', pending },
      { summary: 'grant INSERT, SELECT on app.*', pending },
    ]);
    const old = r.result(host().name, 'no old user');
    assert.equal(old.status, 'ok');
    assert.equal(old.msg, `user old@localhost does not exist (no server answers yet: ${pending})`);
  });

  it('kiln installs mariadb-server; root logs in over the Unix socket', async function () {
    assert.ok(installed);
    assert.equal(status(installed, 'install mariadb'), 'changed');
    assert.equal(await dpkgKnows(host(), 'mariadb-server'), true);
    assert.match(await sql(host(), 'SELECT CURRENT_USER(), VERSION();'), /^root@localhost\t10\.11\.\d+-MariaDB/);
  });

  it('the one quoting function: strings and names with quotes, backslashes, %, _, unicode and NUL survive the real server', async function () {
    const values = [`it's "q"`, 'back\\slash\\', '100%_done', 'Grüße 世界 🙂', 'nul\0byte', 'two\nlines', '`tick`', APP_PASSWORD];
    const conn = await connect();
    try {
      const query = values.map((v, i) => `SELECT 'v', ${i}, HEX(${sqlQuote(v, 'string')}), HEX(CONVERT(${sqlQuote(v, 'string')} USING utf8mb4)) = HEX(${sqlQuote(v, 'string')});`).join('\n');
      const names = ['we`ird', 'my\\_db', 'données'];
      const ddl = names.map((n) => `CREATE DATABASE ${sqlQuote(n, 'ident')}; SELECT 'db', SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${sqlQuote(n, 'string')}; DROP DATABASE ${sqlQuote(n, 'ident')};`).join('\n');
      const r = await runSql(fakeCtx(conn), {}, `${query}\n${ddl}\n`);
      assert.equal(r.rc, 0, r.stderr);
      for (const [i, v] of values.entries()) {
        const row = r.rows.find((x) => x[0] === 'v' && x[1] === String(i));
        assert.equal(row?.[2], Buffer.from(v, 'utf8').toString('hex').toUpperCase(), `value ${i}: ${JSON.stringify(v)}`);
      }
      assert.deepEqual(
        r.rows.filter((x) => x[0] === 'db').map((x) => x[1]),
        names,
      );
    } finally {
      await conn.close();
    }
  });

  it('the server hashes a password with PASSWORD() exactly as kiln compares it', async function () {
    const q = sqlQuote(APP_PASSWORD, 'string');
    assert.equal((await sql(host(), `SELECT PASSWORD(${q}) = CONCAT('*', UPPER(SHA1(UNHEX(SHA1(${q})))));`)).trim(), '1');
  });

  it('mysql_db: --check creates nothing; create is changed, a re-run ok, a new collation is changed and done; drop, and drop again ok', async function () {
    const before = await snapshot(host());
    const check = await play('db --check (create)', 'db.yml', ['--check'], { db_state: 'present', db_collation: 'utf8mb4_unicode_ci' });
    assert.equal(status(check, 'databases'), 'changed');
    assert.equal(await snapshot(host()), before, 'check mode changed the server');

    const create = await play('db create', 'db.yml', [], { db_state: 'present', db_collation: 'utf8mb4_unicode_ci' });
    assert.deepEqual(
      create.result(host().name, 'databases').changes.map((c) => c.summary),
      ['create database app (character set utf8mb4, collation utf8mb4_unicode_ci)', 'create database we`ird db (character set utf8mb4, collation utf8mb4_unicode_ci)'],
    );
    const rows = "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN ('app', 'we`ird db') ORDER BY 1;";
    assert.equal(await sql(host(), rows), 'app\tutf8mb4\tutf8mb4_unicode_ci\nwe`ird db\tutf8mb4\tutf8mb4_unicode_ci\n');

    const again = await play('db re-run', 'db.yml', [], { db_state: 'present', db_collation: 'utf8mb4_unicode_ci' });
    assert.equal(status(again, 'databases'), 'ok');
    assert.equal(again.result(host().name, 'databases').msg, 'database app exists (character set utf8mb4, collation utf8mb4_unicode_ci); database we`ird db exists (character set utf8mb4, collation utf8mb4_unicode_ci)');

    const collation = await play('db new collation', 'db.yml', [], { db_state: 'present', db_collation: 'utf8mb4_bin' });
    assert.equal(status(collation, 'databases'), 'changed');
    assert.equal(collation.result(host().name, 'databases').changes[0]?.summary, 'change database app: collation utf8mb4_unicode_ci -> utf8mb4_bin (its tables keep their own)');
    assert.equal(await sql(host(), rows), 'app\tutf8mb4\tutf8mb4_bin\nwe`ird db\tutf8mb4\tutf8mb4_bin\n');

    const beforeDrop = await snapshot(host());
    const dropCheck = await play('db --check (drop)', 'db.yml', ['--check'], { db_state: 'absent', db_collation: 'utf8mb4_bin' });
    assert.equal(status(dropCheck, 'databases'), 'changed');
    assert.equal(await snapshot(host()), beforeDrop, 'check mode dropped something');
    const drop = await play('db drop', 'db.yml', [], { db_state: 'absent', db_collation: 'utf8mb4_bin' });
    assert.deepEqual(
      drop.result(host().name, 'databases').changes.map((c) => c.summary),
      ['drop database app', 'drop database we`ird db'],
    );
    assert.equal(await sql(host(), rows), '');
    const dropAgain = await play('db drop again', 'db.yml', [], { db_state: 'absent', db_collation: 'utf8mb4_bin' });
    assert.equal(status(dropAgain, 'databases'), 'ok');
    assert.equal(dropAgain.result(host().name, 'databases').msg, 'database app does not exist; database we`ird db does not exist');
  });

  it("mysql_user name=app host=localhost password=… priv='app.*:SELECT,INSERT' is changed, then ok; the user logs in", async function () {
    const first = await play('user create (k=v)', 'user_kv.yml');
    assert.equal(status(first, 'app user'), 'changed');
    assert.deepEqual(
      first.result(host().name, 'app user').changes.map((c) => c.summary),
      ['create user app@localhost with a password', 'grant INSERT, SELECT on app.*'],
    );
    assert.deepEqual(await grants(host(), 'app'), ['GRANT USAGE ON *.* TO `app`@`localhost`', 'GRANT SELECT, INSERT ON `app`.* TO `app`@`localhost`']);
    assert.equal(await logsIn(host(), 'app', APP_PASSWORD), true);

    const second = await play('user re-run (k=v)', 'user_kv.yml');
    assert.equal(status(second, 'app user'), 'ok');
    assert.equal(second.result(host().name, 'app user').msg, 'user app@localhost exists; the password of app@localhost matches; its privileges are as asked (app.*: INSERT, SELECT)');
  });

  it('a new password is changed; the user logs in with it and the old one is refused', async function () {
    const r = await play('user new password', 'user.yml', [], { ...userVars(), app_password: NEW_PASSWORD });
    assert.deepEqual(r.result(host().name, 'app user').changes.map((c) => c.summary), ['change the password of app@localhost']);
    assert.equal(r.result(host().name, 'app user').data?.['password_changed'], true);
    assert.equal(await logsIn(host(), 'app', NEW_PASSWORD), true);
    assert.equal(await logsIn(host(), 'app', APP_PASSWORD), false);
    const again = await play('user new password again', 'user.yml', [], { ...userVars(), app_password: NEW_PASSWORD });
    assert.equal(status(again, 'app user'), 'ok');
  });

  it('priv narrowed to SELECT revokes INSERT; append_privs adds without revoking', async function () {
    const narrow = await play('user narrowed', 'user.yml', [], userVars({ app_password: NEW_PASSWORD, app_priv: 'app.*:SELECT' }));
    assert.deepEqual(narrow.result(host().name, 'app user').changes.map((c) => c.summary), ['revoke INSERT on app.*']);
    assert.deepEqual(await grants(host(), 'app'), ['GRANT USAGE ON *.* TO `app`@`localhost`', 'GRANT SELECT ON `app`.* TO `app`@`localhost`']);

    const append = await play('user append', 'user.yml', [], userVars({ app_password: NEW_PASSWORD, app_priv: 'logs.*:SELECT/app.*:UPDATE', append: true }));
    assert.deepEqual(append.result(host().name, 'app user').changes.map((c) => c.summary), ['grant UPDATE on app.*', 'grant SELECT on logs.*']);
    assert.deepEqual((await grants(host(), 'app')).sort(), ['GRANT SELECT ON `logs`.* TO `app`@`localhost`', 'GRANT SELECT, UPDATE ON `app`.* TO `app`@`localhost`', 'GRANT USAGE ON *.* TO `app`@`localhost`']);
    const appendAgain = await play('user append again', 'user.yml', [], userVars({ app_password: NEW_PASSWORD, app_priv: 'logs.*:SELECT', append: true }));
    assert.equal(status(appendAgain, 'app user'), 'ok');
  });

  it('--check changes nothing: the user table and grants are the same before and after', async function () {
    const before = await snapshot(host());
    const changes = await play('user --check (password, priv)', 'user.yml', ['--check', '--diff'], userVars({ app_password: APP_PASSWORD, app_priv: 'app.*:ALL,GRANT' }));
    const result = changes.result(host().name, 'app user');
    assert.equal(result.status, 'changed');
    assert.deepEqual(result.changes.map((c) => c.summary), ['change the password of app@localhost', 'revoke SELECT on logs.*', 'grant ALL PRIVILEGES on app.* with the grant option']);
    const absent = await play('user --check (absent)', 'user.yml', ['--check'], userVars({ app_password: APP_PASSWORD, user_state: 'absent' }));
    assert.deepEqual(absent.result(host().name, 'app user').changes.map((c) => c.summary), ['drop user app@localhost']);
    assert.equal(await snapshot(host()), before, 'check mode changed the server');
    assert.equal(await logsIn(host(), 'app', NEW_PASSWORD), true);
  });

  it('--check: a task that logs in as an account an earlier task would create is pending, not refused', async function () {
    const before = await snapshot(host());
    const r = await play('--check as a planned login user', 'login_check.yml', ['--check']);
    assert.equal(status(r, 'planned admin'), 'changed');
    assert.deepEqual(r.result(host().name, 'a database, as the planned admin').changes, [
      { summary: 'create database planned_db', pending: "the login user planned_admin@localhost is planned by task 'planned admin'" },
    ]);
    assert.equal(await snapshot(host()), before, 'check mode changed the server');
  });

  it('state: absent drops the user; again is ok', async function () {
    const drop = await play('user drop', 'user.yml', [], userVars({ app_password: NEW_PASSWORD, user_state: 'absent' }));
    assert.deepEqual(drop.result(host().name, 'app user').changes.map((c) => c.summary), ['drop user app@localhost']);
    assert.equal(await sql(host(), "SELECT COUNT(*) FROM mysql.user WHERE User = 'app';"), '0\n');
    const again = await play('user drop again', 'user.yml', [], userVars({ app_password: NEW_PASSWORD, user_state: 'absent' }));
    assert.equal(status(again, 'app user'), 'ok');
    assert.equal(again.result(host().name, 'app user').msg, 'user app@localhost does not exist');
  });

  it('apply runs exactly the steps check mode showed (the module contract), on the real server', async function () {
    const conn = await connect();
    try {
      const ctx = fakeCtx(conn);
      const reset = async (): Promise<void> => {
        await sql(host(), "DROP USER IF EXISTS 'contract'@'localhost'; DROP DATABASE IF EXISTS contract1; DROP DATABASE IF EXISTS contract2; CREATE USER 'contract'@'localhost'; GRANT SELECT, INSERT ON `old`.* TO 'contract'@'localhost';");
      };
      await assertAppliesItsPlan(mysqlUser, ctx, { name: 'contract', password: new Secret(NEW_PASSWORD), priv: 'app.*:SELECT/logs.*:INSERT' }, reset);
      await assertAppliesItsPlan(mysqlDb, ctx, { name: ['contract1', 'contract2'], encoding: 'utf8mb4' }, reset);
      await sql(host(), "DROP USER 'contract'@'localhost'; DROP DATABASE contract1; DROP DATABASE contract2;");
    } finally {
      await conn.close();
    }
  });

  it('passwords never appear: not in the output (--diff -vvv, --json), an error, register, nor ps on the host or here', async function () {
    const hh = host();
    // A policy that refuses the weak password: the client would print the failing statement,
    // password included, unless told not to.
    await sql(hh, "INSTALL SONAME 'simple_password_check';");
    const reset = (): Promise<string> => sql(hh, "DROP USER IF EXISTS 'kiln_admin'@'localhost', 'secret'@'localhost', 'weak'@'localhost'; DROP DATABASE IF EXISTS secret_db;");
    try {
      await reset();
      // ps on the host for the whole run. A write lock on the accounts table holds kiln's first
      // read for a few seconds, so the samples must see a client (and its defaults file) at work.
      await sh(hh, 'rm -f /tmp/kiln-ps-stop');
      const sampler = hh.exec(
        [
          'sh',
          '-c',
          `end=$(($(date +%s) + 120)); while [ ! -e /tmp/kiln-ps-stop ] && [ $(date +%s) -lt $end ]; do
  ps -eo args
  ps -eo args | sed -n 's/.*--defaults-file=\\([^ ]*\\).*/\\1/p' | while read -r f; do stat -c 'cnf %a %U' "$f"; stat -c 'dir %a %U' "\${f%/*}"; done 2>/dev/null
done`,
        ],
        { timeoutMs: 180_000 },
      );
      const blocker = hh.exec(['mariadb', '-e', 'LOCK TABLES mysql.global_priv WRITE; DO SLEEP(6); UNLOCK TABLES;'], { timeoutMs: 60_000 });
      // ps here, on the machine that runs kiln, for the same run.
      const localPs: string[] = [];
      let sampling = true;
      const localSampler = (async () => {
        while (sampling) {
          localPs.push(spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout);
          await new Promise((d) => setTimeout(d, 50));
        }
      })();

      assert.ok(k);
      const t0 = Date.now();
      const text = await k.playText('mysql/secrets.yml', '-e', `@${secretsFile}`, '--diff', '-vvv');
      timings.push(`secrets --diff -vvv (a 6 s lock held): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      sampling = false;
      await localSampler;
      await sh(hh, 'touch /tmp/kiln-ps-stop');
      const ps = (await sampler).stdout;
      await blocker;

      // The run did what the test is about.
      assert.equal(text.code, 0, text.stdout + text.stderr);
      assert.match(text.stdout, /changed: \[mysql\] => create user kiln_admin@localhost with a password/);
      assert.match(text.stdout, /change the password of secret@localhost/);
      assert.match(text.stdout, /create database secret_db/);
      assert.match(text.stdout, /create user weak@localhost with a password failed: ERROR 1819 \(HY000\) at line \d+: Your password does not satisfy the current policy requirements/);
      assert.match(text.stdout, /password: \*{8} \(changed\)/, 'the diff shows the password masked');
      assert.equal(await logsIn(hh, 'secret', NEW_PASSWORD), true);
      assert.equal(await logsIn(hh, 'kiln_admin', ADMIN_PASSWORD), true);
      assert.deepEqual(leaks(text.stdout + text.stderr), [], `kiln --diff -vvv printed a password:\n${text.stdout}`);
      // Not even masked: the client was told not to echo a failing statement at all.
      assert.ok(!/IDENTIFIED BY/.test(text.stdout + text.stderr), text.stdout);

      assert.match(ps, /mariadb --defaults-file=\/tmp\/tmp\.\w+\/my\.cnf --loose-skip-print-query-on-error --batch/, 'the samples never saw a client: this test proves nothing');
      assert.match(ps, /^cnf 600 root$/m, 'the defaults file is 0600');
      assert.match(ps, /^dir 700 root$/m, 'in a private folder');
      assert.deepEqual(leaks(ps), [], 'ps on the host showed a password');
      assert.ok(localPs.some((p) => p.includes('mysql/secrets.yml')), 'the samples here never saw kiln');
      assert.deepEqual(leaks(localPs.join('\n')), [], 'ps here showed a password');
      assert.equal((await h?.exec(['sh', '-c', 'ls -d /tmp/tmp.* 2>/dev/null | wc -l']))?.stdout.trim(), '0', 'a defaults folder was left behind');

      await reset();
      const json = await play('secrets --json --diff -vvv', 'secrets.yml', ['--diff', '-vvv']);
      const weak = json.result(hh.name, 'a password the server refuses');
      assert.equal(weak.status, 'failed');
      assert.match(weak.msg, /^create user weak@localhost with a password failed: ERROR 1819/);
      assert.equal(json.result(hh.name, 'the same password again').status, 'ok');
      assert.deepEqual(leaks(json.stdout + json.stderr), [], `kiln --json printed a password:\n${json.stdout}`);
    } finally {
      await sql(hh, "UNINSTALL SONAME 'simple_password_check';");
      await reset();
    }
  });

  it('bad arguments (priv SELEKT, a host with a space) are refused with file:line:col before any host is contacted', async function () {
    const file = join(FIXTURES, 'mysql/bad_args.yml');
    const rel = relative(ROOT, file);
    const v = await kiln(['validate', file]);
    assert.equal(v.code, 3, v.stdout + v.stderr);
    const out = v.stdout + v.stderr;
    // kiln names the file as given, relative to where it runs.
    assert.ok(out.includes(`${rel}:10:15: task "misspelt privilege": mysql_user.priv has the wrong form (got "app.*:SELEKT")`), out);
    assert.ok(out.includes(`${rel}:14:15: task "host with a space": mysql_user.host has the wrong form (got "web server")`), out);
    // kiln play stops at the same place, before any connection: with an inventory whose host no
    // one answers for, a play that tried would report it unreachable (exit 4).
    assert.ok(k);
    const nowhere = join(k.dir, 'nowhere.ini');
    await writeFile(nowhere, '[test_hosts]\nmysql kiln_host=127.0.0.1 kiln_port=1\n');
    const p = await kiln(['play', file, '-i', nowhere], { env: { HOME: k.dir } });
    assert.equal(p.code, 3, p.stdout + p.stderr);
    assert.ok((p.stdout + p.stderr).includes(`${rel}:10:15: task "misspelt privilege"`), p.stdout + p.stderr);
    assert.doesNotMatch(p.stdout + p.stderr, /PLAY \[|unreachable/);
    assert.equal(await sql(host(), "SELECT COUNT(*) FROM mysql.user WHERE User = 'app';"), '0\n');
  });

  /** kiln's SSH connection to the host, for the tests that drive a module directly. */
  async function connect(): Promise<Connection> {
    const hh = host();
    assert.ok(k);
    const knownHosts = join(k.dir, '.ssh/known_hosts');
    const settings: ConnectionSettings = {
      name: hh.name,
      connection: 'ssh',
      host: hh.ip,
      port: hh.sshPort,
      user: hh.user,
      privateKeyFile: hh.keyFile,
      becomeMethod: 'sudo',
      hostKeyChecking: true,
      timeoutSec: 10,
      controlPersistSec: 0,
    };
    return sshConnection(settings, { homeDir: k.dir, sshConfigFile: false, agent: false, globalKnownHostsFiles: [], knownHostsFile: knownHosts, hostKeyPolicy: 'strict' });
  }
});
