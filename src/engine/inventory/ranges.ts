// Host ranges as Ansible writes them: web[01:20].example.com, db-[a:f], node[1:10:2].
import { Problem, ValidationError, type Loc } from '../errors.js';

/** Where a range was written, so errors point at it. */
export interface RangeSite {
  loc?: Loc;
  /** The key the range stands under, e.g. "web.hosts" or "[web]". */
  key?: string;
}

/** Above this, a range is almost certainly a typo ([1:100000]) and would stall the run. */
export const MAX_RANGE_HOSTS = 65536;

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** True when the name contains a range to expand. */
export function hasRange(pattern: string): boolean {
  return pattern.includes('[') || pattern.includes(']');
}

/** Expand every [start:end(:step)] in a host name; names without ranges come back as they are. */
export function expandHostRange(pattern: string, site: RangeSite = {}): string[] {
  const out: string[] = [];
  expandInto(pattern, pattern, site, out);
  return out;
}

function fail(message: string, pattern: string, site: RangeSite, fix: string): never {
  throw new ValidationError(new Problem(message, { loc: site.loc, key: site.key, value: JSON.stringify(pattern), fix }));
}

function expandInto(name: string, original: string, site: RangeSite, out: string[]): void {
  const open = name.indexOf('[');
  const close = name.indexOf(']');
  if (open === -1 && close === -1) {
    out.push(name);
    return;
  }
  if (open !== -1 && close === -1) {
    fail('host range is not closed', original, site, `close it with "]", e.g. ${name.slice(0, open)}[1:3]`);
  }
  if (open === -1 || close < open) {
    fail(`host range has "]" without "["`, original, site, 'write a range as name[start:end], e.g. web[01:20].example.com');
  }
  const head = name.slice(0, open);
  const body = name.slice(open + 1, close);
  const tail = name.slice(close + 1);
  const parts = body.split(':');
  if (parts.length < 2 || parts.length > 3) {
    fail(`host range [${body}] must be [start:end] or [start:end:step]`, original, site, 'e.g. web[01:20] or web[1:20:2] or db-[a:f]');
  }
  const [rawBeg = '', end = '', rawStep = ''] = parts;
  const beg = rawBeg === '' ? '0' : rawBeg;
  if (end === '') fail(`host range [${body}] has no end value`, original, site, `add the end, e.g. [${beg}:9]`);
  let step = 1;
  if (parts.length === 3) {
    if (!/^\d+$/.test(rawStep) || Number(rawStep) < 1) {
      fail(`host range step "${rawStep}" must be a positive integer`, original, site, `e.g. [${rawBeg}:${end}:2]`);
    }
    step = Number(rawStep);
  }
  const values = rangeValues(beg, end, step, body, original, site);
  if (values.length * Math.max(out.length, 1) > MAX_RANGE_HOSTS) {
    fail(`host range expands to more than ${MAX_RANGE_HOSTS} hosts`, original, site, 'check the bounds; split a huge range into groups');
  }
  // Later ranges in the same name multiply out, like Ansible's recursive expansion.
  for (const v of values) expandInto(head + v + tail, original, site, out);
}

function rangeValues(beg: string, end: string, step: number, body: string, original: string, site: RangeSite): string[] {
  const isNum = (s: string): boolean => /^\d+$/.test(s);
  const isLetter = (s: string): boolean => s.length === 1 && LETTERS.includes(s);
  if (isLetter(beg) && isLetter(end)) {
    const i = LETTERS.indexOf(beg);
    const j = LETTERS.indexOf(end);
    if (i > j) fail(`host range [${body}] starts after it ends`, original, site, `swap the bounds: [${end}:${beg}]`);
    const vals: string[] = [];
    for (let k = i; k <= j; k += step) vals.push(LETTERS.charAt(k));
    return vals;
  }
  if (!isNum(beg) || !isNum(end)) {
    fail(`host range [${body}] must use two numbers or two single letters`, original, site, 'e.g. [01:20] or [a:f]');
  }
  // A leading zero asks for zero padding to the width of the bounds, which must then agree.
  const padded = beg.length > 1 && beg.startsWith('0');
  if (padded && beg.length !== end.length) {
    fail(`host range [${body}] is zero-padded but its bounds have different widths`, original, site, `write both bounds with ${beg.length} digits, e.g. [${beg}:${end.padStart(beg.length, '0')}]`);
  }
  const from = Number(beg);
  const to = Number(end);
  if (from > to) fail(`host range [${body}] starts after it ends`, original, site, `swap the bounds: [${end}:${beg}]`);
  if ((to - from) / step >= MAX_RANGE_HOSTS) {
    fail(`host range expands to more than ${MAX_RANGE_HOSTS} hosts`, original, site, 'check the bounds; split a huge range into groups');
  }
  const vals: string[] = [];
  for (let n = from; n <= to; n += step) vals.push(padded ? String(n).padStart(beg.length, '0') : String(n));
  return vals;
}

/** A host entry as written in an inventory: one or more names (after ranges) and an optional port. */
export interface HostEntry {
  names: string[];
  port?: number;
}

const BRACKETED_IPV6 = /^\[([0-9A-Fa-f:.%]+)\](?::(\d+))?$/;

/**
 * Parse `name`, `name:port`, `web[1:3]:2222`, `[::1]:22` or a bare IPv6 address.
 * Colons inside range brackets are not port separators.
 */
export function parseHostEntry(entry: string, site: RangeSite = {}): HostEntry {
  const v6 = BRACKETED_IPV6.exec(entry);
  if (v6 && (v6[1] ?? '').split(':').length > 2) {
    return { names: [v6[1] ?? ''], ...(v6[2] !== undefined ? { port: checkPort(v6[2], entry, site) } : {}) };
  }
  const colons: number[] = [];
  let depth = 0;
  for (let i = 0; i < entry.length; i++) {
    const c = entry[i];
    if (c === '[') depth++;
    else if (c === ']') depth = Math.max(0, depth - 1);
    else if (c === ':' && depth === 0) colons.push(i);
  }
  // Two or more bare colons can only be an IPv6 address, which has no port in this form.
  if (colons.length !== 1) return { names: expandHostRange(entry, site) };
  const at = colons[0] ?? 0;
  const name = entry.slice(0, at);
  if (name === '') fail('host entry has no name before the port', entry, site, 'write name:port, e.g. web1:2222');
  return { names: expandHostRange(name, site), port: checkPort(entry.slice(at + 1), entry, site) };
}

function checkPort(raw: string, entry: string, site: RangeSite): number {
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= 65535)) {
    fail(`port "${raw}" in host entry is not a port number`, entry, site, 'write name:port with a port from 1 to 65535, e.g. web1:2222; an IPv6 address with a port goes in brackets: [2001:db8::1]:22');
  }
  return n;
}
