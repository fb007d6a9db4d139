// dns_record: one record set (name + type) on an authoritative DNS server, either by editing the
// zone's BIND zone file on the target (zonefile) or by an RFC 2136 dynamic update with TSIG (nsupdate).
import { ModuleError } from '../engine/errors.js';
import type { Applied, Module, Plan, Step } from '../engine/module.js';
import { reveal, type Secret } from '../engine/secret.js';
import { recordName, zoneName } from './dns/names.js';
import { keyLine, type Server } from './dns/nsupdate.js';
import { applyNsupdate, type NsupdateState, type NsupdateStep, planNsupdate, readNsupdate } from './dns/nsupdate_backend.js';
import { parseValue, type RrType } from './dns/rdata.js';
import type { Want } from './dns/recordset.js';
import { fromBytes } from './dns/tokens.js';
import { applyZoneFileStep, planZoneFile, readZoneFile, type ZoneFileState, type ZoneFileStep } from './dns/zonefile_backend.js';

/** dns_record's arguments, as schemas/modules/dns_record.schema.json validates them. */
export interface DnsRecordArgs {
  zone?: string;
  record: string;
  type?: RrType;
  value?: string | string[];
  ttl?: number;
  state?: 'present' | 'absent';
  backend?: 'zonefile' | 'nsupdate';
  zone_file?: string;
  reload?: boolean;
  server?: string;
  port?: number;
  protocol?: 'tcp' | 'udp';
  key_name?: string;
  key_secret?: string | Secret;
  key_algorithm?: string;
}

export type DnsRecordState = ZoneFileState | NsupdateState;
export type DnsStep = ZoneFileStep | NsupdateStep;

export type DnsPlan = Plan<DnsRecordState, DnsStep>;

/** The TTL of a new set when neither the task nor the zone says (community.general.nsupdate's default). */
const DEFAULT_TTL = 3600;

/** The backend: as given, else the one whose arguments are there. */
export function backendOf(args: DnsRecordArgs): 'zonefile' | 'nsupdate' {
  if (args.backend) return args.backend;
  if (args.zone_file !== undefined && args.server === undefined) return 'zonefile';
  if (args.server !== undefined && args.zone_file === undefined) return 'nsupdate';
  throw new ModuleError('say which backend: give zone_file (edit a BIND zone file on the host) or server (dynamic update to a DNS server), or set backend');
}

/** The asked record set, values checked per type; `zone` is absolute ('.' while still unknown). */
export function wantOf(args: DnsRecordArgs, zone: string): Want {
  const type = args.type ?? 'A';
  const state = args.state ?? 'present';
  const raw = args.value === undefined ? [] : Array.isArray(args.value) ? args.value : [args.value];
  if (state === 'present' && raw.length === 0) throw new ModuleError(`state: present needs value: the whole ${type} record set, one value or a list`);
  if (type === 'CNAME' && state === 'present' && raw.length > 1) throw new ModuleError(`a name has at most one CNAME; value has ${raw.length}`);
  const values = raw.map((v) => parseValue(type, String(v), zone));
  if (zone === '.' && args.zone === undefined && !args.record.trim().endsWith('.')) {
    throw new ModuleError(`record ${JSON.stringify(args.record)} is relative, and no zone is given: give zone: or write the record absolute with a trailing dot`);
  }
  const want: Want = { owner: recordName(args.record, zone), type, state, values };
  if (args.ttl !== undefined) want.ttl = args.ttl;
  return want;
}

/** What the task does, for pending summaries: "www.foobar.com. A: set to 8.8.8.8". */
function label(want: Want): string {
  const vals = want.values.map((v) => fromBytes(v.key)).join(', ');
  if (want.state === 'absent') return `${want.owner} ${want.type}: remove ${vals || 'all records'}`;
  return `${want.owner} ${want.type}: set to ${vals}`;
}

/** The server to update, with the key line (never kept in the state: apply builds it again). */
function serverOf(args: DnsRecordArgs): Server {
  if (args.server === undefined) throw new ModuleError('backend nsupdate needs server: the address of the zone\'s primary DNS server, as this host reaches it');
  const s: Server = { server: args.server, port: args.port ?? 53, protocol: args.protocol ?? 'tcp' };
  const secret = reveal(args.key_secret);
  if ((args.key_name === undefined) !== (secret === undefined)) throw new ModuleError('give key_name and key_secret together (or neither, for a server that takes unsigned updates)');
  if (args.key_name !== undefined && secret !== undefined) s.keyLine = keyLine(args.key_name, secret, args.key_algorithm ?? 'hmac-sha256');
  return s;
}

function zoneOf(args: DnsRecordArgs, backend: 'zonefile' | 'nsupdate'): string | undefined {
  if (args.zone !== undefined) return zoneName(args.zone);
  if (backend === 'zonefile') throw new ModuleError('backend zonefile needs zone: the zone the file holds (like foobar.com), which named-checkzone and rndc are given');
  return undefined;
}

/** The dns_record module. */
export const dns_record: Module<DnsRecordArgs, DnsRecordState, DnsStep> = {
  name: 'dns_record',

  async read(ctx, args) {
    const backend = backendOf(args);
    const zone = zoneOf(args, backend);
    // Every value is checked before the host is contacted.
    const want = wantOf(args, zone ?? '.');
    if (backend === 'zonefile') {
      if (args.zone_file === undefined) throw new ModuleError('backend zonefile needs zone_file: the path of the zone file on the host, like /etc/bind/db.foobar.com');
      return readZoneFile(ctx, zone as string, args.zone_file, args.reload !== false);
    }
    return readNsupdate(ctx, serverOf(args), want.owner, want.type, zone, want.type === 'CNAME' && want.state === 'present');
  },

  plan(current, args): DnsPlan {
    const want = wantOf(args, current.zone || '.');
    const p =
      current.backend === 'zonefile'
        ? planZoneFile(current, want, args.reload !== false, label(want))
        : planNsupdate(current, want, { server: args.server ?? '', port: args.port ?? 53, protocol: args.protocol ?? 'tcp' }, DEFAULT_TTL, label(want));
    const steps: Step<DnsStep>[] = p.steps;
    const plan: DnsPlan = { steps, data: p.data, current };
    if (p.okReason !== undefined) plan.okReason = p.okReason;
    return plan;
  },

  /** The steps as planned, in order. A failed write leaves the zone file as it was; a failed reload leaves it written. */
  async apply(ctx, args, plan): Promise<Applied> {
    let stdout = '';
    for (const st of plan.steps) {
      if (st.do.kind === 'update') stdout += (await applyNsupdate(ctx, serverOf(args), st.do)).stdout;
      else stdout += (await applyZoneFileStep(ctx, st.do)).stdout;
    }
    return { rc: 0, stdout, data: plan.data };
  },
};
export default dns_record;
