// The parse cache's form of a loaded YAML value (yaml_cache.ts): the tree the Converter made
// (yaml_parse.ts) with every map's and sequence's recorded locations and scalar sources, as
// compact JSON. Locations are stored without their file; decoding attaches the file it is given,
// so the same text under another path reports that path.
//
//   string | boolean | null | finite number       as JSON has them
//   [0, self, [k, v, …], [k, kl, kc, vl, vc, …], [k, text, style, oneLine, …]]   map (null prototype)
//   [1, self, [v, …], locs, sources]               sequence, keyed by index
//   [2, "NaN" | "Infinity" | "-Infinity" | "-0"]    numbers JSON cannot carry
//   [3, time]                                       Date (YAML 1.1 timestamps)
//   [4, base64, isBuffer]                           !!binary (a Buffer in node)
//
// self is [line, col], or 0 when unknown. A source's text is 0 when it is the string value itself,
// its style an index into STYLES (or the name). Anything else (bigint, Map, symbol…) is not encoded.
import type { Loc } from '../errors.js';
import { locOf, locsOfKeys, recordLocs, type KeyLocs } from './locations.js';
import { recordScalarSources, scalarSourcesOf, type ScalarSources } from './scalar_sources.js';

export type Encoded = null | boolean | number | string | Encoded[];

/** A value the cache cannot carry exactly: its document is parsed every time instead. */
export class Uncacheable extends Error {}

/** An entry that does not decode: the caller parses afresh and rewrites it. */
export class CorruptEntry extends Error {}

const MAP = 0;
const SEQ = 1;
const NUMBER = 2;
const DATE = 3;
const BYTES = 4;
const STYLES = ['PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE', 'BLOCK_LITERAL', 'BLOCK_FOLDED'];
const SPECIAL_NUMBERS = new Map<string, number>([
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['-0', -0],
]);

/** Encode a loaded value whose every location is in `file`; throws Uncacheable. */
export function encodeLoaded(value: unknown, file: string): Encoded {
  const seen = new Set<object>();
  const encode = (v: unknown): Encoded => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0) ? v : [NUMBER, Object.is(v, -0) ? '-0' : String(v)];
    if (typeof v !== 'object') throw new Uncacheable(`a ${typeof v} value`);
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto === Date.prototype) return [DATE, encode((v as Date).getTime())];
    if (proto === Buffer.prototype || proto === Uint8Array.prototype) {
      const bytes = v as Uint8Array;
      return [BYTES, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), proto === Buffer.prototype ? 1 : 0];
    }
    const isSeq = proto === Array.prototype && Array.isArray(v);
    if (!isSeq && proto !== null) throw new Uncacheable('an object that is neither a map nor a sequence');
    // The Converter never shares a map or sequence between two places; a decoded tree could not.
    if (seen.has(v)) throw new Uncacheable('a map or sequence in two places');
    seen.add(v);
    const keys = Object.keys(v);
    if (isSeq && keys.length !== (v as unknown[]).length) throw new Uncacheable('a sparse sequence');
    const items: Encoded[] = [];
    for (const k of keys) {
      if (!isSeq) items.push(k);
      items.push(encode((v as Record<string, unknown>)[k]));
    }
    return [isSeq ? SEQ : MAP, encodeLoc(locOf(v), file), items, encodeLocs(v, file), encodeSources(v)];
  };
  return encode(value);
}

function encodeLoc(loc: Loc | undefined, file: string): Encoded {
  if (loc === undefined) return 0;
  if (loc.file !== file) throw new Uncacheable(`a location in ${loc.file}`);
  return [loc.line, loc.col];
}

function encodeLocs(owner: object, file: string): Encoded[] {
  const locs = locsOfKeys(owner);
  if (!locs) throw new Uncacheable('a map or sequence without recorded locations');
  const out: Encoded[] = [];
  for (const [k, l] of locs) {
    if (l.key.file !== file || l.value.file !== file) throw new Uncacheable(`a location in ${l.key.file}`);
    out.push(k, l.key.line, l.key.col, l.value.line, l.value.col);
  }
  return out;
}

function encodeSources(owner: object): Encoded[] {
  const sources = scalarSourcesOf(owner);
  if (!sources) throw new Uncacheable('a map or sequence without recorded scalar sources');
  const out: Encoded[] = [];
  for (const [k, s] of sources) {
    const style = STYLES.indexOf(s.style);
    out.push(k, (owner as Record<string | number, unknown>)[k] === s.text ? 0 : s.text, style >= 0 ? style : s.style, s.oneLine ? 1 : 0);
  }
  return out;
}

/** Rebuild what encodeLoaded was given, its locations now in `file`; throws CorruptEntry. */
export function decodeLoaded(data: unknown, file: string): unknown {
  const decode = (e: unknown): unknown => {
    if (e === null || typeof e === 'string' || typeof e === 'boolean' || typeof e === 'number') return e;
    if (!Array.isArray(e)) throw new CorruptEntry('an object');
    switch (e[0]) {
      case MAP:
      case SEQ:
        return decodeCollection(e, file, decode);
      case NUMBER: {
        const n = SPECIAL_NUMBERS.get(e[1] as string);
        if (n === undefined) throw new CorruptEntry('a number');
        return n;
      }
      case DATE: {
        const time = decode(e[1]);
        if (typeof time !== 'number') throw new CorruptEntry('a date');
        return new Date(time);
      }
      case BYTES: {
        if (typeof e[1] !== 'string') throw new CorruptEntry('bytes');
        const bytes = Buffer.from(e[1], 'base64');
        return e[2] === 1 ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      }
      default:
        throw new CorruptEntry('a tag');
    }
  };
  return decode(data);
}

function decodeCollection(e: unknown[], file: string, decode: (e: unknown) => unknown): object {
  const [tag, self, items, locs, sources] = e;
  if (e.length !== 5 || !Array.isArray(items) || !Array.isArray(locs) || !Array.isArray(sources)) throw new CorruptEntry('a collection');
  const isSeq = tag === SEQ;
  let out: Record<string | number, unknown>;
  if (isSeq) {
    out = items.map(decode) as unknown as Record<number, unknown>;
  } else {
    if (items.length % 2) throw new CorruptEntry('a map');
    out = Object.create(null) as Record<string, unknown>;
    for (let i = 0; i < items.length; i += 2) out[asKey(items[i], false)] = decode(items[i + 1]);
  }
  if (locs.length % 5) throw new CorruptEntry('locations');
  const keyLocs: KeyLocs = new Map();
  for (let i = 0; i < locs.length; i += 5) {
    keyLocs.set(asKey(locs[i], isSeq), { key: loc(file, locs[i + 1], locs[i + 2]), value: loc(file, locs[i + 3], locs[i + 4]) });
  }
  recordLocs(out, self === 0 ? undefined : Array.isArray(self) ? loc(file, self[0], self[1]) : corrupt('a position'), keyLocs);
  if (sources.length % 4) throw new CorruptEntry('scalar sources');
  const scalars: ScalarSources = new Map();
  for (let i = 0; i < sources.length; i += 4) {
    const key = asKey(sources[i], isSeq);
    const [written, style, oneLine] = [sources[i + 1], sources[i + 2], sources[i + 3]];
    const text = written === 0 ? out[key] : written;
    const styleName = typeof style === 'number' ? STYLES[style] : style;
    if (typeof text !== 'string' || typeof styleName !== 'string' || (oneLine !== 0 && oneLine !== 1)) throw new CorruptEntry('a scalar source');
    scalars.set(key, { text, style: styleName, oneLine: oneLine === 1 });
  }
  recordScalarSources(out, scalars);
  return out;
}

function asKey(k: unknown, isSeq: boolean): string | number {
  if (isSeq ? typeof k !== 'number' : typeof k !== 'string') throw new CorruptEntry('a key');
  return k as string | number;
}

function loc(file: string, line: unknown, col: unknown): Loc {
  if (typeof line !== 'number' || typeof col !== 'number') throw new CorruptEntry('a position');
  return { file, line, col };
}

function corrupt(what: string): never {
  throw new CorruptEntry(what);
}
