// Ansible's INI inventory format: [group], [group:vars], [group:children] and host lines with key=value pairs.
import { didYouMean } from '../did_you_mean.js';
import { Problem, ValidationError, type Loc } from '../errors.js';
import { connectionVarNames } from './connection_vars.js';
import { parseHostEntry } from './ranges.js';
import { addChildGroup, addHostToGroup, dict, ensureGroup, GROUP_NAME, type Inventory } from './types.js';

type Section = 'hosts' | 'vars' | 'children';

interface Token {
  text: string;
  /** 1-based column where the token starts. */
  col: number;
  /** Index in `text` from which a quoted part began, or -1: quoted values stay strings. */
  quotedAt: number;
}

interface PendingChild {
  parent: string;
  child: string;
  loc: Loc;
}

/** Parse INI inventory text into `inv`; throws ValidationError listing every problem with file:line:col. */
export function addIniInventory(inv: Inventory, source: string, file: string): void {
  const problems: Problem[] = [];
  const groupsBefore = new Set(inv.groups.keys());
  const hostsBefore = new Set(inv.hosts.keys());
  const declared = new Set<string>(['all', 'ungrouped']);
  const varsSections: { group: string; loc: Loc }[] = [];
  const pendingChildren: PendingChild[] = [];
  // Hosts before the first section are ungrouped, as in Ansible.
  let group = 'ungrouped';
  let section: Section = 'hosts';
  let sectionLabel = '(before any section)';

  const lines = source.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    const col = raw.length - raw.trimStart().length + 1;
    const at = (c: number): Loc => ({ file, line: lineNo, col: c });
    try {
      const header = parseHeader(trimmed, at(col));
      if (header) {
        group = header.group;
        section = header.section;
        sectionLabel = `[${trimmed.slice(1, trimmed.indexOf(']'))}]`;
        ensureGroup(inv, group);
        if (section === 'vars') varsSections.push({ group, loc: at(col) });
        else declared.add(group);
        return;
      }
      if (section === 'hosts') hostLine(inv, raw, group, sectionLabel, at);
      else if (section === 'vars') varsLine(inv, raw, col, group, sectionLabel, at);
      else pendingChildren.push(childLine(raw, col, group, sectionLabel, at));
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      problems.push(...e.problems);
    }
  });

  // References are resolved at the end: a group may be declared below the line that names it.
  const known = (g: string): boolean => declared.has(g) || groupsBefore.has(g);
  const groupNames = [...new Set([...declared, ...groupsBefore])];
  for (const v of varsSections) {
    if (known(v.group)) continue;
    problems.push(
      new Problem(`[${v.group}:vars] sets variables for a group that is never declared`, {
        loc: v.loc,
        key: `[${v.group}:vars]`,
        value: JSON.stringify(v.group),
        fix: suggest(v.group, groupNames) ?? `declare the group with a [${v.group}] section (it may be empty), or fix the name`,
      }),
    );
  }
  for (const p of pendingChildren) {
    if (known(p.child)) {
      addChildGroup(inv, p.parent, p.child, p.loc);
      continue;
    }
    const isHost = inv.hosts.has(p.child) || hostsBefore.has(p.child);
    problems.push(
      new Problem(
        isHost ? `[${p.parent}:children] lists "${p.child}", which is a host, not a group` : `[${p.parent}:children] lists "${p.child}", which is not a group declared anywhere`,
        {
          loc: p.loc,
          key: `[${p.parent}:children]`,
          value: JSON.stringify(p.child),
          fix: isHost
            ? `list hosts under [${p.parent}], not [${p.parent}:children]; [${p.parent}:children] takes group names`
            : (suggest(p.child, groupNames) ?? `declare it with a [${p.child}] section (it may be empty), or fix the name`),
        },
      ),
    );
  }
  if (problems.length) throw new ValidationError(problems);
}

function suggest(name: string, candidates: string[]): string | undefined {
  const c = didYouMean(name, candidates);
  return c === undefined ? undefined : `did you mean "${c}"?`;
}

const HEADER = /^\[([^\]]*)\]\s*(?:[#;].*)?$/;
// A host line may start with "[" only for a bracketed IPv6 address with a port: [2001:db8::1]:22.
const IPV6_HOST = /^\[[0-9A-Fa-f:.%]+\]:/;

function parseHeader(trimmed: string, loc: Loc): { group: string; section: Section } | undefined {
  if (!trimmed.startsWith('[') || IPV6_HOST.test(trimmed)) return undefined;
  const m = HEADER.exec(trimmed);
  if (!m) {
    const fix = trimmed.includes(']') ? 'nothing but a comment may follow "]" on a section line' : 'close the section name with "]", e.g. [webservers]';
    throw new ValidationError(new Problem('malformed section header', { loc, value: JSON.stringify(trimmed), fix }));
  }
  const body = (m[1] ?? '').trim();
  const parts = body.split(':');
  const name = parts[0] ?? '';
  const kind = parts[1];
  if (parts.length > 2 || (kind !== undefined && kind !== 'vars' && kind !== 'children')) {
    throw new ValidationError(
      new Problem(`section [${body}] has an unknown type`, {
        loc,
        key: `[${body}]`,
        value: JSON.stringify(kind ?? body),
        fix: `use [${name}] for hosts, [${name}:vars] for variables or [${name}:children] for child groups`,
      }),
    );
  }
  if (!GROUP_NAME.test(name)) {
    throw new ValidationError(
      new Problem(`"${name}" is not a valid group name`, {
        loc: { ...loc, col: loc.col + 1 },
        key: `[${body}]`,
        value: JSON.stringify(name),
        fix: 'group names start with a letter or "_" and contain only letters, digits, "_" and "-" (no spaces or dots)',
      }),
    );
  }
  return { group: name, section: kind === 'vars' ? 'vars' : kind === 'children' ? 'children' : 'hosts' };
}

function hostLine(inv: Inventory, raw: string, group: string, label: string, at: (col: number) => Loc): void {
  const tokens = tokenize(raw, at);
  const [first, ...rest] = tokens;
  if (!first) return;
  const vars = dict();
  for (const t of rest) {
    const eq = t.text.indexOf('=');
    if (eq <= 0) {
      throw new ValidationError(
        new Problem(eq === 0 ? 'host variable has no name before "="' : `expected key=value after the host name, got "${t.text}"`, {
          loc: at(t.col),
          key: label,
          value: JSON.stringify(t.text),
          fix: 'write variables as name=value; quote values that contain spaces: motd="hello world"',
        }),
      );
    }
    const valueText = t.text.slice(eq + 1);
    vars[t.text.slice(0, eq)] = t.quotedAt > eq ? valueText : parseIniValue(valueText);
  }
  const entry = parseHostEntry(first.text, { loc: at(first.col), key: label });
  for (const name of entry.names) {
    addHostToGroup(inv, group, name);
    const host = inv.hosts.get(name);
    if (!host) continue;
    for (const k of Object.keys(vars)) host.vars[k] = vars[k];
    if (entry.port !== undefined && !connectionVarNames('kiln_port').some((k) => Object.hasOwn(vars, k))) host.vars['kiln_port'] = entry.port;
  }
}

function varsLine(inv: Inventory, raw: string, col: number, group: string, label: string, at: (col: number) => Loc): void {
  const line = raw.trim();
  const eq = line.indexOf('=');
  const key = eq === -1 ? '' : line.slice(0, eq).trim();
  if (eq === -1 || key === '') {
    throw new ValidationError(
      new Problem(eq === -1 ? `a line in ${label} must be name=value` : 'variable has no name before "="', {
        loc: at(col),
        key: label,
        value: JSON.stringify(line),
        fix: `write one variable per line, e.g. ntp_server=ntp.example.com; hosts go under [${group}]`,
      }),
    );
  }
  const rest = stripComment(line.slice(eq + 1)).trim();
  const value = unquote(rest, at(col + eq + 1));
  ensureGroup(inv, group).vars[key] = value.quoted ? value.text : parseIniValue(value.text);
}

function childLine(raw: string, col: number, parent: string, label: string, at: (col: number) => Loc): PendingChild {
  const child = stripComment(raw.trim()).trim();
  if (!GROUP_NAME.test(child)) {
    throw new ValidationError(
      new Problem(/\s|=/.test(child) ? `a line in ${label} must be a single group name` : `"${child}" is not a valid group name`, {
        loc: at(col),
        key: label,
        value: JSON.stringify(child),
        fix: `write one group name per line; hosts and their variables go under [${parent}]`,
      }),
    );
  }
  return { parent, child, loc: at(col) };
}

/**
 * Split a host line like POSIX shlex: whitespace separates, quotes group, backslash escapes.
 * Unlike shlex, "#" starts a comment only at the start of a word, so a password like a#b survives.
 */
function tokenize(line: string, at: (col: number) => Loc): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line.charAt(i))) i++;
    if (i >= line.length || line.charAt(i) === '#') break;
    const start = i;
    let text = '';
    let quotedAt = -1;
    while (i < line.length && !/\s/.test(line.charAt(i))) {
      const c = line.charAt(i);
      if (c === '"' || c === "'") {
        if (quotedAt === -1) quotedAt = text.length;
        const close = findClosingQuote(line, i);
        if (close === -1) {
          throw new ValidationError(
            new Problem('quotation is not closed', { loc: at(i + 1), value: JSON.stringify(line.slice(start).trim()), fix: `add the closing ${c}` }),
          );
        }
        const inner = line.slice(i + 1, close);
        text += c === '"' ? inner.replace(/\\(["\\])/g, '$1') : inner;
        i = close + 1;
      } else if (c === '\\' && i + 1 < line.length) {
        text += line.charAt(i + 1);
        i += 2;
      } else {
        text += c;
        i++;
      }
    }
    tokens.push({ text, col: start + 1, quotedAt });
  }
  return tokens;
}

function findClosingQuote(line: string, open: number): number {
  const q = line.charAt(open);
  for (let j = open + 1; j < line.length; j++) {
    const c = line.charAt(j);
    if (q === '"' && c === '\\') j++;
    else if (c === q) return j;
  }
  return -1;
}

/** Drop a trailing " # comment" that is outside quotes. */
function stripComment(text: string): string {
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text.charAt(i - 1)))) return text.slice(0, i);
  }
  return text;
}

function unquote(text: string, loc: Loc): { text: string; quoted: boolean } {
  const q = text.charAt(0);
  if (q !== '"' && q !== "'") return { text, quoted: false };
  if (text.length < 2 || text.charAt(text.length - 1) !== q) {
    throw new ValidationError(new Problem('quotation is not closed', { loc, value: JSON.stringify(text), fix: `end the value with ${q}` }));
  }
  const inner = text.slice(1, -1);
  return { text: q === '"' ? inner.replace(/\\(["\\])/g, '$1') : inner, quoted: true };
}

const INTEGER = /^[-+]?(?:0|[1-9](?:_?\d)*)$/;
const RADIX = /^[-+]?0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)$/;
const FLOAT = /^[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?$/;

/**
 * An unquoted INI value the way Ansible's ast.literal_eval reads it: integers and floats become
 * numbers (but 0644 stays a string), True/False become booleans, None null, JSON lists and maps
 * are parsed; anything else is a string. Lower-case true/false are accepted as booleans too.
 */
export function parseIniValue(text: string): unknown {
  if (text === 'True' || text === 'true') return true;
  if (text === 'False' || text === 'false') return false;
  if (text === 'None') return null;
  if (INTEGER.test(text)) return Number(text.replace(/_/g, ''));
  if (RADIX.test(text)) {
    const neg = text.startsWith('-');
    const n = Number(text.replace(/^[-+]/, ''));
    return neg ? -n : n;
  }
  if (FLOAT.test(text) && !/^[-+]?0\d/.test(text)) return Number(text);
  if (/^[[{]/.test(text)) {
    try {
      return nullProto(JSON.parse(text) as unknown);
    } catch {
      return text;
    }
  }
  return text;
}

// JSON.parse builds ordinary objects; user-keyed maps must not inherit from Object.prototype.
function nullProto(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(nullProto);
  if (v && typeof v === 'object') {
    const out = dict();
    for (const [k, x] of Object.entries(v)) out[k] = nullProto(x);
    return out;
  }
  return v;
}
