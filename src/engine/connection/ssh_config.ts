// A small reader for OpenSSH client configuration (~/.ssh/config): the keywords kiln uses,
// Host blocks with wildcard and negated patterns, Include, "first value wins" like ssh(1).
import { readFileSync, readdirSync } from 'node:fs';
import { homedir, hostname, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';

/** One directive, with where it came from. */
export interface SshConfigLine {
  /** The keyword, lower-cased ("hostname", "identityfile", ...). */
  key: string;
  args: string[];
  file: string;
  line: number;
  /** For Include: the directives of each included file, in order. */
  included?: SshConfigLine[][];
}

export type StrictHostKeyChecking = 'yes' | 'no' | 'accept-new' | 'ask' | 'off';

/** What the config says for one host; absent fields were not set. Paths are not yet expanded. */
export interface SshHostConfig {
  hostName?: string;
  port?: number;
  user?: string;
  /** Every IdentityFile that applies, in order (they accumulate, unlike other keywords). */
  identityFiles: string[];
  identitiesOnly?: boolean;
  userKnownHostsFiles?: string[];
  strictHostKeyChecking?: StrictHostKeyChecking;
  hashKnownHosts?: boolean;
  /** Seconds (ConnectTimeout). */
  connectTimeout?: number;
  /** Problems found while reading (bad values, unsupported Match criteria); never fatal. */
  warnings: string[];
}

/** Split a config line into words: whitespace separated, "double quotes" group, `#` starts a comment. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#') break;
    if (c === '"') {
      const end = text.indexOf('"', i + 1);
      if (end === -1) throw new Error('unterminated quote');
      words.push(text.slice(i + 1, end));
      i = end + 1;
      continue;
    }
    let j = i;
    while (j < text.length && text[j] !== ' ' && text[j] !== '\t') j++;
    words.push(text.slice(i, j));
    i = j;
  }
  return words;
}

/** Parse config text into directives (Include is kept as a directive; loadSshConfig expands it). */
export function parseSshConfig(text: string, file = '<config>'): SshConfigLine[] {
  const out: SshConfigLine[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, idx) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    // "Keyword value", "Keyword=value" and "Keyword = value" are all allowed.
    const m = /^([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+|$)(.*)$/.exec(trimmed);
    if (!m) return;
    let args: string[];
    try {
      args = splitWords(m[2] ?? '');
    } catch {
      return;
    }
    out.push({ key: (m[1] as string).toLowerCase(), args, file, line: idx + 1 });
  });
  return out;
}

/** Read a config file and the files it includes. A missing file is an empty config. */
export function loadSshConfig(file: string, home = homedir()): SshConfigLine[] {
  return load(file, home, 0);
}

function load(file: string, home: string, depth: number): SshConfigLine[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const lines = parseSshConfig(text, file);
  for (const l of lines) {
    if (l.key !== 'include') continue;
    l.included = [];
    if (depth >= 16) continue;
    for (const pattern of l.args) {
      const path = tilde(pattern, home);
      const full = isAbsolute(path) ? path : join(home, '.ssh', path);
      for (const f of globFiles(full)) l.included.push(load(f, home, depth + 1));
    }
  }
  return lines;
}

// Wildcards are allowed in the last path component only (enough for "config.d/*").
function globFiles(path: string): string[] {
  const base = basename(path);
  if (!/[*?]/.test(base)) return [path];
  const dir = dirname(path);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => !n.startsWith('.') && wildcardMatch(base, n))
    .sort()
    .map((n) => join(dir, n));
}

/** `*` and `?` wildcards, whole-string, case-sensitive. */
export function wildcardMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = t;
    } else if (star !== -1) {
      p = star + 1;
      t = ++mark;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * ssh's pattern lists ("web* !web3,db?"): true when some pattern matches and no negated one does.
 * Host names compare case-insensitively.
 */
export function matchPatternList(name: string, patterns: readonly string[]): boolean {
  const host = name.toLowerCase();
  let matched = false;
  for (const raw of patterns.flatMap((p) => p.split(','))) {
    if (raw === '') continue;
    const negated = raw.startsWith('!');
    const pat = (negated ? raw.slice(1) : raw).toLowerCase();
    if (wildcardMatch(pat, host)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

const STRICT_VALUES: Record<string, StrictHostKeyChecking> = {
  yes: 'yes',
  true: 'yes',
  no: 'no',
  false: 'no',
  off: 'off',
  'accept-new': 'accept-new',
  ask: 'ask',
};

/** What applies to `host` (the name given to kiln, before HostName), first obtained value winning. */
export function resolveSshConfig(lines: readonly SshConfigLine[], host: string): SshHostConfig {
  const cfg: SshHostConfig = { identityFiles: [], warnings: [] };
  const where = (l: SshConfigLine): string => `${l.file}:${l.line}`;
  const yesNo = (l: SshConfigLine): boolean | undefined => {
    const v = l.args[0]?.toLowerCase();
    if (v === 'yes' || v === 'true') return true;
    if (v === 'no' || v === 'false') return false;
    cfg.warnings.push(`${where(l)}: ${l.key} expects yes or no`);
    return undefined;
  };
  const walk = (list: readonly SshConfigLine[], startActive: boolean): void => {
    let active = startActive;
    for (const l of list) {
      if (l.key === 'host') {
        active = matchPatternList(host, l.args);
        continue;
      }
      if (l.key === 'match') {
        active = evalMatch(l, host, cfg);
        continue;
      }
      if (!active) continue;
      const first = l.args[0];
      switch (l.key) {
        case 'include':
          for (const sub of l.included ?? []) walk(sub, true);
          break;
        case 'hostname':
          if (cfg.hostName === undefined && first) cfg.hostName = first;
          break;
        case 'port':
          if (cfg.port === undefined && first) {
            const n = Number(first);
            if (Number.isInteger(n) && n >= 1 && n <= 65535) cfg.port = n;
            else cfg.warnings.push(`${where(l)}: Port must be a number from 1 to 65535`);
          }
          break;
        case 'user':
          if (cfg.user === undefined && first) cfg.user = first;
          break;
        case 'identityfile':
          if (first && first.toLowerCase() !== 'none') cfg.identityFiles.push(first);
          break;
        case 'identitiesonly':
          if (cfg.identitiesOnly === undefined) cfg.identitiesOnly = yesNo(l);
          break;
        case 'userknownhostsfile':
          if (cfg.userKnownHostsFiles === undefined && l.args.length) cfg.userKnownHostsFiles = l.args.filter((a) => a.toLowerCase() !== 'none');
          break;
        case 'stricthostkeychecking':
          if (cfg.strictHostKeyChecking === undefined && first) {
            const v = STRICT_VALUES[first.toLowerCase()];
            if (v) cfg.strictHostKeyChecking = v;
            else cfg.warnings.push(`${where(l)}: StrictHostKeyChecking must be yes, no, accept-new, ask or off`);
          }
          break;
        case 'hashknownhosts':
          if (cfg.hashKnownHosts === undefined) cfg.hashKnownHosts = yesNo(l);
          break;
        case 'connecttimeout':
          if (cfg.connectTimeout === undefined && first) {
            const n = Number(first);
            if (Number.isInteger(n) && n > 0) cfg.connectTimeout = n;
          }
          break;
        default:
          break; // a keyword kiln does not use
      }
    }
  };
  walk(lines, true);
  return cfg;
}

// Match supports "all", "host" and "originalhost" (and their negations); other criteria
// (exec, user, localuser, canonical, final...) need context kiln does not have: the block is skipped.
function evalMatch(l: SshConfigLine, host: string, cfg: SshHostConfig): boolean {
  const args = l.args;
  let i = 0;
  let result = true;
  while (i < args.length) {
    let crit = (args[i] as string).toLowerCase();
    const negate = crit.startsWith('!');
    if (negate) crit = crit.slice(1);
    let ok: boolean;
    if (crit === 'all') {
      ok = true;
      i++;
    } else if (crit === 'host' || crit === 'originalhost') {
      const list = args[i + 1];
      if (list === undefined) {
        cfg.warnings.push(`${l.file}:${l.line}: Match ${crit} needs a pattern list`);
        return false;
      }
      ok = matchPatternList(host, [list]);
      i += 2;
    } else {
      cfg.warnings.push(`${l.file}:${l.line}: Match ${crit} is not supported by kiln; that block is ignored`);
      return false;
    }
    if (negate) ok = !ok;
    result = result && ok;
  }
  return result;
}

/** Expand `~` and the % tokens ssh allows in paths and HostName. Unknown tokens are left as they are. */
export function expandTokens(
  value: string,
  ctx: { home?: string; host?: string; originalHost?: string; user?: string; port?: number; localUser?: string },
): string {
  const home = ctx.home ?? homedir();
  const v = tilde(value, home);
  return v.replace(/%([%dhnrpuLl])/g, (all, t: string) => {
    switch (t) {
      case '%':
        return '%';
      case 'd':
        return home;
      case 'h':
        return ctx.host ?? all;
      case 'n':
        return ctx.originalHost ?? ctx.host ?? all;
      case 'r':
        return ctx.user ?? all;
      case 'p':
        return ctx.port === undefined ? all : String(ctx.port);
      case 'u':
        return ctx.localUser ?? safeLocalUser();
      case 'L':
        return hostname().split('.')[0] ?? all;
      case 'l':
        return hostname();
      default:
        return all;
    }
  });
}

function tilde(path: string, home: string): string {
  if (path === '~') return home;
  return path.startsWith('~/') ? home + path.slice(1) : path;
}

function safeLocalUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'root';
  }
}
