// Runs a loaded playbook against an inventory: plays in order, hosts in serial batches, each
// batch's connections (connection_pool.ts) opened at its start and closed when no later play needs
// them. Returns the recap and exit code.
import { CONNECTION_VARS } from '../inventory/connection_vars.js';
import { selectHosts, unmatchedNames } from '../inventory/patterns.js';
import type { Inventory } from '../inventory/types.js';
import { hostVars, magicVars } from '../inventory/vars.js';
import { EXIT } from '../exit_codes.js';
import type { Reporter } from '../output/events.js';
import type { Play, Playbook } from '../playbook/model.js';
import type { RecapCounts } from '../result.js';
import { ConnectionPool } from './connection_pool.js';
import type { PlayEnv } from './env.js';
import { HostState } from './host.js';
import type { RunOptions } from './options.js';
import { PlayRunner } from './play.js';

/** Every connection variable name (kiln's and Ansible's) that holds a secret. */
const SECRET_VAR_NAMES = CONNECTION_VARS.filter((v) => v.secret).flatMap((v) => [v.name, ...v.aliases]);

export interface RunSummary {
  counts: Record<string, RecapCounts>;
  exitCode: number;
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
  private readonly pool: ConnectionPool;
  private readonly started = Date.now();

  constructor(
    private readonly playbook: Playbook,
    private readonly inventory: Inventory,
    private readonly options: RunOptions,
    private readonly reporter: Reporter,
  ) {
    this.pool = new ConnectionPool(options, (message) => reporter.event({ type: 'warning', message }));
  }

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
      await this.pool.close();
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
      this.pool.preconnect(play, live);
      const env: PlayEnv = {
        play,
        playbookDir: this.playbook.dir,
        options: this.options,
        reporter: this.reporter,
        connect: (h) => this.pool.connect(play, h),
        local: () => this.pool.local(),
        hosts: this.states,
        notify: () => undefined,
      };
      const runner = new PlayRunner(env, live);
      env.notify = (h, n) => runner.notify(h, n);
      await runner.run();
      if (runner.fatal) {
        await this.pool.release(batch, later);
        this.reporter.event({ type: 'warning', message: `any_errors_fatal: a host failed in play "${play.name}"; stopping the playbook` });
        return false;
      }
      // A finished batch keeps no connection open: with serial, open connections stay bounded by the batch size.
      await this.pool.release(batch, later);
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
}
