// Grants as data: what `priv` asks for, what SHOW GRANTS says an account has, and the GRANT and
// REVOKE statements that take one to the other.
import { didYouMean } from '../../engine/did_you_mean.js';
import { ModuleError } from '../../engine/errors.js';
import { MARIADB_ALIASES, privilegeNames } from './privileges.js';
import { sqlQuote } from './quote.js';

/** A privilege level: *.*, db.*, db.table, or a stored routine ("PROCEDURE db.p"). */
export interface GrantObject {
  /** '' for databases and tables; PROCEDURE, FUNCTION, PACKAGE or PACKAGE BODY for routines. */
  kind: string;
  /** '*' means every one. */
  db: string;
  table: string;
}

/** What an account holds on one object. */
export interface ObjectGrant {
  object: GrantObject;
  /** Upper-case names; a column privilege is "SELECT (col)", one per column. Never USAGE. */
  privs: Set<string>;
  grantOption: boolean;
}

/** An account's grants, by objectKey(). */
export type Grants = Map<string, ObjectGrant>;

/** The object as users write it: "app.*", "*.*", "PROCEDURE app.p". The key grants are kept under. */
export function objectKey(o: GrantObject): string {
  return `${o.kind ? `${o.kind} ` : ''}${o.db}.${o.table}`;
}

/** The object as SQL writes it: `app`.*, *.*, PROCEDURE `app`.`p`. */
export function objectSql(o: GrantObject): string {
  const part = (s: string): string => (s === '*' ? '*' : sqlQuote(s, 'ident'));
  return `${o.kind ? `${o.kind} ` : ''}${part(o.db)}.${part(o.table)}`;
}

const ROUTINE_KINDS = ['PACKAGE BODY', 'PROCEDURE', 'FUNCTION', 'PACKAGE'];

function objectOf(kind: string, db: string, table: string): GrantObject {
  // Routine names are case-insensitive, and SHOW GRANTS prints them in lower case.
  return { kind, db, table: kind ? table.toLowerCase() : table };
}

function add(g: Grants, object: GrantObject, privs: Iterable<string>, grantOption: boolean): void {
  const key = objectKey(object);
  const had = g.get(key) ?? { object, privs: new Set<string>(), grantOption: false };
  for (const p of privs) had.privs.add(p);
  had.grantOption ||= grantOption;
  g.set(key, had);
}

// ------------------------------------------------------------------ what priv asks for

/** Split on a separator outside parentheses and backticks. */
function splitOutside(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let tick = false;
  let cur = '';
  for (const c of s) {
    if (c === '`') tick = !tick;
    else if (!tick && c === '(') depth++;
    else if (!tick && c === ')') depth--;
    if (c === sep && depth === 0 && !tick) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** "`my.db`.*", "app.t", "PROCEDURE app.p" → the object. */
export function parseObject(text: string, entry: string): GrantObject {
  let rest = text.trim();
  let kind = '';
  const k = ROUTINE_KINDS.find((r) => new RegExp(`^${r.replace(' ', ' +')} +`, 'i').test(rest));
  if (k) {
    kind = k;
    rest = rest.replace(new RegExp(`^${k.replace(' ', ' +')} +`, 'i'), '');
  }
  let db: string;
  let table: string;
  if (rest.includes('`')) {
    const first = rest.startsWith('`') ? readName(rest, 0) : undefined;
    const dbEnd = first ? first[1] : rest.indexOf('.');
    db = first ? first[0] : rest.slice(0, Math.max(dbEnd, 0)).trim();
    const after = rest.slice(dbEnd);
    const second = after.startsWith('.`') ? readName(after, 1) : undefined;
    table = second ? second[0] : after.slice(1).trim();
    if ((rest.startsWith('`') && !first) || (!first && db.includes('`')) || dbEnd < 0 || !after.startsWith('.') || (second && second[1] !== after.length) || (!second && table.includes('`'))) {
      throw bad(entry, `${JSON.stringify(text.trim())} is not db.table (quote names that hold dots with backticks: \`my.db\`.*)`);
    }
  } else {
    const dot = rest.lastIndexOf('.');
    if (dot < 0) throw bad(entry, `${JSON.stringify(text.trim())} is not db.table: write app.* for a whole database, *.* for the server`);
    db = rest.slice(0, dot).trim();
    table = rest.slice(dot + 1).trim();
  }
  if (db === '' || table === '') throw bad(entry, `${JSON.stringify(text.trim())} is not db.table: both parts must be there (app.*, app.t, *.*)`);
  if (db === '*' && table !== '*') throw bad(entry, `${JSON.stringify(text.trim())}: with every database (*), the table must be * too`);
  return objectOf(kind, db, table);
}

function bad(entry: string, what: string): ModuleError {
  return new ModuleError(`priv ${JSON.stringify(entry)}: ${what}`);
}

/** "SELECT, insert (a,b), GRANT" → privileges and the grant option. */
export function parsePrivList(text: string, entry: string): { privs: Set<string>; grantOption: boolean } {
  const privs = new Set<string>();
  let grantOption = false;
  const known = privilegeNames();
  for (const raw of splitOutside(text, ',')) {
    const m = /^\s*([A-Za-z_][A-Za-z_ ]*?)\s*(?:\((.*)\))?\s*$/s.exec(raw);
    if (!m) throw bad(entry, `${JSON.stringify(raw.trim())} is not a privilege`);
    let name = (m[1] as string).toUpperCase().replace(/\s+/g, ' ');
    if (name === 'ALL') name = 'ALL PRIVILEGES';
    if (!known.has(name)) {
      const guess = didYouMean(name, known);
      throw bad(entry, `${JSON.stringify((m[1] as string).trim())} is not a privilege${guess ? `; did you mean ${guess}?` : ''}`);
    }
    const cols = m[2] === undefined ? [] : splitOutside(m[2], ',').map((c) => c.trim().replace(/^`(.*)`$/s, '$1').replace(/``/g, '`'));
    if (cols.some((c) => c === '')) throw bad(entry, `${name} (${m[2]}): a column name is empty`);
    if (name === 'GRANT' || name === 'GRANT OPTION') {
      if (cols.length) throw bad(entry, 'GRANT takes no columns');
      grantOption = true;
    } else if (name === 'USAGE') {
      if (cols.length) throw bad(entry, 'USAGE takes no columns');
    } else if (cols.length) {
      for (const c of cols) privs.add(`${name} (${c})`);
    } else privs.add(name);
  }
  return { privs, grantOption };
}

/** `priv` as given: "db.*:SELECT,INSERT/db2.t:ALL,GRANT" or a mapping of object to list. */
export function parsePriv(spec: string | Readonly<Record<string, string>>): Grants {
  const g: Grants = new Map();
  const entries: [string, string, string][] =
    typeof spec === 'string'
      ? spec
          .split('/')
          .filter((e) => e.trim() !== '')
          .map((e) => {
            const colon = e.lastIndexOf(':');
            if (colon < 0) throw bad(e, 'write OBJECT:PRIVILEGES, like app.*:SELECT,INSERT');
            return [e, e.slice(0, colon), e.slice(colon + 1)];
          })
      : Object.entries(spec).map(([o, p]) => [`${o}: ${p}`, o, p]);
  for (const [entry, obj, list] of entries) {
    const object = parseObject(obj, entry.trim());
    const { privs, grantOption } = parsePrivList(list, entry.trim());
    add(g, object, privs, grantOption);
  }
  return g;
}

/** MariaDB stores some privileges under another name: ask for what SHOW GRANTS will say. */
export function withMariadbNames(g: Grants): Grants {
  const out: Grants = new Map();
  for (const [k, v] of g) {
    const privs = [...v.privs].map((p) => {
      const name = p.replace(/ \(.*$/s, '');
      const to = MARIADB_ALIASES[name];
      return to ? p.replace(name, to) : p;
    });
    out.set(k, { object: v.object, privs: new Set(privs), grantOption: v.grantOption });
  }
  return out;
}

// ------------------------------------------------------------------ what SHOW GRANTS says

/** Read one backtick-quoted name or `*` at `s[i]`; returns it and the index after it. */
function readName(s: string, i: number): [string, number] | undefined {
  if (s[i] === '*') return ['*', i + 1];
  if (s[i] !== '`') return undefined;
  let out = '';
  let j = i + 1;
  for (;;) {
    const c = s[j];
    if (c === undefined) return undefined;
    if (c === '`') {
      if (s[j + 1] === '`') {
        out += '`';
        j += 2;
        continue;
      }
      return [out, j + 1];
    }
    out += c;
    j++;
  }
}

/** `name`@`host` as SHOW GRANTS prints it. */
export function showAccount(name: string, host: string): string {
  const q = (s: string): string => `\`${s.replace(/`/g, '``')}\``;
  return `${q(name)}@${q(host)}`;
}

/**
 * Parse SHOW GRANTS FOR name@host. Role grants (GRANT `r` TO …) and PROXY are not privileges on
 * objects and are left out; so are the password hash and resource limits after the account.
 */
export function parseShowGrants(lines: readonly string[], name: string, host: string): Grants {
  const g: Grants = new Map();
  const to = ` TO ${showAccount(name, host)}`;
  // Host names compare without case (servers may print them lowered).
  const toRe = new RegExp(to.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');
  for (const line of lines) {
    if (!line.startsWith('GRANT ')) continue;
    const at = [...line.matchAll(toRe)].at(-1)?.index ?? -1;
    if (at < 0) continue;
    const head = line.slice('GRANT '.length, at);
    const tail = line.slice(at + to.length).replace(/'(?:[^'\\]|\\.|'')*'/g, "''");
    const on = findOn(head);
    if (on < 0) continue; // a role granted to the account
    const privText = head.slice(0, on);
    if (privText.trim() === 'PROXY') continue;
    const object = parseShownObject(head.slice(on + ' ON '.length));
    if (!object) throw new ModuleError(`cannot read this line of SHOW GRANTS FOR ${name}@${host}: ${head}`);
    const privs: string[] = [];
    for (const p of splitOutside(privText, ',')) {
      const m = /^\s*([A-Z_ ]+?)\s*(?:\((.*)\))?\s*$/s.exec(p);
      if (!m) throw new ModuleError(`cannot read the privileges ${JSON.stringify(privText)} in SHOW GRANTS FOR ${name}@${host}`);
      const priv = (m[1] as string).replace(/\s+/g, ' ');
      if (priv === 'USAGE') continue;
      if (m[2] === undefined) privs.push(priv);
      else for (const c of splitOutside(m[2], ',')) privs.push(`${priv} (${c.trim().replace(/^`(.*)`$/s, '$1').replace(/``/g, '`')})`);
    }
    add(g, object, privs, /\bWITH\b.*\bGRANT OPTION\b/.test(tail));
  }
  for (const [k, v] of g) if (v.privs.size === 0 && !v.grantOption) g.delete(k);
  return g;
}

/** Where " ON " separates the privileges from the object (outside backticks and parentheses). */
function findOn(head: string): number {
  let depth = 0;
  let tick = false;
  for (let i = 0; i < head.length; i++) {
    const c = head[i];
    if (c === '`') tick = !tick;
    else if (!tick && c === '(') depth++;
    else if (!tick && c === ')') depth--;
    else if (!tick && depth === 0 && head.startsWith(' ON ', i)) return i;
  }
  return -1;
}

function parseShownObject(s: string): GrantObject | undefined {
  let kind = '';
  let rest = s;
  const k = ROUTINE_KINDS.find((r) => rest.startsWith(`${r} `));
  if (k) {
    kind = k;
    rest = rest.slice(k.length + 1);
  }
  const db = readName(rest, 0);
  if (!db || rest[db[1]] !== '.') return undefined;
  const table = readName(rest, db[1] + 1);
  if (!table || table[1] !== rest.length) return undefined;
  return objectOf(kind, db[0], table[0]);
}

// ------------------------------------------------------------------ from one to the other

/** One GRANT or REVOKE. */
export interface GrantOp {
  op: 'grant' | 'revoke';
  object: GrantObject;
  /** Privileges to grant or revoke; empty with grantOption: only the grant option. */
  privs: string[];
  /** grant: WITH GRANT OPTION; revoke: revoke the grant option. */
  grantOption: boolean;
}

const ALL = 'ALL PRIVILEGES';

function sorted(s: Iterable<string>): string[] {
  return [...s].sort();
}

/**
 * The statements that take `current` to `wanted`. append: only add (never revoke). Otherwise
 * `wanted` is the whole list: what is not in it is revoked, objects included. Revokes come first,
 * so that REVOKE ALL followed by GRANT SELECT narrows rather than undoes.
 */
export function diffGrants(current: Grants, wanted: Grants, append: boolean): GrantOp[] {
  const revokes: GrantOp[] = [];
  const grants: GrantOp[] = [];
  const keys = [...new Set([...current.keys(), ...wanted.keys()])];
  for (const key of keys) {
    const cur = current.get(key);
    const want = wanted.get(key);
    const object = (cur ?? want)?.object as GrantObject;
    const curPrivs = cur?.privs ?? new Set<string>();
    let wantPrivs = new Set([...(want?.privs ?? []), ...(append ? curPrivs : [])]);
    const wantOption = (want?.grantOption ?? false) || (append && (cur?.grantOption ?? false));
    // ALL PRIVILEGES holds every other privilege of its level: nothing else needs granting.
    if (wantPrivs.has(ALL)) wantPrivs = new Set([ALL, ...[...curPrivs].filter((p) => p.includes(' (') && wantPrivs.has(p))]);
    const toRevoke = append || wantPrivs.has(ALL) ? [] : sorted([...curPrivs].filter((p) => !wantPrivs.has(p)));
    const toGrant = curPrivs.has(ALL) && wantPrivs.has(ALL) ? [] : sorted([...wantPrivs].filter((p) => !curPrivs.has(p)));
    if (toRevoke.length) revokes.push({ op: 'revoke', object, privs: toRevoke, grantOption: false });
    if (cur?.grantOption && !wantOption) revokes.push({ op: 'revoke', object, privs: [], grantOption: true });
    const addOption = wantOption && !cur?.grantOption;
    if (toGrant.length || addOption) grants.push({ op: 'grant', object, privs: toGrant, grantOption: addOption });
  }
  return [...revokes, ...grants];
}

/** Privileges as SQL lists them: column privileges of one name grouped, "SELECT (`a`, `b`)". */
export function privsSql(privs: readonly string[]): string {
  const groups = new Map<string, string[]>();
  for (const p of privs) {
    const m = /^([A-Z_ ]+) \((.*)\)$/s.exec(p);
    const name = m ? (m[1] as string) : p;
    const cols = groups.get(name) ?? [];
    if (m) cols.push(sqlQuote(m[2] as string, 'ident'));
    groups.set(name, cols);
  }
  return [...groups].map(([name, cols]) => (cols.length ? `${name} (${cols.join(', ')})` : name)).join(', ');
}

/** Privileges as a human reads them: "SELECT, UPDATE (a, b)". */
export function privsText(privs: Iterable<string>): string {
  const groups = new Map<string, string[]>();
  for (const p of sorted(privs)) {
    const m = /^([A-Z_ ]+) \((.*)\)$/s.exec(p);
    const name = m ? (m[1] as string) : p;
    const cols = groups.get(name) ?? [];
    if (m) cols.push(m[2] as string);
    groups.set(name, cols);
  }
  return [...groups].map(([name, cols]) => (cols.length ? `${name} (${cols.join(', ')})` : name)).join(', ');
}

/** The SQL of one operation for an account ('name'@'host'). */
export function grantSql(op: GrantOp, account: string): string {
  const on = objectSql(op.object);
  if (op.op === 'revoke') return op.grantOption ? `REVOKE GRANT OPTION ON ${on} FROM ${account}` : `REVOKE ${privsSql(op.privs)} ON ${on} FROM ${account}`;
  return `GRANT ${op.privs.length ? privsSql(op.privs) : 'USAGE'} ON ${on} TO ${account}${op.grantOption ? ' WITH GRANT OPTION' : ''}`;
}

/** One line a human reads: "grant SELECT, INSERT on app.*". */
export function grantSummary(op: GrantOp): string {
  const on = objectKey(op.object);
  if (op.op === 'revoke') return op.grantOption ? `revoke the grant option on ${on}` : `revoke ${privsText(op.privs)} on ${on}`;
  if (!op.privs.length) return `grant the grant option on ${on}`;
  return `grant ${privsText(op.privs)} on ${on}${op.grantOption ? ' with the grant option' : ''}`;
}

/** Grants as lines for a diff and for register: "app.*: INSERT, SELECT", sorted by object. */
export function grantsText(g: Grants): string[] {
  return [...g.values()]
    .filter((v) => v.privs.size || v.grantOption)
    .map((v) => `${objectKey(v.object)}: ${[privsText(v.privs) || 'USAGE', ...(v.grantOption ? ['GRANT'] : [])].join(', ')}`)
    .sort();
}

/** Grants in priv's own string form: "app.*:INSERT,SELECT/*.*:USAGE". */
export function grantsSpec(g: Grants): string {
  return grantsText(g)
    .map((l) => l.replace(/: /, ':').replace(/, /g, ','))
    .join('/');
}
