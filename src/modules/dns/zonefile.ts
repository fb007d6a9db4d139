// A BIND zone file, read as BIND reads it ($ORIGIN, $TTL, relative names, inherited owners and TTLs,
// parentheses, comments, quoted strings), and the records each line holds, with their byte offsets.
import { ModuleError } from '../../engine/errors.js';
import { absName } from './names.js';
import { type Entry, lex, type Token } from './tokens.js';

/** One resource record and where it is written. */
export interface ZoneRecord {
  /** Index of its entry in Zone.entries. */
  entry: number;
  owner: string;
  /** The TTL in effect, explicit or inherited. */
  ttl: number;
  /** The explicit TTL, when the line has one. */
  ttlToken?: Token;
  /** Index of the first token after the owner (TTL, class or type). */
  afterOwner: number;
  cls: string;
  type: string;
  rdata: Token[];
  /** $ORIGIN in force on this line. */
  origin: string;
}

/** What is in force after an entry: what a line inserted there is read with. */
export interface Context {
  origin: string;
  /** $TTL, when one was given. */
  defaultTtl?: number;
  /** The last record's TTL (a line without TTL inherits it when there is no $TTL). */
  lastTtl?: number;
  lastOwner?: string;
}

export interface Zone {
  /** The file as byte text (one char per byte). */
  text: string;
  origin: string;
  entries: Entry[];
  records: ZoneRecord[];
  /** Per entry: what is in force after it. */
  after: Context[];
  /** The zone's SOA (at the origin) and its serial. */
  soa: { record: ZoneRecord; serial: number; token: Token };
}

const TTL = /^(\d+|(\d+[wdhms])+)$/i;
const CLASS = /^(IN|CH|HS|CS|ANY|NONE|CLASS\d+)$/i;
const UNITS: Record<string, number> = { w: 604800, d: 86400, h: 3600, m: 60, s: 1 };

/** A TTL as BIND takes it: seconds, or units like 1h30m. */
export function parseTtl(raw: string): number {
  if (/^\d+$/.test(raw)) return Number(raw);
  let total = 0;
  for (const m of raw.toLowerCase().matchAll(/(\d+)([wdhms])/g)) total += Number(m[1]) * (UNITS[m[2] as string] as number);
  return total;
}

/** Parse a zone file of `zone` (absolute). `file` names it in errors. */
export function parseZone(text: string, zone: string, file: string): Zone {
  const entries = lex(text, file);
  const records: ZoneRecord[] = [];
  const after: Context[] = [];
  const ctx: Context = { origin: zone };
  const at = (e: Entry): string => `${file} line ${e.line}`;
  entries.forEach((e, i) => {
    const t = e.tokens;
    const first = t[0];
    if (first && !e.blankOwner && first.raw.startsWith('$')) directive(e, at(e), ctx);
    else if (first) {
      let k = 0;
      let owner: string;
      if (e.blankOwner) {
        if (ctx.lastOwner === undefined) throw new ModuleError(`${at(e)}: a record without owner name comes before any record that has one`);
        owner = ctx.lastOwner;
      } else {
        owner = absName(first.raw, ctx.origin);
        k = 1;
      }
      const afterOwner = k;
      let ttlToken: Token | undefined;
      let cls = 'IN';
      for (let n = 0; n < 2; n++) {
        const f = t[k];
        if (f && !f.quoted && ttlToken === undefined && TTL.test(f.raw)) ttlToken = f;
        else if (f && !f.quoted && CLASS.test(f.raw)) cls = f.raw.toUpperCase();
        else break;
        k++;
      }
      const typeToken = t[k];
      if (!typeToken || typeToken.quoted) throw new ModuleError(`${at(e)}: a record without a type`);
      const type = typeToken.raw.toUpperCase();
      const rdata = t.slice(k + 1);
      let ttl = ttlToken ? parseTtl(ttlToken.raw) : (ctx.defaultTtl ?? ctx.lastTtl);
      // BIND: with neither $TTL nor an earlier TTL, the SOA's minimum.
      if (ttl === undefined) ttl = type === 'SOA' && rdata[6] ? parseTtl(rdata[6].raw) : 0;
      const r: ZoneRecord = { entry: i, owner, ttl, afterOwner, cls, type, rdata, origin: ctx.origin };
      if (ttlToken) r.ttlToken = ttlToken;
      records.push(r);
      ctx.lastOwner = owner;
      ctx.lastTtl = ttl;
    }
    after.push({ ...ctx });
  });
  const soaRecord = records.find((r) => r.type === 'SOA' && r.owner === zone);
  if (!soaRecord) throw new ModuleError(`${file} has no SOA record for ${zone}; is it the zone file of ${zone}?`);
  const token = soaRecord.rdata[2];
  if (!token || !/^\d+$/.test(token.raw) || Number(token.raw) > 0xffffffff) {
    throw new ModuleError(`${file} line ${entries[soaRecord.entry]?.line}: the SOA serial ${token ? JSON.stringify(token.raw) : '(missing)'} is not a number from 0 to 4294967295`);
  }
  return { text, origin: zone, entries, records, after, soa: { record: soaRecord, serial: Number(token.raw), token } };
}

function directive(e: Entry, where: string, ctx: Context): void {
  const [d, arg] = e.tokens as [Token, Token | undefined];
  const name = d.raw.toUpperCase();
  if (name === '$INCLUDE') {
    throw new ModuleError(
      `${where}: $INCLUDE ${arg?.raw ?? ''} is not supported: dns_record edits the one zone file it is given and would not see (or keep the serial of) records in an included file; put the records it manages in the zone file itself`,
    );
  }
  if (name === '$GENERATE') throw new ModuleError(`${where}: $GENERATE is not supported: dns_record cannot tell which names it makes; write those records out, or manage this zone with backend: nsupdate`);
  if (!arg) throw new ModuleError(`${where}: ${d.raw} needs a value`);
  if (name === '$ORIGIN') ctx.origin = absName(arg.raw, ctx.origin);
  else if (name === '$TTL') {
    if (!TTL.test(arg.raw)) throw new ModuleError(`${where}: $TTL ${arg.raw} is not a TTL (seconds, or units like 1h)`);
    ctx.defaultTtl = parseTtl(arg.raw);
  } else throw new ModuleError(`${where}: unknown directive ${d.raw}; BIND knows $ORIGIN, $TTL, $INCLUDE and $GENERATE`);
}
