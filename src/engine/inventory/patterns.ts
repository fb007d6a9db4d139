// Ansible host patterns: names, groups, a:b / a,b unions, &intersections, !exclusions, globs, ~regex, [subscripts], --limit.
import { readFileSync, statSync } from 'node:fs';
import { Problem, UsageError, ValidationError } from '../errors.js';
import { groupHostNames, type Inventory } from './types.js';

/**
 * Split a pattern into its parts: on commas and on colons outside [..] (IPv6 addresses stay whole).
 * Ansible stops splitting on colons once a comma appears, so "a,b:&c" silently matches nothing there; kiln splits both.
 */
export function splitPattern(pattern: string): string[] {
  const out: string[] = [];
  for (const piece of pattern.split(',')) {
    const trimmed = piece.trim();
    if (trimmed === '') continue;
    if (isIpv6(trimmed)) out.push(trimmed);
    // Ansible's rule: runs of anything but whitespace, ':' and brackets, or whole [..] groups.
    else out.push(...(trimmed.match(/(?:[^\s:[\]]|\[[^\]]*\])+/g) ?? []));
  }
  return out;
}

function isIpv6(s: string): boolean {
  const bare = s.replace(/^\[(.*)\]$/, '$1');
  return /^[0-9A-Fa-f:.%]+$/.test(bare) && bare.split(':').length > 2;
}

/** Ansible's order: plain parts first, then &intersections, then !exclusions; only & and ! parts mean "all" first. */
function orderParts(parts: string[]): string[] {
  const plain = parts.filter((p) => !p.startsWith('&') && !p.startsWith('!'));
  const and = parts.filter((p) => p.startsWith('&'));
  const not = parts.filter((p) => p.startsWith('!'));
  return [...(plain.length ? plain : ['all']), ...and, ...not];
}

/** The hosts a pattern selects, narrowed by --limit (same syntax; "@file" reads one pattern per line); inventory order, no duplicates. */
export function selectHosts(inv: Inventory, pattern: string, limit?: string): string[] {
  let selected = evaluate(inv, splitPattern(pattern));
  if (limit !== undefined && limit.trim() !== '') {
    const allowed = evaluate(inv, limitParts(limit));
    selected = new Set([...selected].filter((h) => allowed.has(h)));
  }
  return [...inv.hosts.keys()].filter((h) => selected.has(h));
}

/** Parts of a pattern (without & or !) that name no host and no group, for a "matched nothing" warning. */
export function unmatchedNames(inv: Inventory, pattern: string): string[] {
  const out: string[] = [];
  for (const part of splitPattern(pattern)) {
    const name = part.replace(/^[&!]/, '');
    if (name === '' || name === 'all' || out.includes(name) || inv.hosts.has(name)) continue;
    const { expr } = splitSubscript(name);
    const m = enumerate(inv, expr);
    if (m.groups.length === 0 && m.hosts.length === 0) out.push(name);
  }
  return out;
}

function limitParts(limit: string): string[] {
  const out: string[] = [];
  for (const part of splitPattern(limit)) {
    if (!part.startsWith('@')) {
      out.push(part);
      continue;
    }
    const file = part.slice(1);
    let text: string;
    try {
      if (statSync(file).isDirectory()) throw new UsageError(`--limit @${file}: this is a folder, not a file of host patterns`);
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`--limit @${file}: cannot read the limit file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    // One pattern per line, like Ansible's .retry files; blank lines and # comments are skipped.
    for (const line of text.split(/\r?\n/)) {
      const p = line.trim();
      if (p !== '' && !p.startsWith('#')) out.push(p);
    }
  }
  return out;
}

function evaluate(inv: Inventory, parts: string[]): Set<string> {
  let hosts = new Set<string>();
  for (const part of orderParts(parts)) {
    // A plain host name is taken as it is, even when it looks like a glob or has brackets.
    const that = inv.hosts.has(part) ? [part] : matchOne(inv, part);
    if (part.startsWith('!')) {
      const drop = new Set(that);
      hosts = new Set([...hosts].filter((h) => !drop.has(h)));
    } else if (part.startsWith('&')) {
      const keep = new Set(that);
      hosts = new Set([...hosts].filter((h) => keep.has(h)));
    } else {
      for (const h of that) hosts.add(h);
    }
  }
  return hosts;
}

function matchOne(inv: Inventory, part: string): string[] {
  const bare = part.replace(/^[&!]/, '');
  if (inv.hosts.has(bare)) return [bare];
  const { expr, subscript } = splitSubscript(bare);
  const { hosts } = enumerate(inv, expr);
  return subscript ? applySubscript(inv, hosts, subscript) : hosts;
}

interface Subscript {
  start: number;
  /** Inclusive end; undefined for a single index. */
  end?: number;
}

/** "web[0]", "web[-1]", "web[1:3]", "web[2:]": Ansible's subscripts (not for ~regex). */
function splitSubscript(pattern: string): { expr: string; subscript?: Subscript } {
  if (pattern.startsWith('~')) return { expr: pattern };
  const m = /^(.+)\[(?:(-?\d+)|(\d+):(\d+)?)\]$/.exec(pattern);
  if (!m) return { expr: pattern };
  const expr = m[1] ?? pattern;
  if (m[2] !== undefined) return { expr, subscript: { start: Number(m[2]) } };
  return { expr, subscript: { start: Number(m[3]), end: m[4] === undefined ? -1 : Number(m[4]) } };
}

function applySubscript(inv: Inventory, hosts: string[], s: Subscript): string[] {
  const ordered = [...inv.hosts.keys()].filter((h) => hosts.includes(h));
  if (s.end === undefined) {
    const i = s.start < 0 ? ordered.length + s.start : s.start;
    const h = ordered[i];
    return h === undefined ? [] : [h];
  }
  const end = s.end === -1 ? ordered.length - 1 : s.end;
  return ordered.slice(s.start, end + 1);
}

/** Groups matching the expression (their hosts), and hosts matching it by name when no group did or it is a glob/regex. */
function enumerate(inv: Inventory, expr: string): { groups: string[]; hosts: string[] } {
  const test = matcher(expr);
  const groups = [...inv.groups.keys()].filter(test);
  const hosts = new Set<string>();
  for (const g of groups) for (const h of groupHostNames(inv, g)) hosts.add(h);
  if (groups.length === 0 || expr.startsWith('~') || /[.?*[]/.test(expr)) {
    for (const h of inv.hosts.keys()) if (test(h)) hosts.add(h);
  }
  return { groups, hosts: [...hosts] };
}

const matchers = new Map<string, (name: string) => boolean>();

function matcher(expr: string): (name: string) => boolean {
  let m = matchers.get(expr);
  if (m) return m;
  let re: RegExp;
  if (expr.startsWith('~')) {
    try {
      // Python's re.match: anchored at the start only. (?P<name>) is Python's spelling of (?<name>).
      re = new RegExp(`^(?:${expr.slice(1).replace(/\(\?P</g, '(?<')})`);
    } catch (e) {
      throw new ValidationError(
        new Problem(`invalid regular expression in host pattern: ${(e as Error).message}`, {
          key: 'hosts',
          value: JSON.stringify(expr),
          fix: 'a pattern starting with "~" is a regular expression; escape special characters, e.g. ~web\\d+\\.example\\.com',
        }),
      );
    }
  } else {
    re = globToRegExp(expr);
  }
  m = (name: string): boolean => re.test(name);
  // Patterns come from plays and limit files: bounded, but keep the cache from growing without end.
  if (matchers.size > 1000) matchers.clear();
  matchers.set(expr, m);
  return m;
}

/** Python's fnmatch.translate: * ? [seq] [!seq], whole-name match, case-sensitive. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i);
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      let j = i + 1;
      if (glob.charAt(j) === '!') j++;
      if (glob.charAt(j) === ']') j++;
      while (j < glob.length && glob.charAt(j) !== ']') j++;
      if (j >= glob.length) {
        re += '\\[';
      } else {
        let set = glob.slice(i + 1, j).replace(/\\/g, '\\\\');
        if (set.startsWith('!')) set = `^${set.slice(1)}`;
        else if (set.startsWith('^')) set = `\\${set}`;
        re += `[${set}]`;
        i = j;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^(?:${re})$`, 's');
}
