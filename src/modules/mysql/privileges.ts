// The privilege names mysql_user accepts: the list is the schema's ($defs.privilege), and so are
// the patterns that let `kiln validate` refuse a misspelt one; this file builds those patterns
// (a unit test checks that the schema holds exactly them) and the aliases MariaDB rewrites.
import { schemaJson } from '../../engine/schema/registry.js';

let names: ReadonlySet<string> | undefined;

/** Every privilege name, upper case, single spaces ("ALL PRIVILEGES", "SELECT", …). */
export function privilegeNames(): ReadonlySet<string> {
  if (names) return names;
  const defs = schemaJson('modules/mysql_user.schema.json')['$defs'] as Record<string, { enum?: string[] }> | undefined;
  const list = defs?.['privilege']?.enum;
  if (!list) throw new Error('schemas/modules/mysql_user.schema.json has no $defs.privilege.enum');
  names = new Set(list);
  return names;
}

/**
 * Names MariaDB (10.5 and later) stores under another name, so that asking for the alias is not
 * a change on every run: SHOW GRANTS prints the name on the right.
 */
export const MARIADB_ALIASES: Readonly<Record<string, string>> = {
  'REPLICATION CLIENT': 'BINLOG MONITOR',
  'REPLICA MONITOR': 'SLAVE MONITOR',
  'REPLICATION REPLICA': 'REPLICATION SLAVE',
};

// ------------------------------------------------------------------ the schema's patterns

/** One name as the pattern accepts it: all capitals or all lower case, spaces as one or more. */
function nameAlternatives(name: string): string[] {
  const spaced = (s: string): string => s.replace(/ /g, ' +');
  return [spaced(name), spaced(name.toLowerCase())];
}

/** One privilege in a list: a name, optionally with columns "(a, b)", spaces around allowed. */
function privPattern(list: readonly string[]): string {
  const sorted = [...list].sort((a, b) => b.length - a.length || a.localeCompare(b));
  return ` *(?:${sorted.flatMap(nameAlternatives).join('|')})(?: *\\([^()/]*\\))? *`;
}

/** The pattern of priv's mapping values: "SELECT,INSERT" (no object part). */
export function privListPattern(list: readonly string[]): string {
  return `^(?:${privPattern(list)}(?:,(?! *$)|$))+$`;
}

/** The pattern of priv's string form: "db.table:PRIV,PRIV/db2.*:PRIV". */
export function privStringPattern(list: readonly string[]): string {
  return `^(?:${OBJECT_PATTERN}:(?:${privPattern(list)}(?:,(?! *(?:/|$))|(?=/|$)))+(?:/(?! *$)|$))+$`;
}

/** A privilege level as the string form writes it: db.table, with a dot; no "/" or ":". */
export const OBJECT_PATTERN = '[^/:]*\\.[^/:]*';
