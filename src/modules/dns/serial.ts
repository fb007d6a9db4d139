// The SOA serial: one step up per run and zone file, date-shaped (YYYYMMDDnn) or a plain counter.
//
// Several dns_record tasks (or a loop) on one zone in one run must bump it once. kiln remembers, for
// the run, the serial it wrote into each zone file, keyed by the connection (one per target login in
// a run; delegate_to shares it) and the file's path. A later task that finds that very serial in the
// file changes records without bumping again. If the file carries another serial (a template task
// rewrote it since), the next serial is counted from the larger of the two, so the serial never goes
// back below one the server may already have loaded. The memory lives in the controller process for
// the run's connections only: a new run (a new connection) bumps again, as it must. Nothing is kept
// on the target. Check mode writes nothing and so remembers nothing: each task there shows the one
// bump the real run would make.

/** YYYYMMDDnn with a plausible date: such serials step to today's first revision, then +1. */
export function isDateShaped(serial: number): boolean {
  const m = /^(\d{4})(\d{2})(\d{2})\d{2}$/.exec(String(serial));
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return y >= 1970 && y <= 2199 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31;
}

/** The next serial after `serial`; `today` is YYYYMMDD (UTC). Serial arithmetic wraps at 2^32. */
export function nextSerial(serial: number, today: string): number {
  if (isDateShaped(serial)) {
    const first = Number(today) * 100 + 1;
    if (serial < first) return first;
  }
  return (serial + 1) % 2 ** 32;
}

/** RFC 1982: whether serial `a` is newer than `b`. */
export function serialNewer(a: number, b: number): boolean {
  return a !== b && ((a > b && a - b < 2 ** 31) || (a < b && b - a > 2 ** 31));
}

/** The serial this run gives the zone, and whether the file already has it. */
export function runSerial(fileSerial: number, writtenThisRun: number | undefined, today: string): { serial: number; bumped: boolean } {
  if (writtenThisRun === fileSerial) return { serial: fileSerial, bumped: false };
  const from = writtenThisRun !== undefined && serialNewer(writtenThisRun, fileSerial) ? writtenThisRun : fileSerial;
  return { serial: nextSerial(from, today), bumped: true };
}

/** Today as YYYYMMDD in UTC. */
export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10).replace(/-/g, '');
}

const written = new WeakMap<object, Map<string, number>>();

/** The serial this run wrote into `file` over `conn`, if any. */
export function serialWritten(conn: object, file: string): number | undefined {
  return written.get(conn)?.get(file);
}

/** Remember that this run wrote `serial` into `file` over `conn`. */
export function rememberSerial(conn: object, file: string, serial: number): void {
  let m = written.get(conn);
  if (!m) written.set(conn, (m = new Map()));
  m.set(file, serial);
}
