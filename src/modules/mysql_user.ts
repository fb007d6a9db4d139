// mysql_user: a MariaDB/MySQL account, its password and its privileges, through the client on the
// host (mysql/client.ts). The password is compared on the server with its hash, never read back;
// privileges are compared with SHOW GRANTS and closed with GRANT and REVOKE.
import type { Module, Plan, Step } from '../engine/module.js';
import type { FileDiff } from '../engine/result.js';
import { MASK, Secret } from '../engine/secret.js';
import { applySteps, errorText, failure, type LoginArgs, loginOf, readSql, type ServerInfo, serverInfo, tagged, USER_EFFECT } from './mysql/client.js';
import { diffGrants, type GrantOp, type Grants, grantsSpec, objectKey, grantsText, grantSql, grantSummary, parsePriv, parseShowGrants, withMariadbNames } from './mysql/grants.js';
import { sqlAccount, sqlQuote } from './mysql/quote.js';

/** mysql_user's arguments, as the schema allows them. */
export interface MysqlUserArgs extends LoginArgs {
  name: string;
  host?: string;
  password?: string | Secret;
  update_password?: 'always' | 'on_create';
  priv?: string | Readonly<Record<string, string>>;
  append_privs?: boolean;
  state?: 'present' | 'absent';
}

/** The account as read. */
export interface UserState {
  name: string;
  host: string;
  /** Check mode: no server answers yet, because an earlier task plans one (the reason). */
  pending?: string;
  server?: ServerInfo;
  exists: boolean;
  /** Its authentication plugin (mysql_native_password, unix_socket, …). */
  plugin?: string;
  /** Whether the stored hash is the server's hash of the given password; undefined without one. */
  passwordMatches?: boolean;
  grants: Grants;
}

/** One thing apply does to the account. */
export type UserDo = { op: 'create'; password?: Secret } | { op: 'password'; password: Secret } | { op: 'grant'; grant: GrantOp } | { op: 'drop' };

function passwordOf(args: MysqlUserArgs): Secret | undefined {
  const p = args.password;
  return p === undefined ? undefined : p instanceof Secret ? p : new Secret(p);
}

/** "app@localhost": the account as messages name it. */
function who(s: { name: string; host: string }): string {
  return `${s.name}@${s.host}`;
}

// The mysql_native_password hash of a string, computed by the server: exactly what MariaDB's
// PASSWORD() returns, written so that MySQL 8 (which has no PASSWORD()) computes it too.
const nativeHash = (literal: string): string => `CONCAT('*', UPPER(SHA1(UNHEX(SHA1(${literal})))))`;

/** The read: the server, the account and the password comparison, then SHOW GRANTS last (it fails when there is no account). */
export function readUserSql(name: string, host: string, password: Secret | undefined): string {
  const where = `User = ${sqlQuote(name, 'string')} AND Host = ${sqlQuote(host, 'string')}`;
  // An empty password is stored as '' (no hash), as PASSWORD('') returns.
  const stored = password === undefined ? '' : password.reveal() === '' ? "''" : nativeHash(sqlQuote(password.reveal(), 'string'));
  const same = password === undefined ? "''" : `IF(plugin IN ('mysql_native_password', '') AND authentication_string = ${stored}, 'same', 'differs')`;
  return [`SELECT 'server', VERSION();`, `SELECT 'user', plugin, ${same} FROM mysql.user WHERE ${where};`, `SELECT 'grants';`, `SHOW GRANTS FOR ${sqlAccount(name, host)};`, ''].join('\n');
}

/** Whether a failed read only failed where expected: SHOW GRANTS (last) of an account that does not exist (error 1141). */
export function readFailedAsExpected(rows: string[][], stderr: string): boolean {
  return tagged(rows, 'user').length === 0 && /^ERROR 1141 /.test(errorText(stderr));
}

/** The state from the read's rows. */
export function parseUserRead(name: string, host: string, rows: string[][]): UserState {
  const version = tagged(rows, 'server')[0]?.[0];
  const user = tagged(rows, 'user')[0];
  const s: UserState = { name, host, exists: user !== undefined, grants: new Map() };
  if (version !== undefined) s.server = serverInfo(version);
  if (user) {
    s.plugin = user[0] ?? '';
    if (user[1] === 'same') s.passwordMatches = true;
    else if (user[1] === 'differs') s.passwordMatches = false;
    const at = rows.findIndex((r) => r[0] === 'grants' && r.length === 1);
    s.grants = parseShowGrants(
      rows.slice(at + 1).map((r) => r.join('\t')),
      name,
      host,
    );
  }
  return s;
}

/** Grants after the operations: what --diff and register show as "after". */
function grantsAfter(before: Grants, ops: readonly GrantOp[]): Grants {
  const g: Grants = new Map([...before].map(([k, v]) => [k, { object: v.object, privs: new Set(v.privs), grantOption: v.grantOption }]));
  for (const op of ops) {
    const key = objectKey(op.object);
    const cur = g.get(key) ?? { object: op.object, privs: new Set<string>(), grantOption: false };
    if (op.op === 'revoke') {
      if (op.grantOption) cur.grantOption = false;
      for (const p of op.privs) cur.privs.delete(p);
    } else {
      if (op.privs.includes('ALL PRIVILEGES')) for (const p of [...cur.privs]) if (!p.includes(' (')) cur.privs.delete(p);
      for (const p of op.privs) cur.privs.add(p);
      if (op.grantOption) cur.grantOption = true;
    }
    if (cur.privs.size || cur.grantOption) g.set(key, cur);
    else g.delete(key);
  }
  return g;
}

/** The account as --diff shows it; the password is only ever a mask. */
function describe(s: { name: string; host: string }, password: string, grants: Grants): string {
  const lines = grantsText(grants);
  return `user: ${who(s)}\npassword: ${password}\nprivileges:\n${(lines.length ? lines : ['*.*: USAGE']).map((l) => `  ${l}`).join('\n')}\n`;
}

/** Pure: the steps that take the account where the arguments ask. */
export function planUser(s: UserState, args: MysqlUserArgs): Plan<UserState, UserDo> {
  const state = args.state ?? 'present';
  const password = passwordOf(args);
  const steps: Step<UserDo>[] = [];
  const step = (summary: string, d: UserDo): void => {
    steps.push({ change: s.pending === undefined ? { summary } : { summary, pending: s.pending }, do: d });
  };
  const noServer = s.pending === undefined ? '' : ` (no server answers yet: ${s.pending})`;
  const ok: string[] = [];
  let after: Grants | undefined = s.exists ? s.grants : undefined;
  let passwordAfter = s.exists ? MASK : '';

  if (state === 'absent') {
    if (s.exists) step(`drop user ${who(s)}`, { op: 'drop' });
    else ok.push(`user ${who(s)} does not exist${noServer}`);
    after = undefined;
  } else {
    let wanted = args.priv === undefined ? undefined : parsePriv(args.priv);
    if (wanted && (s.server?.mariadb ?? true)) wanted = withMariadbNames(wanted);
    if (!s.exists) {
      step(`create user ${who(s)} ${password ? 'with a password' : 'without a password'}`, password ? { op: 'create', password } : { op: 'create' });
      passwordAfter = password ? MASK : '(none)';
    } else if (password !== undefined) {
      if (args.update_password === 'on_create') ok.push(`the password of ${who(s)} is only set when the account is created (update_password: on_create)`);
      else if (s.passwordMatches === false) {
        const plugin = s.plugin && s.plugin !== 'mysql_native_password' ? ` (it authenticates with ${s.plugin} now)` : '';
        step(`change the password of ${who(s)}${plugin}`, { op: 'password', password });
        passwordAfter = `${MASK} (changed)`;
      } else ok.push(`the password of ${who(s)} matches`);
    }
    if (s.exists) ok.unshift(`user ${who(s)} exists`);
    if (wanted) {
      const ops = diffGrants(s.exists ? s.grants : new Map(), wanted, args.append_privs === true);
      for (const op of ops) step(grantSummary(op), { op: 'grant', grant: op });
      after = grantsAfter(s.exists ? s.grants : new Map(), ops);
      if (!ops.length) ok.push(args.append_privs ? `it already has ${grantsText(wanted).join('; ') || 'USAGE'}` : `its privileges are as asked (${grantsText(after).join('; ') || '*.*: USAGE'})`);
    } else after ??= new Map();
  }

  const data: Record<string, unknown> = { user: s.name, host: s.host, state: after ? 'present' : 'absent', password_changed: steps.some((x) => x.do.op === 'password') };
  if (after) data['priv'] = grantsSpec(after);
  const plan: Plan<UserState, UserDo> = { steps, current: s, data };
  if (!steps.length) plan.okReason = ok.join('; ');
  // Check mode: a later task that logs in as this account waits for it instead of failing.
  else plan.effects = [{ kind: USER_EFFECT, key: who(s), state: after ? 'present' : 'absent' }];
  const first = steps[0];
  if (first) {
    const diff: FileDiff = {
      path: `mysql user ${who(s)}`,
      before: s.exists ? describe(s, MASK, s.grants) : null,
      after: after ? describe(s, passwordAfter || MASK, after) : null,
    };
    steps[0] = { change: { ...first.change, diff }, do: first.do };
  }
  return plan;
}

/** The SQL of one step. Holds the password when the step sets one: it only ever goes to the client's stdin. */
export function userSql(d: UserDo, name: string, host: string): string {
  const account = sqlAccount(name, host);
  switch (d.op) {
    case 'create':
      return `CREATE USER ${account}${d.password ? ` IDENTIFIED BY ${sqlQuote(d.password.reveal(), 'string')}` : ''}`;
    case 'password':
      return `ALTER USER ${account} IDENTIFIED BY ${sqlQuote(d.password.reveal(), 'string')}`;
    case 'grant':
      return grantSql(d.grant, account);
    case 'drop':
      return `DROP USER ${account}`;
  }
}

/** The mysql_user module. */
export const mysqlUser: Module<MysqlUserArgs, UserState, UserDo> = {
  name: 'mysql_user',

  async read(ctx, args) {
    const host = args.host ?? 'localhost';
    const password = passwordOf(args);
    const secrets = password ? [password.reveal()] : [];
    const got = await readSql(ctx, loginOf(args), readUserSql(args.name, host, password), `reading user ${args.name}@${host}`, secrets);
    if (got.pending !== undefined) return { name: args.name, host, pending: got.pending, exists: false, grants: new Map() };
    const { rows, rc, stderr } = got.r;
    if (rc !== 0 && !readFailedAsExpected(rows, stderr)) throw failure(`reading user ${args.name}@${host}`, got.r, loginOf(args));
    return parseUserRead(args.name, host, rows);
  },

  plan: planUser,

  async apply(ctx, args, plan) {
    const password = passwordOf(args);
    const s = plan.current;
    const applied = await applySteps(ctx, loginOf(args), plan.steps, (d) => userSql(d, s.name, s.host), password ? [password.reveal()] : []);
    return { ...applied, data: plan.data };
  },
};

export default mysqlUser;
