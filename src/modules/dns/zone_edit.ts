// Change one record set in a zone file and keep every other byte: records kept are not touched,
// records rewritten get new data (and TTL) in place, new ones go after the set. The candidate is
// parsed again and must hold exactly the records expected, or nothing is written.
import { ModuleError } from '../../engine/errors.js';
import { relName } from './names.js';
import { parseRdata, type Rdata } from './rdata.js';
import { checkCname, decideSet, type Rr, type Want } from './recordset.js';
import { parseTtl, parseZone, type Zone, type ZoneRecord } from './zonefile.js';

export interface ZoneEdit {
  /** The new file (byte text); the same text when nothing changes. */
  text: string;
  changed: boolean;
  before: Rr[];
  after: Rr[];
}

interface Splice {
  start: number;
  end: number;
  text: string;
}

/**
 * Pure: the zone file with `want` applied, and `serial` written into the SOA when anything changed.
 * Throws ModuleError when a record of the set cannot be read or a CNAME would share its name.
 */
export function editZone(zone: Zone, want: Want, file: string, serial: number): ZoneEdit {
  const line = (r: ZoneRecord): string => `${file} line ${zone.entries[r.entry]?.line}`;
  const set = zone.records.filter((r) => r.owner === want.owner && r.type === want.type && r.cls === 'IN');
  const parsed = set.map((r) => parseRdata(want.type, r.rdata, r.origin, line(r)));
  const before: Rr[] = set.map((r, i) => ({ key: (parsed[i] as Rdata).key, ttl: r.ttl }));

  // New lines go after the set, else after the name's other records, else at the end.
  const sameName = zone.records.filter((r) => r.owner === want.owner);
  const at = (set.at(-1) ?? sameName.at(-1) ?? zone.records.at(-1))?.entry ?? zone.entries.length - 1;
  const ctxAt = zone.after[at] ?? { origin: zone.origin };
  const o = decideSet(before, want, ctxAt.defaultTtl ?? ctxAt.lastTtl ?? 3600);
  checkCname(
    want.owner,
    want.type,
    sameName.filter((r) => r.type !== want.type).map((r) => r.type),
    o.after.length,
  );
  if (o.drop.length === 0 && o.add.length === 0) return { text: zone.text, changed: false, before, after: o.after };
  const setTtl = o.after[0]?.ttl;

  // Rewrite in place where a record goes and another comes: first the same data with another TTL,
  // then any data for any; what remains is deleted or inserted.
  const adds = [...o.add];
  const rewrite = new Map<number, Rdata | null>();
  const deleted = new Set<number>();
  for (const i of o.drop) {
    const same = adds.findIndex((a) => a.key === before[i]?.key);
    if (same >= 0) {
      adds.splice(same, 1);
      rewrite.set(i, null);
    }
  }
  for (const i of o.drop) {
    if (rewrite.has(i)) continue;
    const next = adds.shift();
    if (next) rewrite.set(i, next);
    else deleted.add(i);
  }
  const setIndex = new Map(set.map((r, i) => [r.entry, i]));
  const byEntry = new Map(zone.records.map((r) => [r.entry, r]));

  const splices: Splice[] = [];
  const text = zone.text;
  let lastOwner: string | undefined;
  let lastTtl: number | undefined;
  zone.entries.forEach((e, ei) => {
    const rec = byEntry.get(ei);
    const si = setIndex.get(ei);
    if (rec && !(si !== undefined && deleted.has(si))) {
      const wantTtl = si !== undefined && setTtl !== undefined ? setTtl : rec.ttl;
      if (e.blankOwner && lastOwner !== rec.owner) splices.push({ start: e.start, end: e.start, text: relName(rec.owner, rec.origin) });
      const defaultTtl = zone.after[ei]?.defaultTtl;
      if (rec.ttlToken) {
        if (parseTtl(rec.ttlToken.raw) !== wantTtl) splices.push({ start: rec.ttlToken.start, end: rec.ttlToken.end, text: String(wantTtl) });
      } else if ((defaultTtl ?? lastTtl ?? rec.ttl) !== wantTtl) {
        const t = e.tokens[rec.afterOwner];
        if (t) splices.push({ start: t.start, end: t.start, text: `${wantTtl} ` });
      }
      const data = si !== undefined ? rewrite.get(si) : undefined;
      if (data) splices.push({ start: (rec.rdata[0] ?? e.tokens.at(-1))!.start, end: (rec.rdata.at(-1) ?? e.tokens.at(-1))!.end, text: data.text(rec.origin) });
      lastOwner = rec.owner;
      lastTtl = wantTtl;
    } else if (rec) splices.push({ start: e.start, end: e.end, text: '' });
    if (ei === at && adds.length && setTtl !== undefined) {
      const ctx = zone.after[ei] ?? { origin: zone.origin };
      const needTtl = (ctx.defaultTtl ?? lastTtl) !== setTtl;
      const ref = rec && si !== undefined && !e.parens && rec.rdata.length ? rec : undefined;
      const lines = adds.map((a) => (ref ? cloneLine(text, zone, ref, a, want.owner, setTtl, needTtl) : `${relName(want.owner, ctx.origin)}\t${needTtl ? `${setTtl}\t` : ''}IN\t${want.type}\t${a.text(ctx.origin)}`));
      // The file's own line ending, and no final newline where it has none.
      const nl = text.includes('\r\n') ? '\r\n' : '\n';
      const noFinalNewline = e.end === text.length && !text.endsWith('\n');
      splices.push({ start: e.end, end: e.end, text: noFinalNewline ? `${nl}${lines.join(nl)}` : lines.map((l) => `${l}${nl}`).join('') });
      lastOwner = want.owner;
      lastTtl = setTtl;
    }
  });
  splices.push({ start: zone.soa.token.start, end: zone.soa.token.end, text: String(serial) });

  let out = text;
  // From the end, so that offsets stay valid; at one offset, what was planned later goes in first.
  const ordered = splices.map((s, i) => ({ ...s, i })).sort((a, b) => b.start - a.start || b.i - a.i);
  for (const s of ordered) out = out.slice(0, s.start) + s.text + out.slice(s.end);
  verify(zone, out, want, o.after, serial, file);
  return { text: out, changed: true, before, after: o.after };
}

/** A new record written like `ref`, the set's last line: same owner column, separators and TTL style. */
function cloneLine(text: string, zone: Zone, ref: ZoneRecord, data: Rdata, owner: string, ttl: number, needTtl: boolean): string {
  const e = zone.entries[ref.entry]!;
  const first = ref.rdata[0]!;
  const last = ref.rdata.at(-1)!;
  const local: Splice[] = [{ start: first.start, end: last.end, text: data.text(ref.origin) }];
  if (ref.ttlToken) {
    if (parseTtl(ref.ttlToken.raw) !== ttl) local.push({ start: ref.ttlToken.start, end: ref.ttlToken.end, text: String(ttl) });
  } else if (needTtl) {
    const t = e.tokens[ref.afterOwner]!;
    local.push({ start: t.start, end: t.start, text: `${ttl} ` });
  }
  let out = text.slice(e.start, last.end);
  for (const s of local.sort((a, b) => b.start - a.start)) out = out.slice(0, s.start - e.start) + s.text + out.slice(s.end - e.start);
  return e.blankOwner ? `${relName(owner, ref.origin)}${out}` : out;
}

/** The candidate must read as the old zone with only this set (and the serial) changed. */
function verify(zone: Zone, candidate: string, want: Want, after: readonly Rr[], serial: number, file: string): void {
  const key = (r: ZoneRecord, z: Zone): string => {
    if (r.owner === want.owner && r.type === want.type && r.cls === 'IN') return `${r.owner} ${r.ttl} IN ${r.type} ${parseRdata(want.type, r.rdata, r.origin, file).key}`;
    const data = r === z.soa.record ? r.rdata.map((t, i) => (i === 2 ? 'SERIAL' : t.raw)) : r.rdata.map((t) => t.raw);
    return `${r.owner} ${r.ttl} ${r.cls} ${r.type} ${data.join(' ')} @${r.origin}`;
  };
  const isSet = (r: ZoneRecord): boolean => r.owner === want.owner && r.type === want.type && r.cls === 'IN';
  let next: Zone;
  try {
    next = parseZone(candidate, zone.origin, file);
  } catch (e) {
    throw new ModuleError(`dns_record made a zone file it cannot read back (${(e as Error).message}); ${file} was not changed. This is a bug in dns_record: please report it with the file`);
  }
  const expected = [...zone.records.filter((r) => !isSet(r)).map((r) => key(r, zone)), ...after.map((r) => `${want.owner} ${r.ttl} IN ${want.type} ${r.key}`)].sort();
  const got = next.records.map((r) => key(r, next)).sort();
  const missing = expected.filter((x) => !got.includes(x));
  const extra = got.filter((x) => !expected.includes(x));
  if (missing.length || extra.length || next.soa.serial !== serial) {
    throw new ModuleError(
      `dns_record's edit of ${file} would change more than ${want.owner} ${want.type} (lost: ${missing.join('; ') || 'none'}; gained: ${extra.join('; ') || 'none'}); the file was not changed. This is a bug in dns_record: please report it with the file`,
    );
  }
}
