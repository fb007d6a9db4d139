// Domain names as zone files write them: absolute with a trailing dot, relative to an origin, or @.
// Text here is "byte text": one char per byte (latin1), so any bytes of a zone file round-trip.
import { ModuleError } from '../../engine/errors.js';

/** A name made absolute (lower case, trailing dot) against `origin` (itself absolute). */
export function absName(name: string, origin: string): string {
  if (name === '@') return origin;
  if (endsWithDot(name)) return lower(name);
  return lower(origin === '.' ? `${name}.` : `${name}.${origin}`);
}

/** How to write the absolute `name` where `origin` is in force: @, relative, or absolute. */
export function relName(name: string, origin: string): string {
  if (name === origin) return '@';
  if (origin !== '.' && name.endsWith(`.${origin}`)) return name.slice(0, -origin.length - 1);
  return name;
}

/** The zone as the user wrote it ("foobar.com" or "foobar.com."), made absolute. */
export function zoneName(zone: string): string {
  const z = zone.trim();
  if (z === '' || z === '.') return '.';
  const abs = endsWithDot(z) ? lower(z) : `${lower(z)}.`;
  checkName(abs, 'zone');
  return abs;
}

/** Whether `name` lies in `zone` (both absolute). */
export function inZone(name: string, zone: string): boolean {
  return zone === '.' || name === zone || name.endsWith(`.${zone}`);
}

/**
 * The record's owner: `@`, relative to the zone, or absolute with a trailing dot. A relative name
 * that already ends with the zone ("www.foobar.com" in foobar.com) is almost always a missing dot.
 */
export function recordName(record: string, zone: string): string {
  const r = record.trim();
  if (r === '') throw new ModuleError('record is empty; give a name relative to the zone (www), @ for the zone itself, or an absolute name with a trailing dot (www.foobar.com.)');
  const abs = absName(r, zone);
  if (!endsWithDot(r) && r !== '@' && zone !== '.' && (lower(r) === zone.slice(0, -1) || lower(r).endsWith(`.${zone.slice(0, -1)}`))) {
    throw new ModuleError(
      `record ${JSON.stringify(record)} is relative, so it means ${abs}; write it relative to the zone (${relName(absName(`${r}.`, '.'), zone)}) or absolute with a trailing dot (${lower(r)}.)`,
    );
  }
  checkName(abs, 'record');
  if (!inZone(abs, zone)) throw new ModuleError(`record ${JSON.stringify(record)} (${abs}) is not in zone ${zone}; give a name inside the zone`);
  return abs;
}

/** Throws unless `abs` is a well-formed absolute name: labels of 1-63 bytes, 255 bytes in all. */
export function checkName(abs: string, what: string): void {
  if (abs === '.') return;
  const labels = splitLabels(abs.slice(0, -1));
  const bad = labels.find((l) => l.length === 0 || l.length > 63);
  if (bad !== undefined || abs.length > 255 || /[\s;()"]/.test(abs.replace(/\\./g, ''))) {
    throw new ModuleError(`${what} ${JSON.stringify(abs)} is not a valid domain name: each dot-separated label has 1 to 63 characters, no spaces, quotes, parentheses or semicolons`);
  }
}

/** A name's labels, honouring backslash escapes (a\.b is one label). */
export function splitLabels(name: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < name.length; i++) {
    const c = name[i] as string;
    if (c === '\\' && i + 1 < name.length) {
      cur += c + (name[i + 1] as string);
      i++;
    } else if (c === '.') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function endsWithDot(name: string): boolean {
  // "a\." ends with an escaped dot: still relative.
  const m = /(\\*)\.$/.exec(name);
  return m !== null && (m[1] as string).length % 2 === 0;
}

/** DNS names compare without regard to ASCII case. */
function lower(name: string): string {
  return name.replace(/[A-Z]/g, (c) => c.toLowerCase());
}
