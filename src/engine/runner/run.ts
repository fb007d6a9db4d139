// Runs a loaded playbook against an inventory: plays in order, hosts in serial batches,
// connections opened once per host (all of a batch's at its start) and closed at the end.
// Returns the recap and exit code.
import { CONNECTION_VARS, connectionSettings, connectionVarNames } from '../inventory/connection_vars.js';
import { selectHosts, unmatchedNames } from '../inventory/patterns.js';
import type { Inventory } from '../inventory/types.js';
import { hostVars, magicVars } from '../inventory/vars.js';
import { localConnection } from '../connection/local.js';
import type { SshRunCache } from '../connection/ssh_cache.js';
import type { Connection } from '../connection/types.js';
import { EXIT } from '../exit_codes.js';
import type { Reporter } from '../output/events.js';
import type { Node, Play, Playbook } from '../playbook/model.js';
import { moduleTraits } from '../schema/traits.js';
import type { RecapCounts } from '../result.js';
import type { PlayEnv } from './env.js';
import { HostState } from './host.js';
import type { RunOptions } from './options.js';
import { PlayRunner } from './play.js';

/** Every connection variable name (kiln's and Ansible's) that holds a secret. */
const SECRET_VAR_NAMES = CONNECTION_VARS.filter((v) => v.secret).flatMap((v) => [v.name, ...v.aliases]);

interface OpenConnection {
  host: string;
  conn: Promise<Connection>;
  state: 'pending' | 'up' | 'failed';
  /** Abandons an SSH connect still in progress that no task needs any more. */
  abort: AbortController;
}

/** SSH handshakes a batch start may have in flight at once, at least --forks (bounds the burst on big inventories). */
const PRECONNECT_MIN = 64;

export interface RunSummary {
  counts: Record<string, RecapCounts>;
  exitCode: number;
}

/**
 * Whether a play may use its hosts' own connections: facts, a module that runs on the host, or an
 * include (unknown until reached). A play of debug/set_fact/assert tasks contacts no host.
 */
export function playContactsHosts(play: Play): boolean {
  const needs = (nodes: readonly Node[]): boolean =>
    nodes.some((n) => (n.kind === 'include' ? true : n.kind === 'block' ? needs(n.block) || needs(n.rescue) || needs(n.always) : !moduleTraits(n.module).local));
  return play.gatherFacts || play.sections.some(needs) || needs(play.handlers);
}

/**
 * Whether a play first reaches its hosts through their login shell: facts, or a first task that
 * runs on the host without become. preconnect() then opens that shell ahead of the first task.
 */
export function firstContactIsLoginShell(play: Play): boolean {
  if (play.gatherFacts) return true;
  const first = (nodes: readonly Node[]): boolean | undefined => {
    for (const n of nodes) {
      if (n.kind === 'include') return false;
      if (n.kind === 'block') {
        const r = first(n.block);
        if (r !== undefined) return r;
      } else if (!moduleTraits(n.module).local) {
        return n.inherited.become !== true && n.inherited.delegateTo === undefined;
      }
    }
    return undefined;
  };
  return first(play.sections.flat()) ?? false;
}

/** Split hosts into Ansible's serial batches (numbers, percentages, or a list; the last repeats). */
export function batches<T>(hosts: T[], serial: (number | string)[]): T[][] {
  if (!serial.length) return [hosts];
  const out: T[][] = [];
  let i = 0;
  let step = 0;
  while (i < hosts.length) {
    const spec = serial[Math.min(step, serial.length - 1)] as number | string;
    const n = typeof spec === 'string' && spec.endsWith('%') ? Math.max(1, Math.floor((hosts.length * Number(spec.slice(0, -1))) / 100)) : Math.max(1, Number(spec));
    out.push(hosts.slice(i, i + n));
    i += n;
    step++;
  }
  return out;
}

export class Run {
  private readonly states = new Map<string, HostState>();
  /** Open (or failed) connections by host and the settings they were opened with. */
  private readonly conns = new Map<string, OpenConnection>();
  /** The connection each play uses for each host (an entry of conns). */
  private readonly connFor = new Map<Play, Map<string, Promise<Connection>>>();
  private readonly warned = new Set<string>();
  private localConn?: Connection;
  /** The play whose local connections preconnect() is opening, with their login shell. */
  private warming?: Play;
  /** Files every SSH connection of this run reads (ssh config, known_hosts, keys): read once. */
  private sshCache?: SshRunCache;
  private readonly started = Date.now();

  constructor(
    private readonly playbook: Playbook,
    private readonly inventory: Inventory,
    private readonly options: RunOptions,
    private readonly reporter: Reporter,
  ) {}

  private state(name: string): HostState {
    let s = this.states.get(name);
    if (!s) {
      const vars = hostVars(this.inventory, name);
      s = new HostState(name, vars, magicVars(this.inventory, name));
      // Extra vars win over the inventory, so a password given with -e is the one used: mask both.
      for (const source of [vars, this.options.extraVars]) {
        for (const k of SECRET_VAR_NAMES) {
          const v = source[k];
          if ((typeof v === 'string' || typeof v === 'number') && String(v)) s.secrets.add(String(v));
        }
      }
      this.states.set(name, s);
    }
    return s;
  }

  /**
   * The host's connection for this play, opened on first use and reused by later tasks and plays.
   * A play's remote_user or connection can ask for another login: that is another connection.
   * A failed connect is final for this run: the host is unreachable.
   */
  private connect(play: Play, host: HostState): Promise<Connection> {
    // Every task asks: the answer depends only on the play and the host's inventory and extra vars,
    // which a run does not change.
    let forPlay = this.connFor.get(play);
    if (!forPlay) this.connFor.set(play, (forPlay = new Map()));
    let conn = forPlay.get(host.name);
    if (!conn) forPlay.set(host.name, (conn = this.openFor(play, host)));
    return conn;
  }

  private openFor(play: Play, host: HostState): Promise<Connection> {
    const vars = { ...host.inventoryVars, ...this.options.extraVars };
    // As in Ansible, the inventory's user (kiln_user / ansible_user) wins over the play's remote_user.
    if (play.remoteUser && !connectionVarNames('kiln_user').some((n) => vars[n] !== undefined)) vars['kiln_user'] = play.remoteUser;
    if (play.connection) vars['kiln_connection'] = play.connection;
    const settings = connectionSettings(host.name, vars);
    const key = JSON.stringify([host.name, settings.connection, settings.host, settings.port, settings.user ?? null]);
    const open = this.conns.get(key);
    if (open) return open.conn;
    const abort = new AbortController();
    const conn =
      settings.connection === 'local'
        ? Promise.resolve<Connection>(this.local(host.name, settings.becomePassword, play))
        : import('../connection/ssh.js').then((m) =>
            m.sshConnection(settings, {
              // Without --accept-new-host-keys, ~/.ssh/config's StrictHostKeyChecking decides (strict by default).
              hostKeyPolicy: this.options.hostKeyPolicy === 'accept-new' ? 'accept-new' : undefined,
              knownHostsFile: settings.knownHostsFile,
              cache: (this.sshCache ??= new m.SshRunCache()),
              signal: abort.signal,
              // Config and broker problems are the same for every host: say each once.
              onWarning: (message) => this.warnOnce(message),
            }),
          );
    const entry: OpenConnection = { host: host.name, conn, state: 'pending', abort };
    // Handled here, so a connect nobody awaits (preconnect() of a host whose tasks all skip) is no unhandled rejection.
    conn.then(
      () => (entry.state = 'up'),
      () => (entry.state = 'failed'),
    );
    this.conns.set(key, entry);
    return conn;
  }

  /** A local connection; its login shell starts at once when the play first uses it (no wait for a microtask). */
  private local(host: string, becomePassword: string | undefined, play: Play): Connection {
    const conn = localConnection(host, becomePassword);
    if (this.warming === play) conn.warm();
    return conn;
  }

  /**
   * Start connecting every host of a batch now, without waiting: handshakes overlap each other and
   * the first hosts' tasks instead of queueing behind --forks. Tasks get the same promise from
   * connect(), so a failure still surfaces as "unreachable" on the host's first task that needs the
   * connection, with the same message, and a host whose tasks all skip reports no failure (as when
   * connections were opened lazily; it is merely logged in and out). At most max(--forks, 64)
   * handshakes are started at once; the rest start as those settle, in inventory order.
   * When the play first uses the login shell, each connection then opens it at once, which the
   * first task would otherwise wait for. A become shell is left to the task that needs it (a wrong
   * password is then tried once, not twice).
   */
  private preconnect(play: Play, hosts: readonly HostState[]): void {
    const warm = firstContactIsLoginShell(play);
    this.warming = warm ? play : undefined;
    const queue = [...hosts];
    let inFlight = 0;
    const next = (): void => {
      while (inFlight < Math.max(this.options.forks, PRECONNECT_MIN) && queue.length) {
        const h = queue.shift() as HostState;
        let conn: Promise<Connection>;
        try {
          conn = this.connect(play, h);
        } catch {
          continue; // bad connection variables: the host's first task reports them, as before
        }
        inFlight++;
        const settled = (): void => {
          inFlight--;
          next();
        };
        conn.then((c) => {
          if (warm) c.warm?.();
          settled();
        }, settled);
      }
    };
    next();
    this.warming = undefined;
  }

  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.reporter.event({ type: 'warning', message });
  }

  /** Close the connections of hosts no later play needs (a delegate_to reopens one if asked). */
  private async release(hosts: readonly HostState[], later: ReadonlySet<string> | undefined): Promise<void> {
    if (!later) return;
    const done = new Set(hosts.filter((h) => !later.has(h.name)).map((h) => h.name));
    for (const forPlay of this.connFor.values()) for (const name of done) forPlay.delete(name);
    const closing: Promise<void>[] = [];
    for (const [key, entry] of this.conns) {
      // Failed connects stay: the host remains unreachable for the rest of the run.
      if (!done.has(entry.host) || entry.state === 'failed') continue;
      this.conns.delete(key);
      // One still connecting was preconnected for tasks that all skipped: give it up rather than wait.
      if (entry.state === 'pending') entry.abort.abort();
      closing.push(entry.conn.then((c) => c.close()).catch(() => undefined));
    }
    await Promise.all(closing);
  }

  /** Hosts that plays after `index` select; undefined when that cannot be known (then nothing is released). */
  private hostsAfter(index: number): Set<string> | undefined {
    const out = new Set<string>();
    try {
      for (const play of this.playbook.plays.slice(index + 1)) for (const n of selectHosts(this.inventory, play.hosts, this.options.limit)) out.add(n);
    } catch {
      return undefined;
    }
    return out;
  }

  async run(): Promise<RunSummary> {
    this.reporter.event({ type: 'playbook_start', playbook: this.playbook.file, check: this.options.check, diff: this.options.diff });
    try {
      for (const [i, play] of this.playbook.plays.entries()) {
        if (this.options.signal?.aborted) break;
        if (!(await this.play(play, this.hostsAfter(i)))) break;
      }
    } finally {
      await this.close();
    }
    const counts: Record<string, RecapCounts> = {};
    for (const [name, s] of this.states) if (s.reached) counts[name] = s.counts;
    const interrupted = this.options.signal?.aborted === true;
    this.reporter.event({ type: 'recap', hosts: counts, durationMs: Date.now() - this.started, interrupted });
    const all = Object.values(counts);
    const exitCode = interrupted
      ? EXIT.INTERRUPTED
      : all.some((c) => c.failed > 0)
        ? EXIT.HOST_FAILED
        : all.some((c) => c.unreachable > 0)
          ? EXIT.UNREACHABLE
          : EXIT.OK;
    return { counts, exitCode };
  }

  /**
   * Run a play batch by batch. Returns false when the playbook must stop, as Ansible's does: a whole
   * batch failed (a rolling update goes no further than its first broken batch) or more than
   * max_fail_percentage of a batch failed. Later batches and plays then do not run.
   */
  private async play(play: Play, later: ReadonlySet<string> | undefined): Promise<boolean> {
    const names = selectHosts(this.inventory, play.hosts, this.options.limit);
    for (const u of unmatchedNames(this.inventory, play.hosts)) {
      this.reporter.event({ type: 'warning', message: `Could not match supplied host pattern, ignoring: ${u}` });
    }
    if (!names.length) {
      this.reporter.event({ type: 'play_start', play: play.name, hosts: [] });
      this.reporter.event({ type: 'no_hosts', play: play.name, pattern: play.hosts });
      return true;
    }
    const hosts = names.map((n) => this.state(n));
    for (const h of hosts) {
      h.ended = false;
      h.magic['ansible_play_hosts'] = names;
    }
    const groups = batches(hosts, play.serial);
    for (const [i, batch] of groups.entries()) {
      if (this.options.signal?.aborted) return false;
      const live = batch.filter((h) => h.active);
      for (const h of live) h.reached = true;
      this.reporter.event({
        type: 'play_start',
        play: play.name,
        hosts: live.map((h) => h.name),
        batch: groups.length > 1 ? { index: i, count: groups.length, hosts: live.map((h) => h.name) } : undefined,
      });
      // One shared list, not a copy per host: a batch of n hosts would otherwise hold n² names.
      const batchNames = Object.freeze(live.map((x) => x.name));
      for (const h of live) h.magic['ansible_play_batch'] = batchNames;
      if (playContactsHosts(play)) this.preconnect(play, live);
      const env: PlayEnv = {
        play,
        playbookDir: this.playbook.dir,
        options: this.options,
        reporter: this.reporter,
        connect: (h) => this.connect(play, h),
        local: () => (this.localConn ??= localConnection('localhost')),
        hosts: this.states,
        notify: () => undefined,
      };
      const runner = new PlayRunner(env, live);
      env.notify = (h, n) => runner.notify(h, n);
      await runner.run();
      if (runner.fatal) {
        await this.release(batch, later);
        this.reporter.event({ type: 'warning', message: `any_errors_fatal: a host failed in play "${play.name}"; stopping the playbook` });
        return false;
      }
      // A finished batch keeps no connection open: with serial, open connections stay bounded by the batch size.
      await this.release(batch, later);
      const failed = live.filter((h) => h.failed || h.unreachable).length;
      const which = groups.length > 1 ? `batch ${i + 1}/${groups.length} of play "${play.name}"` : `play "${play.name}"`;
      const rest = this.stopsWhat(play, i, groups.length);
      if (play.maxFailPercentage !== undefined && live.length && (failed * 100) / live.length > play.maxFailPercentage) {
        this.reporter.event({ type: 'warning', message: `max_fail_percentage ${play.maxFailPercentage}% exceeded in ${which} (${failed} of ${live.length} hosts failed or unreachable)${rest}` });
        return false;
      }
      if (live.length && failed === live.length) {
        if (rest) this.reporter.event({ type: 'warning', message: `every host of ${which} failed or is unreachable${rest}` });
        return false;
      }
      if (!hosts.some((h) => h.active)) return true;
    }
    return true;
  }

  /** What stopping after batch `i` leaves undone, for the warning (empty when nothing is left). */
  private stopsWhat(play: Play, i: number, batchCount: number): string {
    const batchesLeft = batchCount - i - 1;
    const playsLeft = this.playbook.plays.length - this.playbook.plays.indexOf(play) - 1;
    const parts = [...(batchesLeft ? [`${batchesLeft} more ${batchesLeft === 1 ? 'batch' : 'batches'}`] : []), ...(playsLeft ? [`${playsLeft} more ${playsLeft === 1 ? 'play' : 'plays'}`] : [])];
    return parts.length ? `: stopping the playbook (${parts.join(' and ')} not run)` : '';
  }

  private async close(): Promise<void> {
    const entries = [...this.conns.values()];
    // The run is over: a connect still in progress (a host whose tasks all skipped) is given up.
    for (const e of entries) if (e.state === 'pending') e.abort.abort();
    const all = entries.map((e) => e.conn.then((c) => c.close()).catch(() => undefined));
    this.conns.clear();
    if (this.localConn) all.push(this.localConn.close());
    await Promise.all(all);
  }
}
