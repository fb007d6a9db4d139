// mysql_db: MariaDB/MySQL databases, their default character set and collation, through the
// client on the host (mysql/client.ts). Read from information_schema in one round trip.
import { ModuleError } from '../engine/errors.js';
import type { Module, Plan, Step } from '../engine/module.js';
import { applySteps, failure, type LoginArgs, loginOf, readSql, type ServerInfo, serverInfo, tagged } from './mysql/client.js';
import { sqlQuote } from './mysql/quote.js';

/** mysql_db's arguments, as the schema allows them. */
export interface MysqlDbArgs extends LoginArgs {
  name: string | string[];
  state?: 'present' | 'absent';
  encoding?: string;
  collation?: string;
}

/** A database's defaults. */
export interface DbDefaults {
  charset: string;
  collation: string;
}

export interface DbState {
  names: string[];
  /** Check mode: no server answers yet, because an earlier task plans one (the reason). */
  pending?: string;
  server?: ServerInfo;
  /** The databases asked for that exist. */
  dbs: Map<string, DbDefaults>;
  /** The asked encoding as the server knows it; null when the server does not know it. */
  charset?: { name: string; defaultCollation: string } | null;
  /** The asked collation as the server knows it; null when the server does not know it. */
  collation?: { name: string; charset: string } | null;
}

export type DbDo = { op: 'create'; name: string; charset?: string; collation?: string } | { op: 'alter'; name: string; charset: string; collation?: string } | { op: 'drop'; name: string };

function namesOf(args: MysqlDbArgs): string[] {
  return [...new Set(typeof args.name === 'string' ? [args.name] : args.name)];
}

/** MariaDB 10.6+ and MySQL 8.0.30+ call utf8 utf8mb3: ask for both spellings. */
function spellings(name: string, kind: 'charset' | 'collation'): string[] {
  const n = name.toLowerCase();
  if (kind === 'charset') return n === 'utf8' ? ['utf8', 'utf8mb3'] : [n];
  return n.startsWith('utf8_') ? [n, `utf8mb3_${n.slice('utf8_'.length)}`] : [n];
}

const inList = (xs: readonly string[]): string => xs.map((x) => sqlQuote(x, 'string')).join(', ');

/** The read: the server, the databases, and what the server knows of the asked encoding and collation. */
export function readDbSql(args: MysqlDbArgs): string {
  const lines = [`SELECT 'server', VERSION();`, `SELECT 'db', SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (${inList(namesOf(args))});`];
  if (args.encoding !== undefined) lines.push(`SELECT 'charset', CHARACTER_SET_NAME, DEFAULT_COLLATE_NAME FROM information_schema.CHARACTER_SETS WHERE CHARACTER_SET_NAME IN (${inList(spellings(args.encoding, 'charset'))});`);
  if (args.collation !== undefined) lines.push(`SELECT 'collation', COLLATION_NAME, CHARACTER_SET_NAME FROM information_schema.COLLATIONS WHERE COLLATION_NAME IN (${inList(spellings(args.collation, 'collation'))});`);
  return `${lines.join('\n')}\n`;
}

/** The state from the read's rows. */
export function parseDbRead(args: MysqlDbArgs, rows: string[][]): DbState {
  const names = namesOf(args);
  const s: DbState = { names, dbs: new Map() };
  const version = tagged(rows, 'server')[0]?.[0];
  if (version !== undefined) s.server = serverInfo(version);
  // information_schema compares names without case; databases are case-sensitive on Linux.
  for (const [name, charset, collation] of tagged(rows, 'db')) if (name !== undefined && names.includes(name)) s.dbs.set(name, { charset: charset ?? '', collation: collation ?? '' });
  if (args.encoding !== undefined) {
    const got = tagged(rows, 'charset');
    const row = got.find((r) => r[0] === args.encoding?.toLowerCase()) ?? got[0];
    s.charset = row ? { name: row[0] ?? '', defaultCollation: row[1] ?? '' } : null;
  }
  if (args.collation !== undefined) {
    const got = tagged(rows, 'collation');
    const row = got.find((r) => r[0] === args.collation?.toLowerCase()) ?? got[0];
    s.collation = row ? { name: row[0] ?? '', charset: row[1] ?? '' } : null;
  }
  return s;
}

/** What the arguments ask of every database: its character set and collation (either may be left to the server). */
function wantedDefaults(s: DbState, args: MysqlDbArgs): { charset?: string; collation?: string } {
  if (s.pending !== undefined) {
    // No server to ask yet: the names as given.
    return { charset: args.encoding?.toLowerCase(), collation: args.collation?.toLowerCase() };
  }
  if (s.charset === null) throw new ModuleError(`encoding ${JSON.stringify(args.encoding)} is not a character set this server knows; SHOW CHARACTER SET lists them (utf8mb4 is the usual one)`);
  if (s.collation === null) throw new ModuleError(`collation ${JSON.stringify(args.collation)} is not a collation this server knows; SHOW COLLATION lists them (like utf8mb4_unicode_ci)`);
  if (s.charset && s.collation && s.collation.charset !== s.charset.name) {
    throw new ModuleError(`collation ${s.collation.name} belongs to character set ${s.collation.charset}, not to ${s.charset.name}: give a ${s.charset.name}_… collation, or leave encoding out`);
  }
  return { charset: s.collation?.charset ?? s.charset?.name, collation: s.collation?.name ?? s.charset?.defaultCollation };
}

function describe(d: { charset?: string; collation?: string }): string {
  return `character set: ${d.charset ?? '(server default)'}\ncollation: ${d.collation ?? '(server default)'}\n`;
}

/** Pure: the steps that take the databases where the arguments ask. */
export function planDb(s: DbState, args: MysqlDbArgs): Plan<DbState, DbDo> {
  const state = args.state ?? 'present';
  const steps: Step<DbDo>[] = [];
  const ok: string[] = [];
  const noServer = s.pending === undefined ? '' : ` (no server answers yet: ${s.pending})`;
  const push = (summary: string, d: DbDo, before: string | null, after: string | null): void => {
    const diff = { path: `mysql database ${d.name}`, before, after };
    steps.push({ change: s.pending === undefined ? { summary, diff } : { summary, diff, pending: s.pending }, do: d });
  };
  const want = state === 'present' ? wantedDefaults(s, args) : {};
  for (const name of s.names) {
    const cur = s.dbs.get(name);
    if (state === 'absent') {
      if (cur) push(`drop database ${name}`, { op: 'drop', name }, describe(cur), null);
      else ok.push(`database ${name} does not exist${noServer}`);
      continue;
    }
    if (!cur) {
      const what = [want.charset && `character set ${want.charset}`, want.collation && `collation ${want.collation}`].filter(Boolean).join(', ');
      const d: DbDo = { op: 'create', name };
      if (args.encoding !== undefined && want.charset) d.charset = want.charset;
      if (args.collation !== undefined && want.collation) d.collation = want.collation;
      push(`create database ${name}${what ? ` (${what})` : ''}`, d, null, describe(want));
      continue;
    }
    // Only what was asked is compared: a database keeps what the arguments leave out.
    const charsetDiffers = want.charset !== undefined && cur.charset !== want.charset;
    const collationDiffers = args.collation !== undefined && want.collation !== undefined && cur.collation !== want.collation;
    if (charsetDiffers || collationDiffers) {
      const to = { charset: want.charset ?? cur.charset, collation: want.collation ?? cur.collation };
      const parts = [charsetDiffers && `character set ${cur.charset} -> ${to.charset}`, cur.collation !== to.collation && `collation ${cur.collation} -> ${to.collation}`].filter(Boolean);
      const d: DbDo = { op: 'alter', name, charset: to.charset };
      if (args.collation !== undefined) d.collation = to.collation;
      push(`change database ${name}: ${parts.join(', ')} (its tables keep their own)`, d, describe(cur), describe(to));
    } else ok.push(`database ${name} exists (character set ${cur.charset}, collation ${cur.collation})`);
  }
  const plan: Plan<DbState, DbDo> = { steps, current: s, data: { db: s.names.join(','), db_list: s.names } };
  if (!steps.length) plan.okReason = ok.join('; ');
  else plan.effects = steps.map((st) => ({ kind: 'mysql_db', key: st.do.name, state: st.do.op === 'drop' ? 'absent' : 'present' }));
  return plan;
}

// Character set and collation names are checked by the schema's pattern and come from the server.
const bareName = (n: string): string => {
  if (!/^[A-Za-z0-9_]+$/.test(n)) throw new ModuleError(`${JSON.stringify(n)} is not a character set or collation name`);
  return n;
};

/** The SQL of one step. */
export function dbSql(d: DbDo): string {
  const db = sqlQuote(d.name, 'ident');
  const defaults = (cs?: string, coll?: string): string => `${cs ? ` CHARACTER SET ${bareName(cs)}` : ''}${coll ? ` COLLATE ${bareName(coll)}` : ''}`;
  switch (d.op) {
    case 'create':
      return `CREATE DATABASE ${db}${defaults(d.charset, d.collation)}`;
    case 'alter':
      return `ALTER DATABASE ${db}${defaults(d.charset, d.collation)}`;
    case 'drop':
      return `DROP DATABASE ${db}`;
  }
}

/** The mysql_db module. */
export const mysqlDb: Module<MysqlDbArgs, DbState, DbDo> = {
  name: 'mysql_db',

  async read(ctx, args) {
    const names = namesOf(args);
    const got = await readSql(ctx, loginOf(args), readDbSql(args), `reading database${names.length > 1 ? 's' : ''} ${names.join(', ')}`);
    if (got.pending !== undefined) return { names, pending: got.pending, dbs: new Map() };
    if (got.r.rc !== 0) throw failure(`reading database${names.length > 1 ? 's' : ''} ${names.join(', ')}`, got.r, loginOf(args));
    return parseDbRead(args, got.r.rows);
  },

  plan: planDb,

  async apply(ctx, args, plan) {
    const applied = await applySteps(ctx, loginOf(args), plan.steps, dbSql, []);
    return { ...applied, data: plan.data };
  },
};

export default mysqlDb;
