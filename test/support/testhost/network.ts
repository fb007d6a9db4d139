// The test hosts' private network: one bridge with a /24 per test run, one network namespace
// per host joined to it by a veth pair, and an apt-cacher-ng on the bridge address as the only
// way out. No NAT, no IP forwarding, no default route: a host reaches the bridge subnet and
// nothing else, and its apt goes through the cacher to the machine's own mirror.
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { destroyCgroupSync, harnessCgroup, makeCgroup, removeIfEmpty, spawnInCgroup } from './cgroup.js';
import { Cleanup } from './cleanup.js';
import { CACHE_DIR } from './image.js';
import { machineMirror } from './mirror.js';
import { alive, mustRun, requireProgram, requireRoot, runProgramSync, sleep, startTime } from './proc.js';

/** Run N uses 10.251.N.0/24: the bridge is .1, hosts .10 and up. */
export const SUBNET_BASE = '10.251';
const MAX_SLOTS = 200;
export const APT_PROXY_PORT = 3142;
const SLOTS_DIR = join(CACHE_DIR, 'slots');
const RUN_DIR_PREFIX = 'kiln-testhost-';

/** The names a run's kernel objects get; the reaper finds a dead run's leftovers by them. */
export const names = {
  bridge: (slot: number): string => `kilnbr${slot}`,
  netns: (slot: number, host: string): string => `kiln${slot}-${host}`,
  /** The machine-side end of a host's veth pair (the host's end is eth0). At most 15 characters. */
  veth: (slot: number, index: number): string => `kv${slot}h${index}`,
  cgroup: (slot: number): string => join(harnessCgroup(), `slot-${slot}`),
};

export interface HostLink {
  netns: string;
  veth: string;
  ip: string;
}

interface SlotRecord {
  pid: number;
  start: string | undefined;
  runDir?: string;
}

/** One test run's network: bridge, cacher, run dir. Made by acquireNetwork(). */
export class Network {
  readonly bridge: string;
  readonly bridgeIp: string;
  /** What hosts put in Acquire::http::Proxy. */
  readonly proxyUrl: string;
  readonly cgroup: string;
  readonly cleanup = new Cleanup();
  private nextIndex = 0;

  private constructor(
    readonly slot: number,
    /** Temp dir for this run: hosts' layers, keys, the cacher's config and log. */
    readonly runDir: string,
  ) {
    this.bridge = names.bridge(slot);
    this.bridgeIp = `${SUBNET_BASE}.${slot}.1`;
    this.proxyUrl = `http://${this.bridgeIp}:${APT_PROXY_PORT}`;
    this.cgroup = names.cgroup(slot);
  }

  /** Make the bridge and start the cacher. If this throws, nothing of it is left. */
  static async start(): Promise<Network> {
    requireRoot();
    requireProgram('ip', 'iproute2');
    requireProgram('nsenter', 'util-linux');
    requireProgram('apt-cacher-ng', 'apt-cacher-ng');
    const mirror = machineMirror();
    const slot = await claimSlot();
    const net = new Network(slot, await mkdtemp(join(tmpdir(), `${RUN_DIR_PREFIX}${slot}-`)));
    const c = net.cleanup;
    c.push({ kind: 'unlink', path: slotFile(slot) });
    writeSlot(slot, { pid: process.pid, start: startTime(process.pid), runDir: net.runDir });
    c.push({ kind: 'remove', path: net.runDir });
    // `ip netns add` makes /run/netns a mount point the first time, and a killed run leaves it:
    // unmount it whenever no namespace is left in it (the next `ip netns add` makes it again).
    c.push({ kind: 'call', label: 'unmount /run/netns', run: unmountNetnsDirIfEmpty });
    try {
      makeCgroup(net.cgroup);
      c.push({ kind: 'cgroup', path: net.cgroup });
      await mustRun('ip', ['link', 'add', 'name', net.bridge, 'type', 'bridge']);
      c.push({ kind: 'command', argv: ['ip', 'link', 'del', net.bridge], gone: /Cannot find device/ });
      await mustRun('ip', ['addr', 'add', `${net.bridgeIp}/24`, 'dev', net.bridge]);
      await mustRun('ip', ['link', 'set', net.bridge, 'up']);
      await net.startCacher(mirror.sources.map((s) => s.uri));
    } catch (e) {
      await c.run().catch(() => undefined);
      throw e;
    }
    return net;
  }

  /**
   * apt-cacher-ng with a config of its own: the stock one remaps Debian to other mirrors. Only
   * the machine's mirrors are served (ForceManaged), on the bridge address only.
   */
  private async startCacher(uris: readonly string[]): Promise<void> {
    const conf = join(this.runDir, 'apt-cacher-ng');
    const cache = join(CACHE_DIR, 'apt-cache', `slot-${this.slot}`);
    await mkdir(join(conf, 'log'), { recursive: true });
    await mkdir(cache, { recursive: true });
    const remaps = uris.map((u, i) => `Remap-kiln${i}: ${u.replace(/^http:\/\//, '')} ; ${u}`);
    await writeFile(
      join(conf, 'acng.conf'),
      [
        `# kiln test hosts' apt proxy (test/support/testhost/network.ts).`,
        `CacheDir: ${cache}`,
        `LogDir: ${join(conf, 'log')}`,
        'SupportDir: /usr/lib/apt-cacher-ng',
        `BindAddress: ${this.bridgeIp}`,
        `Port: ${APT_PROXY_PORT}`,
        ...remaps,
        'ForceManaged: 1',
        '',
      ].join('\n'),
    );
    const cg = join(this.cgroup, 'apt-cacher-ng');
    makeCgroup(cg);
    const child = spawnInCgroup(cg, ['apt-cacher-ng', '-c', conf, 'ForeGround=1'], join(conf, 'log', 'stdout.log'));
    const until = Date.now() + 15_000;
    while (!(await canConnect(this.bridgeIp, APT_PROXY_PORT))) {
      if (child.exitCode !== null || Date.now() > until) {
        const log = readFileSync(join(conf, 'log', 'stdout.log'), 'utf8');
        throw new Error(
          `apt-cacher-ng did not listen on ${this.bridgeIp}:${APT_PROXY_PORT} (exit ${child.exitCode}; is the stock daemon running on *:${APT_PROXY_PORT}? ` +
            `stop it: the tests start their own): ${log.trim()}`,
        );
      }
      await sleep(50);
    }
  }

  /**
   * A network namespace for `host`, with eth0 on the bridge and no default route. The undo steps
   * go on the host's own cleanup (veth first: netns teardown is asynchronous).
   */
  async addHost(host: string, cleanup: Cleanup): Promise<HostLink> {
    const index = this.nextIndex++;
    if (index > 240) throw new Error(`a test run has at most 241 hosts (${SUBNET_BASE}.${this.slot}.10-250)`);
    const link: HostLink = { netns: names.netns(this.slot, host), veth: names.veth(this.slot, index), ip: `${SUBNET_BASE}.${this.slot}.${10 + index}` };
    await mustRun('ip', ['netns', 'add', link.netns]);
    cleanup.push({ kind: 'command', argv: ['ip', 'netns', 'del', link.netns], gone: /No such file|Cannot remove namespace file/ });
    await mustRun('ip', ['link', 'add', link.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', link.netns]);
    cleanup.push({ kind: 'command', argv: ['ip', 'link', 'del', link.veth], gone: /Cannot find device/ });
    await mustRun('ip', ['link', 'set', link.veth, 'master', this.bridge, 'up']);
    await mustRun('ip', ['-n', link.netns, 'addr', 'add', `${link.ip}/24`, 'dev', 'eth0']);
    await mustRun('ip', ['-n', link.netns, 'link', 'set', 'eth0', 'up']);
    await mustRun('ip', ['-n', link.netns, 'link', 'set', 'lo', 'up']);
    return link;
  }
}

/** Whether something accepts TCP connections at ip:port (from the machine's namespace). */
export function canConnect(ip: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: ip, port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

let current: Promise<Network> | undefined;
let users = 0;
let stopping: Promise<void> | undefined;
/** The network while it is up, for the exit hook (which cannot await `current`). */
let up: Network | undefined;

/** The run's network, started on first use; pair each call with releaseNetwork(). */
export async function acquireNetwork(): Promise<Network> {
  if (stopping) await stopping;
  users++;
  current ??= Network.start().then((n) => (up = n));
  try {
    return await current;
  } catch (e) {
    users--;
    current = undefined;
    throw e;
  }
}

/** Drop one user; the last one tears the network down (bridge, cacher, run dir, slot). */
export async function releaseNetwork(): Promise<void> {
  if (--users > 0 || !current) return;
  const net = await current;
  current = undefined;
  stopping = net.cleanup.run().finally(() => {
    stopping = undefined;
    up = undefined;
    removeIfEmpty(harnessCgroup());
  });
  await stopping;
}

/** For the exit hook: tear the network down now, synchronously, whoever still uses it. */
export function releaseNetworkSync(): string[] {
  const net = up;
  users = 0;
  current = undefined;
  up = undefined;
  if (!net) return [];
  const errors = net.cleanup.runSync();
  removeIfEmpty(harnessCgroup());
  return errors;
}

function slotFile(slot: number): string {
  return join(SLOTS_DIR, `${slot}.json`);
}

function writeSlot(slot: number, rec: SlotRecord): void {
  const tmp = `${slotFile(slot)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(rec));
  renameSync(tmp, slotFile(slot));
}

/**
 * Claim the lowest free slot: its file is made with link(2), which fails if it exists. A slot
 * whose owner died is reaped (its processes, namespaces, links and run dir removed) and reused.
 */
async function claimSlot(): Promise<number> {
  mkdirSync(SLOTS_DIR, { recursive: true });
  for (let slot = 0; slot < MAX_SLOTS; slot++) {
    const file = slotFile(slot);
    const tmp = `${file}.${process.pid}.claim`;
    writeFileSync(tmp, JSON.stringify({ pid: process.pid, start: startTime(process.pid) } satisfies SlotRecord));
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          linkSync(tmp, file);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
          if (!reapIfDead(slot)) break; // a live run owns it
          continue;
        }
        // Ours now. Leftovers of a run that died without a slot file go first.
        reapSlotSync(slot, undefined);
        if ((await addressesInUse()).some((a) => a.startsWith(`${SUBNET_BASE}.${slot}.`))) {
          unlinkSync(file); // the subnet is in use by something that is not ours
          break;
        }
        return slot;
      }
    } finally {
      unlinkSync(tmp);
    }
  }
  throw new Error(`no free test network: slots 0-${MAX_SLOTS - 1} in ${SLOTS_DIR} are all held by live runs or ${SUBNET_BASE}.N.0/24 is in use`);
}

async function addressesInUse(): Promise<string[]> {
  const out = await mustRun('ip', ['-o', '-4', 'addr', 'show']);
  return [...out.matchAll(/ inet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1] as string);
}

/** If the slot's owner is dead, reap it and return true; false when a live run holds it. */
function reapIfDead(slot: number): boolean {
  const file = slotFile(slot);
  let rec: SlotRecord | undefined;
  try {
    rec = JSON.parse(readFileSync(file, 'utf8')) as SlotRecord;
  } catch {
    // Being written, or never finished: only stale once old.
    try {
      if (Date.now() - statSync(file).mtimeMs < 60_000) return false;
    } catch {
      return true; // gone meanwhile: try again
    }
  }
  if (rec && alive(rec.pid) && startTime(rec.pid) === rec.start) return false;
  // rename(2) is atomic: exactly one reaper wins; the others see ENOENT and retry the claim.
  const mine = `${file}.reap-${process.pid}`;
  try {
    renameSync(file, mine);
  } catch {
    return true;
  }
  reapSlotSync(slot, rec?.runDir);
  unlinkSync(mine);
  return true;
}

/** Remove whatever a dead run left in `slot`, found by name. */
export function reapSlotSync(slot: number, runDir: string | undefined): string[] {
  const errors: string[] = [];
  const attempt = (what: string, f: () => void): void => {
    try {
      f();
    } catch (e) {
      errors.push(`${what}: ${(e as Error).message}`);
    }
  };
  attempt('cgroup', () => destroyCgroupSync(names.cgroup(slot)));
  const links = runProgramSync('ip', ['-o', 'link', 'show']).stdout;
  for (const m of links.matchAll(/^\d+: ([^:@\s]+)/gm)) {
    const name = m[1] as string;
    if (new RegExp(`^kv${slot}h\\d+$`).test(name)) runProgramSync('ip', ['link', 'del', name]);
  }
  for (const line of runProgramSync('ip', ['netns', 'list']).stdout.split('\n')) {
    const ns = line.split(' ')[0];
    if (ns?.startsWith(`kiln${slot}-`)) runProgramSync('ip', ['netns', 'del', ns]);
  }
  if (links.includes(` ${names.bridge(slot)}:`)) runProgramSync('ip', ['link', 'del', names.bridge(slot)]);
  // Only ever a run dir this harness made.
  if (runDir && runDir.startsWith(`${tmpdir()}/`) && basename(runDir).startsWith(RUN_DIR_PREFIX) && existsSync(runDir)) {
    attempt('run dir', () => runProgramSync('rm', ['-rf', '--one-file-system', runDir]));
  }
  return errors;
}

function isMountPoint(path: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === path);
}

function unmountNetnsDirIfEmpty(): void {
  if (!isMountPoint('/run/netns') || readdirSync('/run/netns').length) return;
  // Fails (EBUSY) if another run has just added a namespace: that is fine, it is still in use.
  runProgramSync('umount', ['/run/netns']);
}
