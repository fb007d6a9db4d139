// mysql_db: the read's SQL and its parsing, every plan branch on canned state, and the SQL of each step.
import { strict as assert } from 'node:assert';
import { ModuleError } from '../../src/engine/errors.js';
import { PlannedState } from '../../src/engine/planned.js';
import { dbSql, type DbState, mysqlDb, type MysqlDbArgs, parseDbRead, planDb, readDbSql } from '../../src/modules/mysql_db.js';
import { fakeCtx, schemaChecks, summaries } from './helpers.js';
import { Recorder } from './mysql/recorder.js';

const SERVER = { version: '10.11.19-MariaDB-0+deb12u1', mariadb: true };

function state(over: Partial<DbState> = {}): DbState {
  return { names: ['app'], server: SERVER, dbs: new Map(), ...over };
}

const UTF8MB4 = { name: 'utf8mb4', defaultCollation: 'utf8mb4_general_ci' };
const UNICODE_CI = { name: 'utf8mb4_unicode_ci', charset: 'utf8mb4' };
const throws = (fn: () => unknown, re: RegExp): void => assert.throws(fn, (e: unknown) => e instanceof ModuleError && re.test(e.message), `expected ${re}`);

schemaChecks(mysqlDb);

describe('mysql_db: reading', () => {
  it('asks for the databases, the encoding and the collation in one batch (utf8 spelt both ways)', () => {
    const sql = readDbSql({ name: ['app', "o'k"], encoding: 'UTF8', collation: 'utf8_bin' });
    assert.equal(
      sql,
      [
        "SELECT 'server', VERSION();",
        "SELECT 'db', SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN ('app', 'o\\'k');",
        "SELECT 'charset', CHARACTER_SET_NAME, DEFAULT_COLLATE_NAME FROM information_schema.CHARACTER_SETS WHERE CHARACTER_SET_NAME IN ('utf8', 'utf8mb3');",
        "SELECT 'collation', COLLATION_NAME, CHARACTER_SET_NAME FROM information_schema.COLLATIONS WHERE COLLATION_NAME IN ('utf8_bin', 'utf8mb3_bin');",
        '',
      ].join('\n'),
    );
  });

  it('keeps only the databases asked for, by exact name (information_schema compares without case)', () => {
    const s = parseDbRead({ name: ['app', 'App2'], encoding: 'utf8' }, [
      ['server', SERVER.version],
      ['db', 'APP', 'latin1', 'latin1_swedish_ci'],
      ['db', 'App2', 'utf8mb4', 'utf8mb4_general_ci'],
      ['charset', 'utf8mb3', 'utf8mb3_general_ci'],
    ]);
    assert.deepEqual([...s.dbs.keys()], ['App2']);
    assert.deepEqual(s.charset, { name: 'utf8mb3', defaultCollation: 'utf8mb3_general_ci' });
    assert.equal(parseDbRead({ name: 'x', collation: 'nope' }, []).collation, null);
  });

  it('check mode: no server yet but one planned: every database would be created, pending', async () => {
    const planned = new PlannedState();
    planned.record({ kind: 'package', key: 'mariadb-server', state: 'present' }, 'install mariadb');
    const conn = new Recorder([{ rc: 1, stderr: "ERROR 2002 (HY000): Can't connect to local server through socket '/run/mysqld/mysqld.sock' (2)" }]);
    const args: MysqlDbArgs = { name: ['app', 'logs'], encoding: 'utf8mb4' };
    const plan = planDb(await mysqlDb.read(fakeCtx(conn, { planned }), args), args);
    assert.deepEqual(
      plan.steps.map((s) => [s.change.summary, s.change.pending]),
      [
        ['create database app (character set utf8mb4)', "mariadb-server is planned for install by task 'install mariadb'"],
        ['create database logs (character set utf8mb4)', "mariadb-server is planned for install by task 'install mariadb'"],
      ],
    );
    await assert.rejects(mysqlDb.read(fakeCtx(new Recorder([{ rc: 1, stderr: "ERROR 2002 (HY000): Can't connect to local server through socket '/run/mysqld/mysqld.sock' (2)" }])), args), /^ModuleError: reading databases app, logs: ERROR 2002 .*is the server installed and running\?/);
  });
});

describe('mysql_db: planning', () => {
  it('creates what is missing, with the asked defaults and a diff', () => {
    const plan = planDb(state({ charset: UTF8MB4, collation: UNICODE_CI }), { name: 'app', encoding: 'utf8mb4', collation: 'utf8mb4_unicode_ci' });
    assert.deepEqual(summaries(plan), ['create database app (character set utf8mb4, collation utf8mb4_unicode_ci)']);
    assert.deepEqual(plan.steps[0]?.do, { op: 'create', name: 'app', charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' });
    assert.deepEqual(plan.steps[0]?.change.diff, { path: 'mysql database app', before: null, after: 'character set: utf8mb4\ncollation: utf8mb4_unicode_ci\n' });
    assert.deepEqual(planDb(state(), { name: 'app' }).steps[0]?.do, { op: 'create', name: 'app' });
    assert.deepEqual(plan.data, { db: 'app', db_list: ['app'] });
    assert.deepEqual(plan.effects, [{ kind: 'mysql_db', key: 'app', state: 'present' }]);
  });

  it('an existing database as asked is ok, saying what it has; what is not asked is not compared', () => {
    const dbs = new Map([['app', { charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' }]]);
    const ok = planDb(state({ dbs, charset: UTF8MB4 }), { name: 'app', encoding: 'utf8mb4' });
    assert.deepEqual(ok.steps, []);
    assert.equal(ok.okReason, 'database app exists (character set utf8mb4, collation utf8mb4_unicode_ci)');
    assert.deepEqual(planDb(state({ dbs }), { name: 'app' }).steps, []);
  });

  it('a different collation or encoding is altered, and the change says from what to what', () => {
    const dbs = new Map([['app', { charset: 'utf8mb4', collation: 'utf8mb4_general_ci' }]]);
    const coll = planDb(state({ dbs, collation: UNICODE_CI }), { name: 'app', collation: 'utf8mb4_unicode_ci' });
    assert.deepEqual(summaries(coll), ['change database app: collation utf8mb4_general_ci -> utf8mb4_unicode_ci (its tables keep their own)']);
    assert.deepEqual(coll.steps[0]?.do, { op: 'alter', name: 'app', charset: 'utf8mb4', collation: 'utf8mb4_unicode_ci' });
    assert.equal(coll.steps[0]?.change.diff?.before, 'character set: utf8mb4\ncollation: utf8mb4_general_ci\n');
    const latin = new Map([['app', { charset: 'latin1', collation: 'latin1_swedish_ci' }]]);
    const enc = planDb(state({ dbs: latin, charset: UTF8MB4 }), { name: 'app', encoding: 'utf8mb4' });
    assert.deepEqual(summaries(enc), ['change database app: character set latin1 -> utf8mb4, collation latin1_swedish_ci -> utf8mb4_general_ci (its tables keep their own)']);
    assert.deepEqual(enc.steps[0]?.do, { op: 'alter', name: 'app', charset: 'utf8mb4' });
  });

  it('utf8 is utf8mb3, as the server reads it: no change on every run', () => {
    const dbs = new Map([['app', { charset: 'utf8mb3', collation: 'utf8mb3_general_ci' }]]);
    assert.deepEqual(planDb(state({ dbs, charset: { name: 'utf8mb3', defaultCollation: 'utf8mb3_general_ci' } }), { name: 'app', encoding: 'utf8' }).steps, []);
  });

  it('refuses what the server does not know, and a collation of another character set', () => {
    throws(() => planDb(state({ charset: null }), { name: 'app', encoding: 'utf9' }), /^encoding "utf9" is not a character set this server knows/);
    throws(() => planDb(state({ collation: null }), { name: 'app', collation: 'nope_ci' }), /^collation "nope_ci" is not a collation this server knows/);
    throws(() => planDb(state({ charset: { name: 'latin1', defaultCollation: 'latin1_swedish_ci' }, collation: UNICODE_CI }), { name: 'app', encoding: 'latin1', collation: 'utf8mb4_unicode_ci' }), /^collation utf8mb4_unicode_ci belongs to character set utf8mb4, not to latin1/);
  });

  it('state absent: dropped when there, ok when not; several names in one task', () => {
    const dbs = new Map([['app', { charset: 'utf8mb4', collation: 'utf8mb4_general_ci' }]]);
    const plan = planDb(state({ names: ['app', 'gone'], dbs }), { name: ['app', 'gone'], state: 'absent' });
    assert.deepEqual(summaries(plan), ['drop database app']);
    assert.deepEqual(plan.effects, [{ kind: 'mysql_db', key: 'app', state: 'absent' }]);
    assert.equal(plan.steps[0]?.change.diff?.after, null);
    const none = planDb(state({ names: ['gone'] }), { name: 'gone', state: 'absent' });
    assert.equal(none.okReason, 'database gone does not exist');
  });
});

describe('mysql_db: the SQL of each step', () => {
  it('quotes the name; names of character sets and collations are checked words', () => {
    assert.equal(dbSql({ op: 'create', name: 'we`ird', charset: 'utf8mb4', collation: 'utf8mb4_bin' }), 'CREATE DATABASE `we``ird` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin');
    assert.equal(dbSql({ op: 'alter', name: 'app', charset: 'latin1' }), 'ALTER DATABASE `app` CHARACTER SET latin1');
    assert.equal(dbSql({ op: 'drop', name: 'my\\_app' }), 'DROP DATABASE `my\\_app`');
    throws(() => dbSql({ op: 'create', name: 'x', charset: 'utf8; DROP' }), /is not a character set or collation name/);
  });

  it('apply: every step in one call', async () => {
    const plan = planDb(state({ names: ['a', 'b'] }), { name: ['a', 'b'] });
    const conn = new Recorder([{ stdout: 'kiln-done\t1\nkiln-done\t2\n' }]);
    await mysqlDb.apply(fakeCtx(conn), { name: ['a', 'b'] }, plan);
    assert.deepEqual(conn.sql, ["SET SESSION sql_mode = '';\nCREATE DATABASE `a`;\nSELECT 'kiln-done', 1;\nCREATE DATABASE `b`;\nSELECT 'kiln-done', 2;\n"]);
  });
});
