// Grants: priv as users write it, SHOW GRANTS as MariaDB 10.11 prints it (lines captured from
// Debian 12's mariadb-server), the GRANT/REVOKE that close the gap, and the schema's patterns.
import { strict as assert } from 'node:assert';
import { ModuleError } from '../../../src/engine/errors.js';
import { schemaJson } from '../../../src/engine/schema/registry.js';
import { validateAgainst } from '../../../src/engine/schema/validate.js';
import { diffGrants, type Grants, grantSql, grantsSpec, grantsText, grantSummary, parsePriv, parseShowGrants, withMariadbNames } from '../../../src/modules/mysql/grants.js';
import { privilegeNames, privListPattern, privStringPattern } from '../../../src/modules/mysql/privileges.js';

/** Grants as "object: PRIVS" lines, for compact assertions. */
const lines = (g: Grants): string[] => grantsText(g);
const ACCOUNT = "'app'@'localhost'";

const fails = (fn: () => unknown, re: RegExp): void => assert.throws(fn, (e: unknown) => e instanceof ModuleError && re.test(e.message), `expected ${re}`);

describe('mysql grants: priv as written', () => {
  it('reads the string form: objects joined by /, privileges by commas, any case, GRANT as the grant option', () => {
    const g = parsePriv('app.*:SELECT,insert/*.*:PROCESS/other.t:ALL,GRANT');
    assert.deepEqual(lines(g), ['*.*: PROCESS', 'app.*: INSERT, SELECT', 'other.t: ALL PRIVILEGES, GRANT']);
  });

  it('reads the mapping form, columns, spaces, routines and backtick-quoted names', () => {
    const g = parsePriv({ 'app.t': 'select (a, `b c`), UPDATE(a)', 'PROCEDURE app.DoIt': 'EXECUTE', '`my.db`.*': 'all privileges', '`a``b`.`t.1`': 'select' });
    assert.deepEqual(lines(g), ['PROCEDURE app.doit: EXECUTE', 'a`b.t.1: SELECT', 'app.t: SELECT (a, b c), UPDATE (a)', 'my.db.*: ALL PRIVILEGES']);
    assert.deepEqual([...(g.get('my.db.*')?.privs ?? [])], ['ALL PRIVILEGES']);
  });

  it('USAGE means nothing, and an entry may be repeated (they merge)', () => {
    assert.deepEqual(lines(parsePriv('*.*:USAGE')), []);
    assert.deepEqual(lines(parsePriv('app.*:SELECT/app.*:INSERT')), ['app.*: INSERT, SELECT']);
    assert.equal(grantsSpec(parsePriv('app.*:SELECT,INSERT/b.*:SELECT (x, y)')), 'app.*:INSERT,SELECT/b.*:SELECT (x,y)');
  });

  it('refuses a misspelt privilege, naming it and the closest one', () => {
    fails(() => parsePriv('app.*:SELEKT'), /^priv "app.\*:SELEKT": "SELEKT" is not a privilege; did you mean SELECT\?$/);
    fails(() => parsePriv({ 'app.*': 'SELECT,INSRT' }), /"INSRT" is not a privilege; did you mean INSERT\?/);
  });

  it('refuses an object that is not db.table, and entries without a colon', () => {
    fails(() => parsePriv('app:SELECT'), /"app" is not db.table/);
    fails(() => parsePriv('app.*'), /write OBJECT:PRIVILEGES/);
    fails(() => parsePriv('.*:SELECT'), /both parts must be there/);
    fails(() => parsePriv('*.t:SELECT'), /the table must be \* too/);
    fails(() => parsePriv('`my.db.*:SELECT'), /quote names that hold dots with backticks/);
    fails(() => parsePriv('app.*:GRANT (a)'), /GRANT takes no columns/);
  });

  it('MariaDB names: REPLICATION CLIENT is asked for as BINLOG MONITOR, which SHOW GRANTS prints', () => {
    assert.deepEqual(lines(withMariadbNames(parsePriv('*.*:REPLICATION CLIENT,REPLICA MONITOR,RELOAD'))), ['*.*: BINLOG MONITOR, RELOAD, SLAVE MONITOR']);
  });
});

// What SHOW GRANTS FOR 'app'@'localhost' printed on MariaDB 10.11.19 (batch escapes undone).
const SHOWN = [
  'GRANT `r1` TO `app`@`localhost`',
  "GRANT RELOAD, BINLOG MONITOR, SLAVE MONITOR ON *.* TO `app`@`localhost` IDENTIFIED BY PASSWORD '*94D78309316E007D5019663AD8602C4A35991A0C' WITH MAX_QUERIES_PER_HOUR 5",
  'GRANT SELECT, INSERT ON `app`.* TO `app`@`localhost` WITH GRANT OPTION',
  'GRANT ALL PRIVILEGES ON `my\\_db`.* TO `app`@`localhost`',
  'GRANT SELECT (`User`, `Host`), UPDATE (`User`) ON `mysql`.`user` TO `app`@`localhost` WITH GRANT OPTION',
  'GRANT EXECUTE ON PROCEDURE `mysql`.`addgeometrycolumn` TO `app`@`localhost`',
];

describe('mysql grants: SHOW GRANTS', () => {
  it('reads every privilege level, columns, routines and the grant option; skips roles, the hash and limits', () => {
    const g = parseShowGrants(SHOWN, 'app', 'localhost');
    assert.deepEqual(lines(g), [
      '*.*: BINLOG MONITOR, RELOAD, SLAVE MONITOR',
      'PROCEDURE mysql.addgeometrycolumn: EXECUTE',
      'app.*: INSERT, SELECT, GRANT',
      'my\\_db.*: ALL PRIVILEGES',
      'mysql.user: SELECT (Host, User), UPDATE (User), GRANT',
    ]);
    assert.ok(!JSON.stringify(lines(g)).includes('94D78309'), 'the password hash is not part of the grants');
  });

  it('a fresh account has USAGE only: no grants; PROXY and other accounts are left out', () => {
    assert.deepEqual(lines(parseShowGrants(["GRANT USAGE ON *.* TO `app`@`localhost` IDENTIFIED BY PASSWORD '*94D78309316E007D5019663AD8602C4A35991A0C'"], 'app', 'localhost')), []);
    const root = [
      "GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` IDENTIFIED VIA mysql_native_password USING 'invalid' OR unix_socket WITH GRANT OPTION",
      'GRANT PROXY ON ``@`%` TO `root`@`localhost` WITH GRANT OPTION',
    ];
    assert.deepEqual(lines(parseShowGrants(root, 'root', 'localhost')), ['*.*: ALL PRIVILEGES, GRANT']);
  });

  it('finds the account however its name and host are quoted', () => {
    const g = parseShowGrants(['GRANT USAGE ON *.* TO `o\'k`@`%`', 'GRANT SELECT ON `a``b`.* TO `o\'k`@`%`'], "o'k", '%');
    assert.deepEqual(lines(g), ['a`b.*: SELECT']);
  });

  it('host names compare without case, as servers may print them lowered', () => {
    assert.deepEqual(lines(parseShowGrants(['GRANT SELECT ON `app`.* TO `app`@`web.example`'], 'app', 'Web.Example')), ['app.*: SELECT']);
  });

  it('the grant option in a quoted auth string does not count', () => {
    const g = parseShowGrants(["GRANT SELECT ON `app`.* TO `app`@`%` IDENTIFIED VIA pam USING 'WITH GRANT OPTION'"], 'app', '%');
    assert.deepEqual(lines(g), ['app.*: SELECT']);
  });
});

describe('mysql grants: from what is to what is asked', () => {
  const sql = (current: string, wanted: string, append = false): string[] =>
    diffGrants(current ? parsePriv(current) : new Map(), parsePriv(wanted), append).map((op) => grantSql(op, ACCOUNT));

  it('nothing to do when they match, ALL included', () => {
    assert.deepEqual(sql('app.*:SELECT,INSERT', 'app.*:insert,select'), []);
    assert.deepEqual(sql('app.*:ALL PRIVILEGES', 'app.*:ALL'), []);
    assert.deepEqual(sql('', '*.*:USAGE'), []);
  });

  it('grants what is missing on a fresh account', () => {
    assert.deepEqual(sql('', 'app.*:SELECT,INSERT'), ["GRANT INSERT, SELECT ON `app`.* TO 'app'@'localhost'"]);
    assert.deepEqual(sql('', 'app.t:SELECT (a, b),GRANT'), ["GRANT SELECT (`a`, `b`) ON `app`.`t` TO 'app'@'localhost' WITH GRANT OPTION"]);
  });

  it('narrowing revokes what is no longer asked, on listed and unlisted objects', () => {
    assert.deepEqual(sql('app.*:SELECT,INSERT', 'app.*:SELECT'), ["REVOKE INSERT ON `app`.* FROM 'app'@'localhost'"]);
    assert.deepEqual(sql('app.*:SELECT/old.*:ALL/*.*:PROCESS', 'app.*:SELECT'), ["REVOKE ALL PRIVILEGES ON `old`.* FROM 'app'@'localhost'", "REVOKE PROCESS ON *.* FROM 'app'@'localhost'"]);
    assert.deepEqual(sql('app.*:ALL', 'app.*:SELECT'), ["REVOKE ALL PRIVILEGES ON `app`.* FROM 'app'@'localhost'", "GRANT SELECT ON `app`.* TO 'app'@'localhost'"]);
    assert.deepEqual(sql('app.*:SELECT,GRANT', 'app.*:SELECT'), ["REVOKE GRANT OPTION ON `app`.* FROM 'app'@'localhost'"]);
  });

  it('widening to ALL grants ALL without revoking first', () => {
    assert.deepEqual(sql('app.*:SELECT', 'app.*:ALL'), ["GRANT ALL PRIVILEGES ON `app`.* TO 'app'@'localhost'"]);
  });

  it('append_privs adds and never revokes', () => {
    assert.deepEqual(sql('app.*:SELECT/*.*:PROCESS', 'app.*:INSERT', true), ["GRANT INSERT ON `app`.* TO 'app'@'localhost'"]);
    assert.deepEqual(sql('app.*:SELECT,GRANT', 'app.*:SELECT', true), []);
    assert.deepEqual(sql('app.*:ALL', 'app.*:SELECT', true), []);
    assert.deepEqual(sql('app.*:SELECT', 'app.*:GRANT', true), ["GRANT USAGE ON `app`.* TO 'app'@'localhost' WITH GRANT OPTION"]);
  });

  it('revokes come before grants, and each says in one line what it does', () => {
    const ops = diffGrants(parsePriv('app.*:SELECT,INSERT,GRANT/x.*:SELECT'), parsePriv('app.*:SELECT,UPDATE/y.t:SELECT (c)'), false);
    assert.deepEqual(ops.map(grantSummary), ['revoke INSERT on app.*', 'revoke the grant option on app.*', 'revoke SELECT on x.*', 'grant UPDATE on app.*', 'grant SELECT (c) on y.t']);
  });

  it('names and columns are quoted in the SQL, routines keep their kind', () => {
    assert.deepEqual(sql('', '`we``ird`.`t`:SELECT (`c``1`)/PROCEDURE app.p:EXECUTE'), ["GRANT SELECT (`c``1`) ON `we``ird`.`t` TO 'app'@'localhost'", "GRANT EXECUTE ON PROCEDURE `app`.`p` TO 'app'@'localhost'"]);
  });
});

describe('mysql grants: the schema refuses bad privileges before anything runs', () => {
  const schema = schemaJson('modules/mysql_user.schema.json');
  const list = (schema['$defs'] as { privilege: { enum: string[] } }).privilege.enum;
  const priv = (schema['properties'] as Record<string, { anyOf: Record<string, unknown>[] }>)['priv']?.anyOf ?? [];

  it('holds exactly the patterns built from its own privilege list', () => {
    assert.equal(priv[0]?.['pattern'], privStringPattern(list), 'regenerate priv.anyOf[0].pattern with privStringPattern($defs.privilege.enum)');
    assert.equal((priv[1]?.['additionalProperties'] as Record<string, unknown>)['pattern'], privListPattern(list), 'regenerate priv.anyOf[1].additionalProperties.pattern with privListPattern($defs.privilege.enum)');
    assert.deepEqual([...privilegeNames()], list);
  });

  const problems = (args: Record<string, unknown>): string[] => validateAgainst('modules/mysql_user.schema.json', args, { keyPrefix: 'mysql_user' }).map((p) => p.format());

  it('accepts what the module reads', () => {
    for (const p of ['app.*:SELECT,INSERT', 'app.*:select, insert/*.*:PROCESS', 'app.t:SELECT (a, b),GRANT', 'PROCEDURE app.p:EXECUTE', '*.*:ALL PRIVILEGES,GRANT', 'app.*:REPLICATION CLIENT', '*.*:BACKUP_ADMIN']) {
      assert.deepEqual(problems({ name: 'app', priv: p }), [], p);
      parsePriv(p);
    }
    assert.deepEqual(problems({ name: 'app', priv: { 'app.*': 'SELECT,INSERT', '*.*': 'usage' } }), []);
  });

  it('refuses misspelt privileges, mixed case, empty lists, and a host with a space', () => {
    for (const p of ['app.*:SELEKT', 'app.*:SELECT,', 'app.*:', 'app:SELECT', 'app.*:Select', 'app.*:SELECT INSERT', 'app.*:SELECT/', 'app.*:SELECT//b.*:SELECT']) {
      assert.equal(problems({ name: 'app', priv: p }).length, 1, p);
    }
    assert.match(problems({ name: 'app', priv: { 'app.*': 'SELECT,INSRT' } }).join(), /mysql_user\.priv\.app\.\* has the wrong form \(got "SELECT,INSRT"\)/);
    assert.match(problems({ name: 'app', host: 'web server' }).join(), /mysql_user\.host has the wrong form \(got "web server"\)/);
  });

  it('never shows a secret argument it refuses', () => {
    const found = problems({ name: 'app', password: 12345678 }).join('\n');
    assert.match(found, /mysql_user\.password must be a string/);
    assert.ok(!found.includes('12345678'), found);
  });
});
