// The nsupdate backend: read the record set from the zone's primary server (dig), then change it by
// one RFC 2136 update (nsupdate) whose prerequisites say "the set is still what was read", so a
// concurrent change fails the task instead of being overwritten. Both run on the target.
import { ModuleError } from '../../engine/errors.js';
import type { ModuleContext } from '../../engine/module.js';
import type { Change } from '../../engine/result.js';
import { scrub } from '../../engine/secret.js';
import { inZone } from './names.js';
import { parseRdata, type RrType } from './rdata.js';
import { checkCname, decideSet, describeChange, type Rr, setText, type Want } from './recordset.js';
import { digProblem, type DigResult, lastLines, parseDigRuns, READ_SCRIPT, type Server, UPDATE_SCRIPT } from './nsupdate.js';
import { fromBytes } from './tokens.js';

export interface NsupdateState {
  backend: 'nsupdate';
  zone: string;
  /** The set as the server answers it. */
  before: Rr[];
  /** The other types at the name (for the CNAME rule); only read when it matters. */
  others: string[];
  /** Check mode: the server or dig come from an earlier task that only planned them. */
  pending?: string;
}

export interface NsupdateStep {
  kind: 'update';
  owner: string;
  type: RrType;
  /** nsupdate's input, without the key. */
  commands: string;
  /** The set the server must answer afterwards. */
  expect: Rr[];
}

const DIG_PACKAGES = ['bind9-dnsutils', 'dnsutils'];
const SERVER_PACKAGES = ['bind9'];

function where(s: Server): string {
  return `DNS server ${s.server} port ${s.port}`;
}

/** Script arguments shared by read and update. */
function head(s: Server): string[] {
  return [s.keyLine ? '1' : '0', s.server, String(s.port), s.protocol];
}

function stdinFor(s: Server, rest = ''): string | undefined {
  return s.keyLine ? `${s.keyLine}\n${rest}` : rest || undefined;
}

/** A pending reason when an earlier task would provide what is missing, else undefined. */
function plannedFix(ctx: ModuleContext, names: readonly string[], why: string): string | undefined {
  for (const n of names) {
    const p = ctx.planned.get('package', n);
    if (p?.state === 'present') return `${why}; ${n} is planned for install by task '${p.task}'`;
  }
  for (const n of ['named', 'bind9']) {
    const p = ctx.planned.get('service', n);
    if (p?.state === 'started') return `${why}; ${n} is planned to start by task '${p.task}'`;
  }
  return undefined;
}

/** Read the set (and, for a CNAME, every type at the name); find the zone from the SOA when none is given. */
export async function readNsupdate(ctx: ModuleContext, s: Server, owner: string, type: RrType, zone: string | undefined, needOthers: boolean): Promise<NsupdateState> {
  const args = [...head(s), owner, type, needOthers ? '1' : '0', zone === undefined ? '1' : '0'];
  const r = await ctx.conn.script(READ_SCRIPT, args, { stdin: stdinFor(s), becomeUser: ctx.becomeUser });
  const out = clean(s, r.stdout + r.stderr);
  if (/kiln-dns: missing dig/.test(out)) {
    const pending = plannedFix(ctx, DIG_PACKAGES, 'dig is not installed yet');
    if (pending) return { backend: 'nsupdate', zone: zone ?? '', before: [], others: [], pending };
    throw new ModuleError('dig is not installed on this host: dns_record reads the record set with dig and changes it with nsupdate; install bind9-dnsutils');
  }
  if (r.rc !== 0) throw new ModuleError(`reading ${owner} ${type} from ${where(s)} failed (rc ${r.rc}): ${lastLines(out)}`);
  const runs = parseDigRuns(out);
  let i = 0;
  let z = zone;
  if (zone === undefined) {
    const soa = runs[i++];
    const problem = soa && digProblem(soa, where(s));
    if (!soa || problem) return unanswered(ctx, problem ?? `no answer from ${where(s)}`, '');
    const rec = soa.records.find((x) => x.type === 'SOA');
    if (!rec) throw new ModuleError(`${where(s)} names no zone for ${owner} (no SOA in its answer); give zone:`);
    z = rec.owner;
  }
  const set = runs[i++];
  const problem = set ? digProblem(set, where(s)) : `no answer from ${where(s)}`;
  if (!set || problem) return unanswered(ctx, problem ?? '', z ?? '');
  const state: NsupdateState = { backend: 'nsupdate', zone: z ?? '', before: setFrom(set, owner, type, where(s)), others: [] };
  const any = needOthers ? runs[i] : undefined;
  if (any) {
    const p = digProblem(any, where(s));
    if (p) throw new ModuleError(p);
    state.others = [...new Set(any.records.filter((x) => x.owner === owner).map((x) => x.type))];
  }
  // A CNAME at the name shows in the answer to any type.
  if (type !== 'CNAME' && set.records.some((x) => x.owner === owner && x.type === 'CNAME')) state.others.push('CNAME');
  return state;
}

function unanswered(ctx: ModuleContext, problem: string, zone: string): NsupdateState {
  const pending = plannedFix(ctx, SERVER_PACKAGES, problem);
  if (pending) return { backend: 'nsupdate', zone, before: [], others: [], pending };
  throw new ModuleError(problem);
}

/** The records of `type` at `owner` in a dig answer (a CNAME chain's other names left out). */
function setFrom(r: DigResult, owner: string, type: RrType, from: string): Rr[] {
  return r.records.filter((x) => x.owner === owner && x.type === type).map((x) => ({ key: parseRdata(type, x.rdata, '.', `${from}'s answer`).key, ttl: x.ttl }));
}

export interface NsPlan {
  steps: { change: Change; do: NsupdateStep }[];
  okReason?: string;
  data: Record<string, unknown>;
}

/** Pure: the one update that gives the server `want`, guarded by prerequisites on what was read. */
export function planNsupdate(st: NsupdateState, want: Want, server: Omit<Server, 'keyLine'>, defaultTtl: number, label: string): NsPlan {
  const data: Record<string, unknown> = { backend: 'nsupdate', zone: st.zone, record: want.owner, type: want.type, server: server.server };
  if (st.pending !== undefined) {
    return { steps: [{ change: { summary: `${label} on ${where({ ...server })}`, pending: st.pending }, do: { kind: 'update', owner: want.owner, type: want.type, commands: '', expect: [] } }], data };
  }
  if (!inZone(want.owner, st.zone)) throw new ModuleError(`record ${want.owner} is not in zone ${st.zone}`);
  const o = decideSet(st.before, want, want.ttl ?? defaultTtl);
  checkCname(want.owner, want.type, st.others, o.after.length);
  data['before'] = st.before.map((r) => fromBytes(r.key));
  data['value'] = o.after.map((r) => fromBytes(r.key));
  if (o.after[0]) data['ttl'] = o.after[0].ttl;
  if (o.drop.length === 0 && o.add.length === 0) {
    const what = o.after.length ? `is ${(data['value'] as string[]).join(', ')} (TTL ${o.after[0]?.ttl})` : 'has no records';
    return { steps: [], okReason: `${want.owner} ${want.type} on ${where({ ...server })} already ${what}`, data };
  }
  const header = `${want.owner} ${want.type} (zone ${st.zone} on ${server.server})`;
  const change: Change = {
    summary: `${want.owner} ${want.type}: ${fromBytes(describeChange(st.before, o.after))} (dynamic update to ${server.server} port ${server.port})`,
    diff: { path: header, before: fromBytes(setText(want.owner, want.type, st.before)), after: fromBytes(setText(want.owner, want.type, o.after)), beforeHeader: header, afterHeader: header },
  };
  return { steps: [{ change, do: { kind: 'update', owner: want.owner, type: want.type, commands: updateText(st, want, o.after, server), expect: o.after } }], data };
}

/** nsupdate's input: prerequisites that the set is still as read, then the deletes and adds. */
export function updateText(st: NsupdateState, want: Want, after: readonly Rr[], server: Omit<Server, 'keyLine'>): string {
  const n = want.owner;
  const t = want.type;
  const lines = [`server ${server.server} ${server.port}`, `zone ${st.zone}`];
  if (st.before.length === 0) lines.push(`prereq nxrrset ${n} IN ${t}`);
  else for (const r of st.before) lines.push(`prereq yxrrset ${n} IN ${t} ${r.key}`);
  const keys = new Set(after.map((r) => r.key));
  const ttlChanges = after.length > 0 && st.before.some((r) => keys.has(r.key) && r.ttl !== after[0]?.ttl);
  if (after.length === 0 || ttlChanges) lines.push(`update delete ${n} IN ${t}`);
  else for (const r of st.before) if (!keys.has(r.key)) lines.push(`update delete ${n} IN ${t} ${r.key}`);
  const had = new Set(ttlChanges ? [] : st.before.map((r) => r.key));
  for (const r of after) if (!had.has(r.key)) lines.push(`update add ${n} ${r.ttl} IN ${t} ${r.key}`);
  lines.push('send', '');
  return lines.join('\n');
}

/** Send the update, then check that the server answers the planned set (it silently drops some updates, like a CNAME beside other data). */
export async function applyNsupdate(ctx: ModuleContext, s: Server, step: NsupdateStep): Promise<{ stdout: string }> {
  if (!step.commands) throw new ModuleError('this update was only planned (check mode); run again');
  const want = { owner: step.owner, type: step.type };
  const r = await ctx.conn.script(UPDATE_SCRIPT, [...head(s), want.owner, want.type], { stdin: stdinFor(s, step.commands), becomeUser: ctx.becomeUser });
  const out = clean(s, r.stdout + r.stderr);
  if (/kiln-dns: missing (dig|nsupdate)/.test(out)) throw new ModuleError('nsupdate or dig is not installed on this host; install bind9-dnsutils');
  const m = /^== nsupdate (\d+)$/m.exec(out);
  const said = lastLines(out.slice(0, m?.index ?? out.length));
  if (r.rc !== 0 || !m || m[1] !== '0') {
    const hint = /NXRRSET|YXRRSET/.test(said)
      ? `; ${want.owner} ${want.type} changed on the server since it was read: run again`
      : /NOTAUTH|BADKEY|BADSIG|tsig/i.test(said)
        ? '; the server does not accept the key: check key_name, key_secret, key_algorithm and the zone\'s update-policy'
        : /REFUSED/.test(said)
          ? "; the server refuses the update: does the zone's allow-update or update-policy grant this key?"
          : '';
    throw new ModuleError(`nsupdate failed (rc ${m?.[1] ?? r.rc}): ${said || 'no output'}${hint}`, { rc: Number(m?.[1] ?? r.rc), stdout: out });
  }
  const check = parseDigRuns(out.slice(m.index)).at(-1);
  const problem = check ? digProblem(check, where(s)) : 'no answer';
  if (!check || problem) throw new ModuleError(`the update was sent, but reading ${want.owner} ${want.type} back failed: ${problem}`);
  const now = setFrom(check, want.owner, want.type, where(s));
  if (setText(want.owner, want.type, sorted(now)) !== setText(want.owner, want.type, sorted(step.expect))) {
    throw new ModuleError(
      `the server accepted the update, but answers ${want.owner} ${want.type} with ${now.map((x) => `${fromBytes(x.key)} (TTL ${x.ttl})`).join(', ') || 'nothing'} instead of ${step.expect.map((x) => `${fromBytes(x.key)} (TTL ${x.ttl})`).join(', ') || 'nothing'}`,
    );
  }
  return { stdout: said };
}

function sorted(set: readonly Rr[]): Rr[] {
  return [...set].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The tools never print the key, but their output goes into messages: mask it all the same. */
function clean(s: Server, text: string): string {
  if (!s.keyLine) return text;
  const m = /secret "([^"]+)"/.exec(s.keyLine);
  return scrub(text, [s.keyLine, ...(m ? [m[1] as string] : [])]);
}
