// The client runner: the defaults file's text, batch output, errors and check mode's pending
// rule against canned answers; then the real runner script on this machine with a stand-in
// `mariadb` that reports what it was given (argv, the defaults file and its modes, stdin, ps).
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localConnection } from '../../../src/engine/connection/local.js';
import type { Connection } from '../../../src/engine/connection/types.js';
import { ModuleError } from '../../../src/engine/errors.js';
import { PlannedState } from '../../../src/engine/planned.js';
import { Secret } from '../../../src/engine/secret.js';
import { type Unreachable, applySteps, CLIENT_SCRIPT, defaultsText, errorText, failure, optionFiles, optionValue, parseRows, pendingReason, runSql, unescapeField } from '../../../src/modules/mysql/client.js';
import { fakeCtx, removeDir, tempDir } from '../helpers.js';
import { Recorder } from './recorder.js';

const PASSWORD = `q'u"o;t$e\\x`;

/** The option-file reader's unquoting and escapes (mysys my_default.c), to check optionValue against. */
function readBack(v: string): string {
  const body = v.startsWith('"') && v.endsWith('"') && v.length > 1 ? v.slice(1, -1) : v;
  return body.replace(/\\(.)/g, (_m, c: string) => ({ n: '\n', t: '\t', r: '\r', b: '\b', s: ' ', '"': '"', "'": "'", '\\': '\\' })[c] ?? `\\${c}`);
}

describe('mysql client: the defaults file', () => {
  it('quotes values so that the option-file reader gets them back exactly', () => {
    for (const v of [PASSWORD, 'plain', ' spaces around ', '#not a comment', "it's", '\\', 'tab\there', 'line\nbreak', 'ends with \\', '"quoted"', 'ünïcödé']) {
      const written = optionValue('login_password', v);
      assert.ok(!written.includes('\n'), 'one line');
      assert.equal(readBack(written), v, written);
    }
    assert.throws(() => optionValue('login_password', 'a\0b'), (e: unknown) => e instanceof ModuleError && /login_password cannot hold a NUL/.test(e.message));
    assert.throws(() => optionValue('login_password', 'x'.repeat(5000)), /too long/);
  });

  it('logs in as root by default; config_file alone decides the user; only what is given is written', () => {
    assert.equal(defaultsText({}), '[client]\nuser="root"\n');
    assert.equal(defaultsText({ config_file: '/root/.my.cnf' }), '[client]\n');
    assert.equal(
      defaultsText({ login_user: 'admin', login_password: new Secret(PASSWORD), login_host: '127.0.0.1', login_port: 3307, login_unix_socket: '/run/x.sock' }),
      `[client]\nuser="admin"\npassword=${optionValue('p', PASSWORD)}\nhost="127.0.0.1"\nport=3307\nsocket="/run/x.sock"\n`,
    );
    assert.deepEqual(optionFiles({}), ['/etc/my.cnf', '/etc/mysql/my.cnf', '~/.my.cnf']);
    assert.deepEqual(optionFiles({ config_file: '~/.kiln.cnf' }), ['~/.kiln.cnf']);
  });
});

describe('mysql client: output and errors', () => {
  it('undoes the batch escapes field by field', () => {
    assert.equal(unescapeField('a\\tb\\nc\\\\d\\0e'), 'a\tb\nc\\d\0e');
    assert.equal(unescapeField('my\\\\_db'), 'my\\_db');
    assert.deepEqual(parseRows('user\tmysql_native_password\tsame\ngrants\n'), [['user', 'mysql_native_password', 'same'], ['grants']]);
    assert.deepEqual(parseRows(''), []);
  });

  it('keeps the error lines, not the warnings', () => {
    assert.equal(errorText("mysql: [Warning] Using a password on the command line interface can be insecure.\nERROR 1045 (28000): Access denied for user 'x'@'localhost'\n"), "ERROR 1045 (28000): Access denied for user 'x'@'localhost'");
  });

  it('says what to do when no client, no server, or no access', () => {
    const msg = (stderr: string, rc: number, unreachable?: Unreachable, login = {}): string => failure('reading user app@localhost', { rc, rows: [], stderr, unreachable }, login).message;
    assert.match(msg('kiln: no mariadb or mysql client on this host', 127, 'no-client'), /^reading user app@localhost: kiln: no mariadb or mysql client on this host; install the client with the server \(package mariadb-server/);
    assert.match(msg("ERROR 2002 (HY000): Can't connect to local server through socket '/run/mysqld/mysqld.sock' (2)", 1, 'no-server'), /is the server installed and running\? \(package mariadb-server, service mariadb\)$/);
    assert.match(msg("ERROR 1698 (28000): Access denied for user 'root'@'localhost'", 1, 'no-login'), /needs the task to run as root on the host \(become: true\), or give login_user and login_password$/);
    assert.match(msg("ERROR 1045 (28000): Access denied for user 'admin'@'localhost' (using password: YES)", 1, 'no-login', { login_user: 'admin' }), /check login_user and login_password$/);
  });
});

describe('mysql client: check mode', () => {
  it('a server that does not answer is pending when an earlier task plans its package or its start', () => {
    const planned = new PlannedState();
    assert.equal(pendingReason(planned, 'no-client'), undefined);
    planned.record({ kind: 'package', key: 'nginx', state: 'present' }, 'web');
    assert.equal(pendingReason(planned, 'no-server'), undefined);
    planned.record({ kind: 'package', key: 'mariadb-server', state: 'present' }, 'install the database');
    assert.equal(pendingReason(planned, 'no-client'), "mariadb-server is planned for install by task 'install the database'");
    const started = new PlannedState();
    started.record({ kind: 'service', key: 'mariadb', state: 'started' }, 'start it');
    assert.equal(pendingReason(started, 'no-server'), "service mariadb is planned to start by task 'start it'");
    assert.equal(pendingReason(started, 'no-client'), undefined, 'starting a service brings no client');
    const login = new PlannedState();
    assert.equal(pendingReason(login, 'no-login', { login_user: 'kiln_admin' }), undefined);
    login.record({ kind: 'mysql_user', key: 'kiln_admin@localhost', state: 'present' }, 'admin user');
    assert.equal(pendingReason(login, 'no-login', { login_user: 'kiln_admin' }), "the login user kiln_admin@localhost is planned by task 'admin user'");
    assert.equal(pendingReason(login, 'no-login'), undefined, 'root is not the planned account');
    const client = new PlannedState();
    client.record({ kind: 'package', key: 'default-mysql-client', state: 'present' }, 'client');
    assert.match(pendingReason(client, 'no-client') ?? '', /^default-mysql-client is planned/);
  });
});

describe('mysql client: one round trip, credentials on stdin only', () => {
  it('sends the defaults file then the SQL on stdin, the option files as arguments, and masks secrets in what comes back', async () => {
    const conn = new Recorder([{ rc: 1, stdout: `x\t${PASSWORD}\n`, stderr: `ERROR 1064 (42000) at line 2: near '${PASSWORD}' and '*94D78309316E007D5019663AD8602C4A35991A0C'` }]);
    const login = { login_user: 'admin', login_password: new Secret(PASSWORD) };
    const r = await runSql(fakeCtx(conn, { becomeUser: 'root' }), login, "SELECT 'x';\n", ['other secret']);
    const call = conn.calls[0];
    assert.ok(call);
    assert.equal(call.script, CLIENT_SCRIPT);
    assert.deepEqual(call.argv, ['/etc/my.cnf', '/etc/mysql/my.cnf', '~/.my.cnf']);
    assert.equal(call.opts.becomeUser, 'root');
    assert.equal(call.opts.env, undefined, 'nothing in the environment');
    assert.equal(call.opts.stdin, `${defaultsText(login)}--kiln-end-of-defaults--\nSET SESSION sql_mode = '';\nSELECT 'x';\n`);
    assert.ok(!JSON.stringify(call.argv).includes(PASSWORD));
    assert.deepEqual(r.rows, [['x', '********']]);
    assert.equal(r.stderr, "ERROR 1064 (42000) at line 2: near '********' and '*<hash>'");
  });

  it('apply runs every step in one call and names the step that failed', async () => {
    const steps = [
      { change: { summary: 'create user app@localhost with a password' }, do: 'CREATE USER a' },
      { change: { summary: 'grant SELECT on app.*' }, do: 'GRANT b' },
    ];
    const conn = new Recorder([{ rc: 1, stdout: 'kiln-done\t1\n', stderr: 'ERROR 1044 (42000) at line 4: Access denied' }]);
    await assert.rejects(applySteps(fakeCtx(conn), {}, steps, (d) => d, []), (e: unknown) => e instanceof ModuleError && e.message === 'grant SELECT on app.* failed (the 1 step before it stays done): ERROR 1044 (42000) at line 4: Access denied');
    assert.match(String(conn.calls[0]?.opts.stdin), /CREATE USER a;\nSELECT 'kiln-done', 1;\nGRANT b;\nSELECT 'kiln-done', 2;\n$/);
    const ok = new Recorder([{ stdout: 'kiln-done\t1\nkiln-done\t2\n' }]);
    assert.deepEqual(await applySteps(fakeCtx(ok), {}, steps, (d) => d, []), { rc: 0 });
  });
});

describe('mysql client: the runner script, for real, with a stand-in client', function () {
  let dir: string | undefined;
  afterEach(() => removeDir(dir));

  it('writes the login to a 0600 file in a private folder, removed afterwards; argv and ps never show the password', async () => {
    dir = tempDir('mysql-client');
    const report = join(dir, 'report');
    // The stand-in reports what a real client would see, then answers one row.
    writeFileSync(
      join(dir, 'mariadb'),
      `#!/bin/sh
f=\${1#--defaults-file=}
{ echo "argv: $*"; stat -c 'file %a %U' "$f"; stat -c 'dir %a' "\${f%/*}"; echo "path: $f"; echo '--- cnf'; cat "$f"; echo '--- sql'; cat; echo '--- ps'; ps -eo args; } > '${report}'
printf 'row\\ta\\\\tb\\n'
`,
    );
    chmodSync(join(dir, 'mariadb'), 0o755);
    const local = localConnection();
    const path = dir;
    const conn: Connection = {
      host: 'local',
      run: (argv, opts) => local.run(argv, opts),
      script: (script, args, opts) => local.script(`PATH=${path}:$PATH\n${script}`, args, opts),
      put: (c, p, o) => local.put(c, p, o),
      get: (p, o) => local.get(p, o),
      close: () => local.close(),
    };
    try {
      const r = await runSql(fakeCtx(conn), { login_password: new Secret(PASSWORD), config_file: '~/.kiln-test.cnf' }, "SELECT 'row', 'a\\tb';\n", [PASSWORD]);
      assert.equal(r.rc, 0, r.stderr);
      assert.deepEqual(r.rows, [['row', 'a\tb']]);
    } finally {
      await conn.close();
    }
    const seen = readFileSync(report, 'utf8');
    const [argv, file, folder, pathLine] = seen.split('\n');
    assert.match(argv ?? '', /^argv: --defaults-file=\S+\/my\.cnf --loose-skip-print-query-on-error --batch --skip-column-names --default-character-set=utf8mb4 --connect-timeout=10$/);
    assert.equal(file, `file 600 ${process.env['USER'] ?? 'root'}`);
    assert.equal(folder, 'dir 700');
    assert.ok(!existsSync((pathLine ?? '').slice('path: '.length)), 'the defaults file is gone');
    const home = process.env['HOME'] ?? '';
    assert.ok(seen.includes(`--- cnf\n!include ${home}/.kiln-test.cnf\n[client]\npassword=${optionValue('p', PASSWORD)}\n--- sql\nSET SESSION sql_mode = '';\nSELECT 'row', 'a\\tb';\n--- ps\n`), seen);
    const ps = seen.slice(seen.indexOf('--- ps'));
    assert.ok(ps.includes('mariadb --defaults-file'), 'ps saw the client');
    assert.ok(!ps.includes(PASSWORD) && !ps.includes('o;t$e'), 'ps shows no password');
  });

  it('says when there is no client at all', async () => {
    dir = tempDir('mysql-noclient');
    // A PATH with what the script needs besides its shell's builtins, and no client.
    for (const tool of ['mktemp', 'rm']) symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(dir, tool));
    const local = localConnection();
    const path = dir;
    const conn: Connection = {
      host: 'local',
      run: (argv, opts) => local.run(argv, opts),
      script: (script, args, opts) => local.script(`PATH=${path}\n${script}`, args, opts),
      put: (c, p, o) => local.put(c, p, o),
      get: (p, o) => local.get(p, o),
      close: () => local.close(),
    };
    try {
      const r = await runSql(fakeCtx(conn), {}, 'SELECT 1;\n');
      assert.equal(r.unreachable, 'no-client', r.stderr);
      assert.equal(errorText(r.stderr), 'kiln: no mariadb or mysql client on this host');
    } finally {
      await conn.close();
    }
  });
});
