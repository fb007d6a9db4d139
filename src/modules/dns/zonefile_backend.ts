// The zonefile backend: read a BIND zone file on the target, edit one record set, bump the serial
// once per run, check the candidate with named-checkzone before it atomically replaces the file,
// then reload the zone with rndc (or leave that to a handler).
import { ModuleError } from '../../engine/errors.js';
import type { ModuleContext } from '../../engine/module.js';
import type { Change } from '../../engine/result.js';
import { PutError } from '../../engine/connection/shell_connection.js';
import { describeChange, setText, type Want } from './recordset.js';
import { rememberSerial, runSerial, serialWritten, todayUtc } from './serial.js';
import { fromBytes } from './tokens.js';
import { editZone } from './zone_edit.js';
import { parseZone } from './zonefile.js';

/** What read found. */
export interface ZoneFileState {
  backend: 'zonefile';
  zone: string;
  file: string;
  /** The file as byte text (latin1), or null when it does not exist. */
  text: string | null;
  /** The serial this run already wrote into the file, if any. */
  written?: number;
  /** YYYYMMDD (UTC) when read: date-shaped serials step from it. */
  today: string;
  /** Check mode: the file or the tools come from an earlier task that only planned them. */
  pending?: string;
  /** With reload: what named has loaded (rndc zonestatus), when it answers, and the file's mtime. */
  loaded?: { serial: number; at: number };
  mtime?: number;
}

/** What apply does, decided by the plan. */
export type ZoneFileStep = { kind: 'write'; file: string; zone: string; bytes: string; serial: number } | { kind: 'reload'; zone: string };

const CHECK_PACKAGES = ['bind9', 'bind9-utils', 'bind9utils'];

// One round trip besides the file itself: a journal means the zone is dynamic (edits to the file
// would be lost or make named refuse the zone), and named-checkzone must be there to check it.
// With reload, what named has loaded: a file newer than that (a reload that failed, or was never
// made) is reloaded even when the records are already right. Args: file reload(0|1) zone.
const PROBE = `[ -e "$1.jnl" ] && echo journal
command -v named-checkzone >/dev/null 2>&1 && echo checkzone
if [ "$2" = 1 ]; then
  echo "mtime $(stat -c %Y -- "$1" 2>/dev/null)"
  rndc zonestatus "$3" 2>/dev/null | sed -n 's/^serial: /loaded_serial /p; s/^last loaded: /loaded_at /p'
fi
true`;

export async function readZoneFile(ctx: ModuleContext, zone: string, file: string, reload: boolean): Promise<ZoneFileState> {
  const state: ZoneFileState = { backend: 'zonefile', zone, file, text: null, today: todayUtc() };
  const written = serialWritten(ctx.conn, file);
  if (written !== undefined) state.written = written;
  const probe = await ctx.conn.script(PROBE, [file, reload ? '1' : '0', zone.slice(0, -1) || '.'], { becomeUser: ctx.becomeUser });
  const found = new Set(probe.stdout.split('\n'));
  const said = (key: string): string | undefined => probe.stdout.split('\n').find((l) => l.startsWith(`${key} `))?.slice(key.length + 1).trim();
  const [mtime, loadedSerial, loadedAt] = [Number(said('mtime')), Number(said('loaded_serial')), Date.parse(said('loaded_at') ?? '')];
  if (Number.isInteger(mtime) && mtime > 0) state.mtime = mtime;
  if (Number.isInteger(loadedSerial) && said('loaded_serial') !== '' && !Number.isNaN(loadedAt)) state.loaded = { serial: loadedSerial, at: Math.floor(loadedAt / 1000) };
  if (found.has('journal')) {
    throw new ModuleError(`${file}.jnl exists: ${zone} takes dynamic updates, and named keeps their changes in the journal, not in ${file}; use backend: nsupdate for this zone (or rndc freeze ${zone} before editing the file and rndc thaw after)`);
  }
  const bytes = await ctx.conn.get(file, { becomeUser: ctx.becomeUser });
  if (bytes === null) {
    const by = ctx.planned.path(file);
    if (by && by.state === 'file') state.pending = `${file} is planned by task '${by.task}'`;
    else throw new ModuleError(`zone file ${file} does not exist; create it first (with an SOA and NS records) or give the right zone_file`);
  } else state.text = bytes.toString('latin1');
  if (!found.has('checkzone')) {
    const planned = CHECK_PACKAGES.map((p) => [p, ctx.planned.get('package', p)] as const).find(([, v]) => v?.state === 'present');
    if (planned) state.pending ??= `named-checkzone comes with ${planned[0]}, planned for install by task '${planned[1]!.task}'`;
    else throw new ModuleError('named-checkzone is not installed: dns_record checks every zone file with it before installing it; install bind9-utils (package: name=bind9-utils)');
  }
  return state;
}

export interface ZonePlan {
  steps: { change: Change; do: ZoneFileStep }[];
  okReason?: string;
  data: Record<string, unknown>;
}

/** Pure: the file edit and the reload that give the zone `want`. */
export function planZoneFile(s: ZoneFileState, want: Want, reload: boolean, label: string): ZonePlan {
  const data: Record<string, unknown> = { backend: 'zonefile', zone: s.zone, zone_file: s.file, record: want.owner, type: want.type };
  if (s.text === null || s.pending !== undefined) {
    const change: Change = { summary: `${label} in ${s.file}`, pending: s.pending ?? `${s.file} is planned` };
    return { steps: [{ change, do: { kind: 'write', file: s.file, zone: s.zone, bytes: '', serial: 0 } }], data };
  }
  const zone = parseZone(s.text, s.zone, s.file);
  const serial = runSerial(zone.soa.serial, s.written, s.today);
  const edit = editZone(zone, want, s.file, serial.serial);
  data['before'] = edit.before.map((r) => fromBytes(r.key));
  data['value'] = edit.after.map((r) => fromBytes(r.key));
  if (edit.after[0]) data['ttl'] = edit.after[0].ttl;
  const reloadStep = (why: string): ZonePlan['steps'][number] => ({ change: { summary: `rndc reload ${s.zone.slice(0, -1) || '.'}${why}` }, do: { kind: 'reload', zone: s.zone } });
  if (!edit.changed) {
    data['serial'] = zone.soa.serial;
    const what = edit.after.length ? `is ${(data['value'] as string[]).join(', ')} (TTL ${edit.after[0]?.ttl})` : 'has no records';
    const stale = reload ? staleLoad(s, zone.soa.serial) : undefined;
    if (stale) return { steps: [reloadStep(`: ${stale}`)], data };
    return { steps: [], okReason: `${want.owner} ${want.type} in ${s.file} already ${what}`, data };
  }
  data['serial'] = serial.serial;
  const serialText = serial.bumped ? `SOA serial ${zone.soa.serial} -> ${serial.serial}` : `SOA serial ${serial.serial} already bumped by an earlier task of this run`;
  const header = `${want.owner} ${want.type} (${s.file})`;
  const change: Change = {
    summary: `${want.owner} ${want.type}: ${fromBytes(describeChange(edit.before, edit.after))} in ${s.file}; ${serialText}`,
    diff: { path: header, before: fromBytes(setText(want.owner, want.type, edit.before)), after: fromBytes(setText(want.owner, want.type, edit.after)), beforeHeader: header, afterHeader: header },
  };
  const steps: ZonePlan['steps'] = [{ change, do: { kind: 'write', file: s.file, zone: s.zone, bytes: edit.text, serial: serial.serial } }];
  if (reload) steps.push(reloadStep(''));
  return { steps, data };
}

/** Why named serves an older state of the file than the file holds, if it does. */
function staleLoad(s: ZoneFileState, serial: number): string | undefined {
  if (!s.loaded) return undefined;
  if (s.loaded.serial !== serial) return `named serves serial ${s.loaded.serial}, ${s.file} has ${serial}`;
  if (s.mtime !== undefined && s.mtime > s.loaded.at) return `${s.file} changed after named last loaded it`;
  return undefined;
}

/** Run one step. A candidate named-checkzone rejects is never installed: put validates before its rename. */
export async function applyZoneFileStep(ctx: ModuleContext, step: ZoneFileStep): Promise<{ stdout: string }> {
  if (step.kind === 'write') {
    if (!step.bytes) throw new ModuleError(`${step.file} was only planned when this task was planned; run again`);
    const zone = step.zone.slice(0, -1) || '.';
    try {
      await ctx.conn.put(Buffer.from(step.bytes, 'latin1'), step.file, { validate: ['named-checkzone', zone, '%s'], becomeUser: ctx.becomeUser });
    } catch (e) {
      if (!(e instanceof PutError)) throw e;
      if (e.rc !== 3) throw new ModuleError(e.message, { rc: e.rc, stderr: e.stderr });
      // named-checkzone names the temporary file it checked: say the real one.
      const said = e.stderr
        .replace(/\S*\/\.kiln\.[A-Za-z0-9]{8}/g, step.file)
        .split('\n')
        .filter((l) => !l.startsWith('kiln: validation failed'))
        .join('\n')
        .trim();
      throw new ModuleError(`named-checkzone ${zone} rejects ${step.file} with this change, so the file was not changed and named serves the zone as before:\n${said}`, { rc: e.rc, stderr: said });
    }
    rememberSerial(ctx.conn, step.file, step.serial);
    return { stdout: '' };
  }
  const zone = step.zone.slice(0, -1) || '.';
  const r = await ctx.conn.run(['rndc', 'reload', zone], { becomeUser: ctx.becomeUser, timeoutSec: 60 });
  if (r.rc !== 0) {
    throw new ModuleError(`rndc reload ${zone} failed (rc ${r.rc}): ${(r.stderr.trim() || r.stdout.trim()).split('\n').slice(-4).join('\n')}; the zone file is written, but named still serves the old data (the next run reloads it): is named running, and can rndc reach it? Or set reload: false and reload in a handler`, {
      rc: r.rc,
      stdout: r.stdout,
      stderr: r.stderr,
    });
  }
  return { stdout: r.stdout };
}
