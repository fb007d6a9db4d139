// Talking to MariaDB/MySQL on the target: the `mariadb` (or `mysql`) client run through the
// connection, SQL over stdin, the login in a defaults file that lives only while the client runs.
// The controller needs no driver and the server need not listen on TCP.
import { ModuleError } from '../../engine/errors.js';
import type { Applied, ModuleContext, Step } from '../../engine/module.js';
import type { PlannedState } from '../../engine/planned.js';
import { reveal, scrub, type Secret } from '../../engine/secret.js';
import { plannedInstalls } from '../package/planned.js';

/** How to log in: the arguments mysql_user and mysql_db share (schemas say what each means). */
export interface LoginArgs {
  login_user?: string;
  login_password?: string | Secret;
  login_host?: string;
  login_port?: number;
  login_unix_socket?: string;
  config_file?: string;
}

/** The login arguments' names, in schema order. */
export const LOGIN_KEYS = ['login_user', 'login_password', 'login_host', 'login_port', 'login_unix_socket', 'config_file'] as const;

// The line that ends the defaults file on stdin; the SQL follows it. No option line can equal it.
const END_OF_DEFAULTS = '--kiln-end-of-defaults--';

/**
 * Runs the client with SQL on stdin. $@: option files to include first (~/ is the login user's
 * home); stdin: the [client] lines of the defaults file, END_OF_DEFAULTS, then the SQL. The
 * defaults file is 0600 in a private mktemp -d folder, removed when the script ends, whatever
 * happens: credentials are never in argv or the environment. `--defaults-file` makes the client
 * read that file only (it includes the usual ones itself), so our login settings come last and win.
 */
export const CLIENT_SCRIPT = `umask 077
d=$(mktemp -d) || exit 1
trap 'rm -rf -- "$d"' EXIT
for f in "$@"; do
  case $f in "~/"*) f=$HOME/\${f#"~/"} ;; esac
  printf '!include %s\\n' "$f"
done > "$d/my.cnf" || exit 1
while IFS= read -r l; do
  [ "$l" = '${END_OF_DEFAULTS}' ] && break
  printf '%s\\n' "$l"
done >> "$d/my.cnf" || exit 1
if command -v mariadb >/dev/null 2>&1; then m=mariadb
elif command -v mysql >/dev/null 2>&1; then m=mysql
else echo 'kiln: no mariadb or mysql client on this host' >&2; exit 127; fi
"$m" --defaults-file="$d/my.cnf" --loose-skip-print-query-on-error --batch --skip-column-names --default-character-set=utf8mb4 --connect-timeout=10`;

/** Option files read before kiln's login settings when config_file is not given (as the client itself would). */
const DEFAULT_OPTION_FILES = ['/etc/my.cnf', '/etc/mysql/my.cnf', '~/.my.cnf'];

/**
 * A value as an option file reads it back exactly: in double quotes, with \\ \" \n \r \t escaped
 * (mysys my_default.c). NUL cannot be written, and a line holds at most 4096 bytes.
 */
export function optionValue(key: string, value: string): string {
  if (value.includes('\0')) throw new ModuleError(`${key} cannot hold a NUL character`);
  const escaped = value.replace(/[\\"\n\r\t]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] as string);
  if (Buffer.byteLength(escaped) > 4000) throw new ModuleError(`${key} is too long for an option file (at most about 4000 bytes)`);
  return `"${escaped}"`;
}

/** The [client] section kiln writes: only what was given; root when neither login_user nor config_file says otherwise. */
export function defaultsText(login: LoginArgs): string {
  const lines = ['[client]'];
  const user = login.login_user ?? (login.config_file === undefined ? 'root' : undefined);
  if (user !== undefined) lines.push(`user=${optionValue('login_user', user)}`);
  const password = reveal(login.login_password);
  if (password !== undefined) lines.push(`password=${optionValue('login_password', password)}`);
  if (login.login_host !== undefined) lines.push(`host=${optionValue('login_host', login.login_host)}`);
  if (login.login_port !== undefined) lines.push(`port=${login.login_port}`);
  if (login.login_unix_socket !== undefined) lines.push(`socket=${optionValue('login_unix_socket', login.login_unix_socket)}`);
  return `${lines.join('\n')}\n`;
}

/** The option files the defaults file includes: the usual ones, or config_file alone. */
export function optionFiles(login: LoginArgs): string[] {
  return login.config_file === undefined ? DEFAULT_OPTION_FILES : [login.config_file];
}

/** Why the client could not talk to a server at all (as opposed to an SQL error): no client, no server, or the login refused. */
export type Unreachable = 'no-client' | 'no-server' | 'no-login';

export interface SqlResult {
  rc: number;
  /** Result rows, each a list of fields (the client's batch escapes undone). */
  rows: string[][];
  /** The client's error text, secrets masked. */
  stderr: string;
  /** Set when no client or no server answered. */
  unreachable?: Unreachable;
}

/** Undo the client's batch-mode escapes in one field: \\ \t \n \0. */
export function unescapeField(f: string): string {
  return f.replace(/\\(.)/g, (_m, c: string) => ({ t: '\t', n: '\n', '0': '\0', '\\': '\\' })[c] ?? `\\${c}`);
}

/** Rows of the client's --batch --skip-column-names output. */
export function parseRows(stdout: string): string[][] {
  const lines = stdout.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => l.split('\t').map(unescapeField));
}

// The client's own connection failures (CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR, CR_UNKNOWN_HOST).
const NO_SERVER = /^ERROR (2002|2003|2005) /m;
// Access denied: a wrong password (1045), or a socket login whose system user does not match (1698).
const NO_LOGIN = /^ERROR (1045|1698) /m;

/** The error lines of the client's output, without the lines that only warn. */
export function errorText(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '' && !/^(mysql|mariadb): \[Warning\]/.test(l) && !/^Warning: /.test(l));
  return lines.join('\n').trim();
}

// Every session starts from a known sql_mode: no NO_BACKSLASH_ESCAPES or ANSI_QUOTES, so that
// sqlQuote's literals mean what they say.
const PRELUDE = "SET SESSION sql_mode = '';\n";

/**
 * Run SQL (one round trip). `secrets` are masked in everything the client says. Never throws
 * for an SQL error: the caller decides; rc and stderr tell.
 */
export async function runSql(ctx: ModuleContext, login: LoginArgs, sql: string, secrets: readonly string[] = []): Promise<SqlResult> {
  const all = [...secrets, ...(login.login_password !== undefined ? [reveal(login.login_password) as string] : [])];
  const stdin = `${defaultsText(login)}${END_OF_DEFAULTS}\n${PRELUDE}${sql}`;
  const r = await ctx.conn.script(CLIENT_SCRIPT, optionFiles(login), { stdin, becomeUser: ctx.becomeUser, timeoutSec: 300 });
  const stderr = maskAll(r.stderr, all);
  const out: SqlResult = { rc: r.rc, rows: parseRows(maskAll(r.stdout, all)), stderr };
  if (r.rc === 127 && /no mariadb or mysql client/.test(stderr)) out.unreachable = 'no-client';
  else if (r.rc !== 0 && NO_SERVER.test(stderr)) out.unreachable = 'no-server';
  else if (r.rc !== 0 && NO_LOGIN.test(stderr)) out.unreachable = 'no-login';
  return out;
}

/** Mask the secrets, and any password hash the server might print (IDENTIFIED BY PASSWORD '*…'). */
function maskAll(text: string, secrets: readonly string[]): string {
  // scrub() leaves secrets under 3 characters alone (they would mask ordinary words); a login
  // password that short is masked only where it stands quoted.
  let out = scrub(text, secrets);
  for (const s of secrets) if (s.length > 0 && s.length < 3) out = out.split(`'${s}'`).join("'********'");
  return out.replace(/\*[0-9A-F]{40}\b/g, '*<hash>');
}

/** The message for a failed client run: what it tried, what the server said, and what to do. */
export function failure(what: string, r: SqlResult, login: LoginArgs): ModuleError {
  const said = errorText(r.stderr) || `the client exited with ${r.rc} and said nothing`;
  let fix = '';
  if (r.unreachable === 'no-client') fix = '; install the client with the server (package mariadb-server, or mariadb-client for a remote server)';
  else if (r.unreachable === 'no-server') fix = `; is the server installed and running${login.login_host ? ` on ${login.login_host}` : ''}? (package mariadb-server, service mariadb)`;
  else if (r.unreachable === 'no-login') {
    fix = login.login_user
      ? '; check login_user and login_password'
      : '; kiln logs in as root over the Unix socket by default, which needs the task to run as root on the host (become: true), or give login_user and login_password';
  }
  return new ModuleError(`${what}: ${said}${fix}`, { rc: r.rc, stderr: r.stderr });
}

// Packages that bring a server or a client: any of them planned for install makes a missing one expected.
const SERVER_PACKAGES = /^(mariadb|mysql|default-mysql|percona-server)-(server|client)(-core)?(-[0-9.]+)?$/;
const SERVER_SERVICES = ['mariadb', 'mysql', 'mysqld'];

/** What mysql_user plans, for later tasks in check mode: key name@host. */
export const USER_EFFECT = 'mysql_user';

/**
 * Check mode: why a server that does not answer yet is expected to, because an earlier task
 * plans to install or start it, or to create (or change) the account this task logs in with;
 * undefined when nothing planned explains it.
 */
export function pendingReason(planned: PlannedState, why: Unreachable, login: LoginArgs = {}): string | undefined {
  if (why === 'no-login') {
    const user = login.login_user ?? (login.config_file === undefined ? 'root' : undefined);
    const account = user === undefined ? undefined : planned.list(USER_EFFECT).find((u) => u.key.startsWith(`${user}@`) && u.state === 'present');
    return account ? `the login user ${account.key} is planned by task '${account.task}'` : undefined;
  }
  const pkg = plannedInstalls(planned).find((p) => SERVER_PACKAGES.test(p.name));
  if (pkg) return `${pkg.name} is planned for install by task '${pkg.task}'`;
  if (why === 'no-server') {
    for (const name of SERVER_SERVICES) {
      const svc = planned.get('service', name);
      if (svc?.state === 'started') return `service ${name} is planned to start by task '${svc.task}'`;
    }
  }
  return undefined;
}

/** What is known of the server: its version string and whether it is MariaDB. */
export interface ServerInfo {
  version: string;
  mariadb: boolean;
}

export function serverInfo(version: string): ServerInfo {
  return { version, mariadb: /mariadb/i.test(version) };
}

/**
 * Run a read. When no server answers and an earlier task plans one (check mode), the answer is
 * `pending` instead of rows; with nothing planned, a failure that says what to do.
 */
export async function readSql(ctx: ModuleContext, login: LoginArgs, sql: string, what: string, secrets: readonly string[] = []): Promise<{ r: SqlResult; pending?: undefined } | { r?: undefined; pending: string }> {
  const r = await runSql(ctx, login, sql, secrets);
  if (r.unreachable) {
    const pending = pendingReason(ctx.planned, r.unreachable, login);
    if (pending) return { pending };
    throw failure(what, r, login);
  }
  return { r };
}

/** The rows whose first field is `tag`, without it. */
export function tagged(rows: readonly string[][], tag: string): string[][] {
  return rows.filter((r) => r[0] === tag).map((r) => r.slice(1));
}

/** The login arguments of a module's arguments. */
export function loginOf(args: LoginArgs): LoginArgs {
  const out: LoginArgs = {};
  for (const k of LOGIN_KEYS) if (args[k] !== undefined) (out as Record<string, unknown>)[k] = args[k];
  return out;
}

/**
 * Run steps' SQL in one client call, a marker after each, so that a failure names the step that
 * failed; the steps before it stay applied (each statement commits by itself).
 */
export async function applySteps<D>(ctx: ModuleContext, login: LoginArgs, steps: readonly Step<D>[], sqlOf: (d: D) => string, secrets: readonly string[]): Promise<Applied> {
  const sql = steps.map((st, i) => `${sqlOf(st.do)};\nSELECT 'kiln-done', ${i + 1};\n`).join('');
  const r = await runSql(ctx, login, sql, secrets);
  const done = tagged(r.rows, 'kiln-done').length;
  if (r.rc !== 0 || done !== steps.length) {
    const failed = steps[done]?.change.summary ?? 'the last step';
    const before = done ? ` (the ${done} step${done === 1 ? '' : 's'} before it stay${done === 1 ? 's' : ''} done)` : '';
    throw new ModuleError(`${failed} failed${before}: ${errorText(r.stderr) || `the client exited with ${r.rc}`}`, { rc: r.rc, stderr: r.stderr });
  }
  return { rc: 0 };
}
