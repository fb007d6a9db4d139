// A record set (one name, one type) as data, what a task asks of it, and the rule that a CNAME
// stands alone. Both backends plan with these.
import { ModuleError } from '../../engine/errors.js';
import type { Rdata, RrType } from './rdata.js';

/** A record of the set: its canonical data and TTL. */
export interface Rr {
  key: string;
  ttl: number;
}

/** What the task asks: the whole set (present), some values gone (absent with values), or no set (absent). */
export interface Want {
  owner: string;
  type: RrType;
  state: 'present' | 'absent';
  /** present: the whole set; absent: the values to remove (none given: the whole set). */
  values: Rdata[];
  /** Asked TTL; undefined keeps the set's. */
  ttl?: number;
}

/** The set after the task: kept records (same key, asked TTL) and the keys to add. */
export interface Outcome {
  after: Rr[];
  /** Indexes into `before` of the records that stay as they are. */
  keep: Set<number>;
  /** Indexes into `before` to remove or rewrite. */
  drop: number[];
  /** Records to write that are not there (key, and the Rdata to write). */
  add: Rdata[];
}

/** Pure: which records of `before` stay, go, or come, for `want`. `defaultTtl` is a new set's TTL. */
export function decideSet(before: readonly Rr[], want: Want, defaultTtl: number): Outcome {
  const keep = new Set<number>();
  const drop: number[] = [];
  const seen = new Set<string>();
  if (want.state === 'absent') {
    const gone = new Set(want.values.map((v) => v.key));
    before.forEach((r, i) => (want.values.length === 0 || gone.has(r.key) ? drop.push(i) : keep.add(i)));
    return { after: before.filter((_, i) => keep.has(i)), keep, drop, add: [] };
  }
  const wanted = new Map(want.values.map((v) => [v.key, v]));
  const setTtl = want.ttl ?? before[0]?.ttl ?? defaultTtl;
  before.forEach((r, i) => {
    if (wanted.has(r.key) && !seen.has(r.key) && r.ttl === setTtl) {
      keep.add(i);
      seen.add(r.key);
    } else drop.push(i);
  });
  const add = [...wanted.values()].filter((v) => !seen.has(v.key));
  return { after: [...wanted.values()].map((v) => ({ key: v.key, ttl: setTtl })), keep, drop, add };
}

/** A name with a CNAME has no other data (RFC 1034 3.6.2; DNSSEC records aside). */
export function checkCname(owner: string, type: RrType, othersAtName: readonly string[], setAfter: number): void {
  if (setAfter === 0) return;
  const others = [...new Set(othersAtName.filter((t) => t !== type && !DNSSEC.has(t)))];
  if (type === 'CNAME' && others.length) {
    throw new ModuleError(`${owner} has ${others.join(', ')} records, so it cannot have a CNAME: a name with a CNAME holds no other data; remove those records first (state: absent), or put the CNAME on another name`);
  }
  if (type !== 'CNAME' && others.includes('CNAME')) {
    throw new ModuleError(`${owner} has a CNAME, so it cannot have ${type} records: a name with a CNAME holds no other data; remove the CNAME first (type: CNAME, state: absent), or use another name`);
  }
}

const DNSSEC = new Set(['RRSIG', 'NSEC', 'NSEC3', 'KEY']);

/** The set as zone-file lines, for diffs: "www.foobar.com. 3600 IN A 8.8.8.8". */
export function setText(owner: string, type: string, set: readonly Rr[]): string {
  return set.map((r) => `${owner} ${r.ttl} IN ${type} ${r.key}\n`).join('');
}

/** A short human phrase for the change: "add 8.8.8.8", "remove 1.2.3.4", "TTL 300 -> 3600". */
export function describeChange(before: readonly Rr[], after: readonly Rr[]): string {
  const b = new Set(before.map((r) => r.key));
  const a = new Set(after.map((r) => r.key));
  const parts: string[] = [];
  const added = [...a].filter((k) => !b.has(k));
  const removed = [...b].filter((k) => !a.has(k));
  if (added.length) parts.push(`add ${added.join(', ')}`);
  if (removed.length) parts.push(`remove ${removed.join(', ')}`);
  const tb = before[0]?.ttl;
  const ta = after[0]?.ttl;
  if (!added.length && !removed.length && tb !== undefined && ta !== undefined && before.some((r) => r.ttl !== ta)) parts.push(`TTL ${tb} -> ${ta}`);
  else if (!added.length && !removed.length && before.length !== after.length) parts.push('remove duplicate records');
  return parts.join(', ') || 'rewrite';
}
