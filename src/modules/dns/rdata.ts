// The record types dns_record manages: each value checked, and brought to one canonical key so that
// "2001:DB8::1" in a task, "2001:db8:0::1" in a zone file and dig's answer compare equal.
import { isIPv6 } from 'node:net';
import { ModuleError } from '../../engine/errors.js';
import { absName, checkName, relName } from './names.js';
import { lex, quoteString, type Token, toBytes } from './tokens.js';

export const RR_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS', 'SRV', 'CAA', 'PTR'] as const;
export type RrType = (typeof RR_TYPES)[number];

/** One record's data, parsed. */
export interface Rdata {
  /** Canonical: absolute lower-case names, compressed IPv6, quoted strings. Equal keys, equal records. */
  key: string;
  /** How to write it where `origin` is in force (names made relative when they can be). */
  text(origin: string): string;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The data of a record of `type` from its tokens in a zone file (or dig's answer). */
export function parseRdata(type: RrType, tokens: readonly Token[], origin: string, where: string): Rdata {
  const bad = (what: string): never => {
    throw new ModuleError(`${where}: ${type} data ${JSON.stringify(tokens.map((t) => t.raw).join(' '))} ${what}`);
  };
  const count = (n: number, shape: string): void => {
    if (tokens.length !== n) bad(`is not ${shape}`);
  };
  const int = (t: Token, max: number, what: string): number => {
    if (t.quoted || !/^\d+$/.test(t.raw) || Number(t.raw) > max) bad(`has ${what} ${t.raw}, which is not a number from 0 to ${max}`);
    return Number(t.raw);
  };
  const name = (t: Token): string => {
    if (t.quoted) bad('has a quoted name');
    const abs = absName(t.raw, origin);
    checkName(abs, `${where}: ${type} target`);
    return abs;
  };
  const fixed = (key: string): Rdata => ({ key, text: () => key });
  const t = tokens as Token[];
  switch (type) {
    case 'A':
      count(1, 'one IPv4 address');
      if (!IPV4.test(t[0]!.raw)) bad('is not an IPv4 address (like 192.0.2.10)');
      return fixed(t[0]!.raw);
    case 'AAAA':
      count(1, 'one IPv6 address');
      if (!isIPv6(t[0]!.raw)) bad('is not an IPv6 address (like 2001:db8::10)');
      return fixed(canonicalIPv6(t[0]!.raw));
    case 'CNAME':
    case 'NS':
    case 'PTR': {
      count(1, 'one domain name');
      const n = name(t[0]!);
      return { key: n, text: (o) => relName(n, o) };
    }
    case 'MX': {
      count(2, 'a preference and a mail server name (like 10 mail)');
      const pref = int(t[0]!, 65535, 'preference');
      const n = name(t[1]!);
      return { key: `${pref} ${n}`, text: (o) => `${pref} ${relName(n, o)}` };
    }
    case 'SRV': {
      count(4, 'priority, weight, port and target (like 0 5 5060 sip)');
      const [p, w, port] = [int(t[0]!, 65535, 'priority'), int(t[1]!, 65535, 'weight'), int(t[2]!, 65535, 'port')];
      const n = name(t[3]!);
      return { key: `${p} ${w} ${port} ${n}`, text: (o) => `${p} ${w} ${port} ${relName(n, o)}` };
    }
    case 'TXT': {
      if (tokens.length === 0) bad('is empty');
      for (const s of tokens) if (s.value.length > 255) bad(`has a string of ${s.value.length} bytes; one string holds at most 255 (split it into several quoted strings)`);
      return fixed(tokens.map((s) => quoteString(s.value)).join(' '));
    }
    case 'CAA': {
      count(3, 'flags, a tag and a value (like 0 issue "letsencrypt.org")');
      const flags = int(t[0]!, 255, 'flags');
      if (t[1]!.quoted || !/^[A-Za-z0-9]+$/.test(t[1]!.raw)) bad(`has tag ${t[1]!.raw}, which is not letters and digits (issue, issuewild, iodef)`);
      return fixed(`${flags} ${t[1]!.raw.toLowerCase()} ${quoteString(t[2]!.value)}`);
    }
  }
}

/**
 * A task's value: zone-file syntax (names relative to the zone, quoted strings), except that a TXT
 * value not starting with a quote is one text (split into 255-byte strings), as nsupdate users write it.
 */
export function parseValue(type: RrType, value: string, zone: string): Rdata {
  const where = `value ${JSON.stringify(value)}`;
  if (/[\n\r]/.test(value)) throw new ModuleError(`${where} has a line break; give one record per list item`);
  const bytes = toBytes(value);
  if (type === 'TXT' && !bytes.trimStart().startsWith('"')) {
    const parts: Token[] = [];
    for (let i = 0; i === 0 || i < bytes.length; i += 255) parts.push({ raw: '', value: bytes.slice(i, i + 255), quoted: true, start: 0, end: 0 });
    return parseRdata(type, parts, zone, where);
  }
  const entries = lex(bytes, where).filter((e) => e.tokens.length > 0);
  return parseRdata(type, entries[0]?.tokens ?? [], zone, where);
}

/** RFC 5952: lower case, no leading zeros, the longest run of two or more zero groups as ::. */
export function canonicalIPv6(addr: string): string {
  let text = addr.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = (v4[1] as string).split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -(v4[1] as string).length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const h = head ? head.split(':') : [];
  const tl = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - tl.length).fill('0'), ...tl];
  const nums = groups.map((g) => Number.parseInt(g, 16).toString(16));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (nums[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && nums[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return nums.join(':');
  return `${nums.slice(0, best).join(':')}::${nums.slice(best + bestLen).join(':')}`;
}

/** Whether `type` is one dns_record manages. */
export function isRrType(type: string): type is RrType {
  return (RR_TYPES as readonly string[]).includes(type);
}
