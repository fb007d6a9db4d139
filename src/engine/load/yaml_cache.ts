// A content-addressed cache of parsed YAML, like Python's __pycache__: an entry holds what
// yaml_parse.ts made of a text (yaml_codec.ts), named by the sha256 of the text and of everything
// that shapes the result. A run whose YAML all hits never loads the yaml package. Only successful
// parses are stored; any failure to read, decode or write means a normal parse, never an error.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, futimesSync, lstatSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yamlPackage from 'yaml/package.json' with { type: 'json' };
import { packageJson } from '../paths.js';
import { cacheDir } from './cache_dir.js';
import { decodeLoaded, encodeLoaded } from './yaml_codec.js';

/** Bump when yaml_parse.ts or yaml_codec.ts change what they produce. */
const FORMAT = 1;
/** The parse options of yaml_parse.ts that shape the result. */
const PARSE_OPTIONS = 'yaml 1.1, pyyaml booleans, merge keys, unique keys';
const DAY = 24 * 60 * 60 * 1000;
/** Entries not used for this long are removed (checked at most once a day, when writing). */
const KEEP = 30 * DAY;
const STAMP = '.pruned';
const LONE_SURROGATE = /\p{Cs}/u;

/** One text's place in the cache. */
export interface CacheSlot {
  path: string;
  key: string;
}

let salt: string | undefined;

/** The slot of `source`, or undefined when the cache is off or cannot be trusted (cache_dir.ts). */
export function cacheSlot(source: string): CacheSlot | undefined {
  // sha256 reads a string as UTF-8, where every lone surrogate becomes U+FFFD: two texts would
  // share a key. Files never hold one (they are decoded from UTF-8); other texts may.
  if (LONE_SURROGATE.test(source)) return undefined;
  const dir = cacheDir('yaml');
  if (dir === undefined) return undefined;
  // In the built kiln, import.meta.url names the content-hashed engine bundle: a rebuilt engine
  // never reads what another build wrote, even under the same version.
  salt ??= [FORMAT, packageJson().version, yamlPackage.version, PARSE_OPTIONS, import.meta.url].join('\0');
  const key = createHash('sha256').update(salt).update('\0').update(source).digest('hex');
  return { path: join(dir, `${key}.json`), key };
}

/**
 * What `slot` holds: the parsed value (its locations in `file`), or `failed` for a text known not
 * to parse (probeYaml's entries); undefined when missing or unreadable.
 */
export function readCached(slot: CacheSlot, file: string): { value: unknown } | { failed: true } | undefined {
  let fd: number;
  try {
    fd = openSync(slot.path, 'r');
  } catch {
    return undefined;
  }
  try {
    const mtime = fstatSync(fd).mtimeMs;
    const data: unknown = JSON.parse(readFileSync(fd, 'utf8'));
    if (!Array.isArray(data) || data[0] !== FORMAT || data[1] !== slot.key) return undefined;
    if (data.length !== 2 && data.length !== 3) return undefined;
    const hit = data.length === 2 ? ({ failed: true } as const) : { value: decodeLoaded(data[2], file) };
    // Pruning goes by mtime: mark the entry used, at most once a day.
    if (Date.now() - mtime > DAY) futimesSync(fd, new Date(), new Date());
    return hit;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Store a freshly parsed value in `slot`: a temp file in the same folder, renamed over the entry,
 * so a reader sees the old entry or the new one, never a part. A value the codec cannot carry,
 * or any write failure, leaves no entry (and no temp file) behind.
 */
export function writeCached(slot: CacheSlot, value: unknown, file: string): void {
  let text: string;
  try {
    text = JSON.stringify([FORMAT, slot.key, encodeLoaded(value, file)]);
  } catch {
    return;
  }
  writeEntry(slot, text);
}

/** Remember that the text of `slot` does not parse (only its key is stored, never the error). */
export function writeFailed(slot: CacheSlot): void {
  writeEntry(slot, JSON.stringify([FORMAT, slot.key]));
}

function writeEntry(slot: CacheSlot, text: string): void {
  const tmp = `${slot.path}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`;
  try {
    writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, slot.path);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // never written
    }
    return;
  }
  pruneDaily(join(slot.path, '..'));
}

let pruned = false;

/** Remove entries unused for 30 days (and stale temp files), at most once a day per folder. */
function pruneDaily(dir: string, now = Date.now()): void {
  if (pruned) return;
  pruned = true;
  const stamp = join(dir, STAMP);
  try {
    if (now - lstatSync(stamp).mtimeMs < DAY) return;
  } catch {
    // no stamp yet: prune now
  }
  try {
    writeFileSync(stamp, '', { mode: 0o600 });
    for (const name of readdirSync(dir)) {
      const age = name.endsWith('.json') ? KEEP : name.endsWith('.tmp') ? DAY : undefined;
      if (age === undefined) continue;
      const path = join(dir, name);
      try {
        if (now - lstatSync(path).mtimeMs > age) unlinkSync(path);
      } catch {
        // another kiln pruned it first
      }
    }
  } catch {
    // an unreadable folder is simply not pruned
  }
}

/** Prune now whatever the stamp says (tests). */
export function pruneCache(dir: string, now = Date.now()): void {
  pruned = false;
  try {
    unlinkSync(join(dir, STAMP));
  } catch {
    // no stamp
  }
  pruneDaily(dir, now);
}
