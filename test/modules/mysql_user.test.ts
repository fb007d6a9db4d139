// mysql_user: the read's SQL and its parsing, every plan branch on canned state, the SQL of each
// step, and that the password never leaves in anything but the SQL on the client's stdin.
import { strict as assert } from 'node:assert';
import { ModuleError } from '../../src/engine/errors.js';
import { PlannedState } from '../../src/engine/planned.js';
import { MASK, Secret } from '../../src/engine/secret.js';
import { parsePriv } from '../../src/modules/mysql/grants.js';
import { mysqlUser, type MysqlUserArgs, parseUserRead, planUser, readFailedAsExpected, readUserSql, type UserDo, type UserState, userSql } from '../../src/modules/mysql_user.js';
import type { Plan } from '../../src/engine/module.js';
import { schemaJson } from '../../src/engine/schema/registry.js';
import { kiln } from '../support/cli.js';
import { fakeCtx, schemaChecks, summaries } from './helpers.js';
import { FakeConn } from './fake_conn.js';
import { Recorder } from './mysql/recorder.js';

const PASSWORD = `q'u"o;t$e\\x`;
const MARIADB = { version: '10.11.19-MariaDB-0+deb12u1', mariadb: true };

/** A canned account. */
function user(over: Partial<UserState> = {}): UserState {
  return { name: 'app', host: 'localhost', server: MARIADB, exists: true, plugin: 'mysql_native_password', passwordMatches: true, grants: parsePriv('app.*:SELECT,INSERT'), ...over };
}

const args = (over: Partial<MysqlUserArgs> = {}): MysqlUserArgs => ({ name: 'app', password: new Secret(PASSWORD), priv: 'app.*:SELECT,INSERT', ...over });

/** Everything a plan shows or registers, as one string: the password must be nowhere in it. */
function shown(plan: Plan<UserState, UserDo>): string {
  return JSON.stringify({ changes: plan.steps.map((s) => s.change), ok: plan.okReason, data: plan.data, do: plan.steps.map((s) => s.do) });
}

schemaChecks(mysqlUser);

describe('mysql_user, mysql_db: kiln doc', () => {
  for (const name of ['mysql_user', 'mysql_db']) {
    it(`kiln doc ${name} documents every argument of the schema, secrets marked`, async () => {
      const r = await kiln(['doc', name]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.startsWith(`${name}: `));
      assert.ok(r.stdout.includes(`Also accepted as: community.mysql.${name}`));
      const props = schemaJson(`modules/${name}.schema.json`)['properties'] as Record<string, { description: string; 'x-secret'?: boolean }>;
      for (const [k, p] of Object.entries(props)) {
        assert.ok(r.stdout.includes(`\n${k === 'name' ? '=' : '-'} ${k}${p['x-secret'] ? ' (secret)' : ''}\n        ${p.description}\n`), `${k} is not documented:\n${r.stdout}`);
      }
      const alias = await kiln(['doc', `community.mysql.${name}`]);
      assert.equal(alias.stdout, r.stdout);
    });
  }
});

describe('mysql_user: reading', () => {
  it('reads server, account and password comparison in one batch, SHOW GRANTS last', () => {
    const sql = readUserSql("o'k", '%', new Secret(PASSWORD));
    const lines = sql.trim().split('\n');
    assert.equal(lines[0], "SELECT 'server', VERSION();");
    assert.equal(lines[1], `SELECT 'user', plugin, IF(plugin IN ('mysql_native_password', '') AND authentication_string = CONCAT('*', UPPER(SHA1(UNHEX(SHA1('q\\'u"o;t$e\\\\x'))))), 'same', 'differs') FROM mysql.user WHERE User = 'o\\'k' AND Host = '%';`);
    assert.equal(lines.at(-1), "SHOW GRANTS FOR 'o\\'k'@'%';");
    assert.equal(readUserSql('app', 'localhost', undefined).split('\n')[1], "SELECT 'user', plugin, '' FROM mysql.user WHERE User = 'app' AND Host = 'localhost';");
    // An empty password has no hash: the server stores ''.
    assert.match(readUserSql('app', 'localhost', new Secret('')).split('\n')[1] ?? '', /AND authentication_string = '', 'same', 'differs'\)/);
  });

  it('parses an existing account with its grants, and a missing one (SHOW GRANTS failing with 1141 is expected)', () => {
    const rows = [['server', '10.11.19-MariaDB-0+deb12u1'], ['user', 'mysql_native_password', 'differs'], ['grants'], ["GRANT USAGE ON *.* TO `app`@`localhost` IDENTIFIED BY PASSWORD '*<hash>'"], ['GRANT SELECT, INSERT ON `app`.* TO `app`@`localhost`']];
    const s = parseUserRead('app', 'localhost', rows);
    assert.equal(s.exists, true);
    assert.equal(s.passwordMatches, false);
    assert.deepEqual(s.server, MARIADB);
    assert.deepEqual([...(s.grants.get('app.*')?.privs ?? [])].sort(), ['INSERT', 'SELECT']);
    const missing = [['server', '10.11.19-MariaDB-0+deb12u1'], ['grants']];
    assert.equal(parseUserRead('app', 'localhost', missing).exists, false);
    assert.equal(readFailedAsExpected(missing, "ERROR 1141 (42000) at line 5: There is no such grant defined for user 'app' on host 'localhost'"), true);
    assert.equal(readFailedAsExpected(rows, 'ERROR 1141 (42000) at line 5: …'), false, 'an account that exists has grants');
    assert.equal(readFailedAsExpected(missing, "ERROR 1142 (42000) at line 3: SELECT command denied to user 'x'@'localhost' for table `mysql`.`user`"), false);
  });

  it('read: one client call; a refused read says why, without the password', async () => {
    const conn = new FakeConn([{ rc: 1, stderr: "ERROR 1698 (28000): Access denied for user 'root'@'localhost'" }]);
    await assert.rejects(mysqlUser.read(fakeCtx(conn), args()), (e: unknown) => e instanceof ModuleError && /^reading user app@localhost: ERROR 1698 .*become: true/.test(e.message) && !e.message.includes(PASSWORD));
    assert.equal(conn.calls.length, 1);
    assert.ok(!conn.calls[0]?.argv.join(' ').includes(PASSWORD));
  });

  it('read in check mode: no server yet, but mariadb-server is planned: pending, not a failure', async () => {
    const planned = new PlannedState();
    planned.record({ kind: 'package', key: 'mariadb-server', state: 'present' }, 'install mariadb');
    const conn = new FakeConn([{ rc: 127, stderr: 'kiln: no mariadb or mysql client on this host' }]);
    const s = await mysqlUser.read(fakeCtx(conn, { planned }), args());
    assert.equal(s.pending, "mariadb-server is planned for install by task 'install mariadb'");
    const plan = planUser(s, args());
    assert.deepEqual(
      plan.steps.map((st) => [st.change.summary, st.change.pending]),
      [
        ['create user app@localhost with a password', "mariadb-server is planned for install by task 'install mariadb'"],
        ['grant INSERT, SELECT on app.*', "mariadb-server is planned for install by task 'install mariadb'"],
      ],
    );
    const absent = planUser(s, args({ state: 'absent' }));
    assert.equal(absent.okReason, "user app@localhost does not exist (no server answers yet: mariadb-server is planned for install by task 'install mariadb')");
    // A login refused for an account an earlier task would create is pending too.
    const admin = new PlannedState();
    admin.record({ kind: 'mysql_user', key: 'kiln_admin@localhost', state: 'present' }, 'admin user');
    const refused = new FakeConn([{ rc: 1, stderr: "ERROR 1045 (28000): Access denied for user 'kiln_admin'@'localhost' (using password: YES)" }]);
    const asAdmin = await mysqlUser.read(fakeCtx(refused, { planned: admin }), args({ login_user: 'kiln_admin', login_password: new Secret('x') }));
    assert.equal(asAdmin.pending, "the login user kiln_admin@localhost is planned by task 'admin user'");
    // Without the plan, the same answer is a failure that says what to do.
    await assert.rejects(mysqlUser.read(fakeCtx(new FakeConn([{ rc: 127, stderr: 'kiln: no mariadb or mysql client on this host' }])), args()), /install the client with the server/);
  });
});

describe('mysql_user: planning', () => {
  it('a new account: created with its password, then granted', () => {
    const plan = planUser(user({ exists: false, plugin: undefined, passwordMatches: undefined, grants: new Map() }), args());
    assert.deepEqual(summaries(plan), ['create user app@localhost with a password', 'grant INSERT, SELECT on app.*']);
    assert.deepEqual(plan.data, { user: 'app', host: 'localhost', state: 'present', password_changed: false, priv: 'app.*:INSERT,SELECT' });
    assert.deepEqual(plan.effects, [{ kind: 'mysql_user', key: 'app@localhost', state: 'present' }], 'check mode remembers the account for the tasks that log in with it');
    assert.deepEqual(plan.steps[0]?.change.diff, { path: 'mysql user app@localhost', before: null, after: `user: app@localhost\npassword: ${MASK}\nprivileges:\n  app.*: INSERT, SELECT\n` });
    assert.ok(!shown(plan).includes(PASSWORD));
  });

  it('the same again: ok, and the reason says why', () => {
    const plan = planUser(user(), args());
    assert.deepEqual(plan.steps, []);
    assert.equal(plan.okReason, 'user app@localhost exists; the password of app@localhost matches; its privileges are as asked (app.*: INSERT, SELECT)');
    assert.equal(plan.effects, undefined);
  });

  it('a new password: changed (masked in the diff); on_create leaves it', () => {
    const plan = planUser(user({ passwordMatches: false }), args());
    assert.deepEqual(summaries(plan), ['change the password of app@localhost']);
    assert.equal(plan.data?.['password_changed'], true);
    assert.match(plan.steps[0]?.change.diff?.after ?? '', /^password: \*{8} \(changed\)$/m);
    assert.ok(!shown(plan).includes(PASSWORD));
    const kept = planUser(user({ passwordMatches: false }), args({ update_password: 'on_create' }));
    assert.deepEqual(kept.steps, []);
    assert.match(kept.okReason ?? '', /only set when the account is created \(update_password: on_create\)/);
  });

  it('another authentication plugin: the password is set, and the change says from what', () => {
    assert.deepEqual(summaries(planUser(user({ plugin: 'unix_socket', passwordMatches: false }), args())), ['change the password of app@localhost (it authenticates with unix_socket now)']);
  });

  it('narrowing priv revokes; append_privs adds without revoking; no priv leaves privileges alone', () => {
    const narrowed = planUser(user(), args({ priv: 'app.*:SELECT' }));
    assert.deepEqual(summaries(narrowed), ['revoke INSERT on app.*']);
    assert.equal(narrowed.steps[0]?.change.diff?.before, `user: app@localhost\npassword: ${MASK}\nprivileges:\n  app.*: INSERT, SELECT\n`);
    assert.equal(narrowed.steps[0]?.change.diff?.after, `user: app@localhost\npassword: ${MASK}\nprivileges:\n  app.*: SELECT\n`);
    const appended = planUser(user({ grants: parsePriv('app.*:SELECT') }), args({ priv: 'app.*:INSERT/logs.*:SELECT', append_privs: true }));
    assert.deepEqual(summaries(appended), ['grant INSERT on app.*', 'grant SELECT on logs.*']);
    assert.equal(appended.data?.['priv'], 'app.*:INSERT,SELECT/logs.*:SELECT');
    const again = planUser(user({ grants: parsePriv('app.*:SELECT,INSERT/logs.*:SELECT') }), args({ priv: 'app.*:INSERT', append_privs: true }));
    assert.deepEqual(again.steps, []);
    assert.match(again.okReason ?? '', /it already has app\.\*: INSERT/);
    assert.deepEqual(planUser(user({ grants: parsePriv('*.*:PROCESS') }), args({ priv: undefined })).steps, []);
  });

  it('state absent: dropped when it exists, ok when it does not', () => {
    const drop = planUser(user(), args({ state: 'absent' }));
    assert.deepEqual(summaries(drop), ['drop user app@localhost']);
    assert.equal(drop.steps[0]?.change.diff?.after, null);
    assert.equal(drop.data?.['state'], 'absent');
    assert.deepEqual(drop.effects, [{ kind: 'mysql_user', key: 'app@localhost', state: 'absent' }]);
    const gone = planUser(user({ exists: false, grants: new Map() }), args({ state: 'absent' }));
    assert.deepEqual(gone.steps, []);
    assert.equal(gone.okReason, 'user app@localhost does not exist');
  });

  it('a bad priv fails the plan with the word at fault (for templated values the schema could not see)', () => {
    assert.throws(() => planUser(user(), args({ priv: 'app.*:SELEKT' })), (e: unknown) => e instanceof ModuleError && /"SELEKT" is not a privilege; did you mean SELECT\?/.test(e.message));
  });

  it('on MariaDB an alias is asked for under the name SHOW GRANTS prints: no change on every run', () => {
    const s = user({ grants: parsePriv('*.*:BINLOG MONITOR') });
    assert.deepEqual(planUser(s, args({ priv: '*.*:REPLICATION CLIENT' })).steps, []);
    assert.deepEqual(summaries(planUser({ ...s, server: { version: '8.0.36', mariadb: false } }, args({ priv: '*.*:REPLICATION CLIENT' }))), ['revoke BINLOG MONITOR on *.*', 'grant REPLICATION CLIENT on *.*']);
  });
});

describe('mysql_user: the SQL of each step', () => {
  it('creates, sets the password, grants and drops, quoting the account and the password', () => {
    const pw = new Secret(PASSWORD);
    assert.equal(userSql({ op: 'create', password: pw }, "o'k", '%'), `CREATE USER 'o\\'k'@'%' IDENTIFIED BY 'q\\'u"o;t$e\\\\x'`);
    assert.equal(userSql({ op: 'create' }, 'app', 'localhost'), "CREATE USER 'app'@'localhost'");
    assert.equal(userSql({ op: 'password', password: pw }, 'app', 'localhost'), `ALTER USER 'app'@'localhost' IDENTIFIED BY 'q\\'u"o;t$e\\\\x'`);
    assert.equal(userSql({ op: 'drop' }, 'app', 'localhost'), "DROP USER 'app'@'localhost'");
  });

  it('apply runs the planned steps, and only those, in one client call', async () => {
    const plan = planUser(user({ exists: false, grants: new Map() }), args());
    const one = new Recorder([{ stdout: 'kiln-done\t1\n' }]);
    await mysqlUser.apply(fakeCtx(one), args(), { ...plan, steps: plan.steps.slice(0, 1) });
    assert.deepEqual(one.sql, [`SET SESSION sql_mode = '';\nCREATE USER 'app'@'localhost' IDENTIFIED BY 'q\\'u"o;t$e\\\\x';\nSELECT 'kiln-done', 1;\n`]);
    const all = new Recorder([{ stdout: 'kiln-done\t1\nkiln-done\t2\n' }]);
    const applied = await mysqlUser.apply(fakeCtx(all), args(), plan);
    assert.equal(all.calls.length, 1);
    assert.match(all.sql[0] ?? '', /SELECT 'kiln-done', 1;\nGRANT INSERT, SELECT ON `app`.\* TO 'app'@'localhost';\nSELECT 'kiln-done', 2;\n$/);
    assert.ok(all.calls.every((c) => !JSON.stringify(c.argv).includes(PASSWORD) && c.opts.env === undefined), 'the password is in no argument and no environment');
    assert.ok(!JSON.stringify(applied).includes(PASSWORD));
  });
});
