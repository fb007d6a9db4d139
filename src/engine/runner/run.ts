// Runs a loaded playbook against an inventory: plays in order, hosts in serial batches,
// connections opened once per host and closed at the end. Returns the recap and exit code.
import { connectionSettings } from '../inventory/connection_vars.js';
import { selectHosts, unmatchedNames } from '../inventory/patterns.js';
import type { Inventory } from '../inventory/types.js';
import { hostVars, magicVars } from '../inventory/vars.js';
import { localConnection } from '../connection/local.js';
import type { Connection } from '../connection/types.js';
import { EXIT } from '../exit_codes.js';
import type { Reporter } from '../output/events.js';
import type { Play, Playbook } from '../playbook/model.js';
import type { RecapCounts } from '../result.js';
import type { PlayEnv } from './env.js';
import { HostState } from './host.js';
import type { RunOptions } from './options.js';
import { PlayRunner } from './play.js';

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
  private readonly conns = new Map<string, Promise<Connection>>();
  private localConn?: Connection;
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
      for (const k of ['kiln_become_password', 'ansible_become_password', 'ansible_become_pass', 'kiln_password', 'ansible_password', 'ansible_ssh_pass']) {
        const v = vars[k];
        if (typeof v === 'string' && v) s.secrets.add(v);
      }
      this.states.set(name, s);
    }
    return s;
  }

  private connect(play: Play, host: HostState): Promise<Connection> {
    let c = this.conns.get(host.name);
    if (!c) {
      const vars = { ...host.inventoryVars, ...this.options.extraVars };
      if (play.remoteUser) vars['kiln_user'] = play.remoteUser;
      if (play.connection) vars['kiln_connection'] = play.connection;
      const settings = connectionSettings(host.name, vars);
      c =
        settings.connection === 'local'
          ? Promise.resolve(localConnection(host.name, settings.becomePassword))
          : import('../connection/ssh.js').then((m) => m.sshConnection(settings, { hostKeyPolicy: this.options.hostKeyPolicy }));
      this.conns.set(host.name, c);
      // A failed connect is final for this run: the host is unreachable.
    }
    return c;
  }

  async run(): Promise<RunSummary> {
    this.reporter.event({ type: 'playbook_start', playbook: this.playbook.file, check: this.options.check, diff: this.options.diff });
    try {
      for (const play of this.playbook.plays) {
        if (this.options.signal?.aborted) break;
        await this.play(play);
      }
    } finally {
      await this.close();
    }
    const counts: Record<string, RecapCounts> = {};
    for (const [name, s] of this.states) counts[name] = s.counts;
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

  private async play(play: Play): Promise<void> {
    const names = selectHosts(this.inventory, play.hosts, this.options.limit);
    for (const u of unmatchedNames(this.inventory, play.hosts)) {
      this.reporter.event({ type: 'warning', message: `Could not match supplied host pattern, ignoring: ${u}` });
    }
    if (!names.length) {
      this.reporter.event({ type: 'play_start', play: play.name, hosts: [] });
      this.reporter.event({ type: 'no_hosts', play: play.name, pattern: play.hosts });
      return;
    }
    const hosts = names.map((n) => this.state(n));
    for (const h of hosts) {
      h.ended = false;
      h.magic['ansible_play_hosts'] = names;
    }
    const groups = batches(hosts, play.serial);
    for (const [i, batch] of groups.entries()) {
      if (this.options.signal?.aborted) return;
      const live = batch.filter((h) => h.active);
      this.reporter.event({
        type: 'play_start',
        play: play.name,
        hosts: live.map((h) => h.name),
        batch: groups.length > 1 ? { index: i, count: groups.length, hosts: live.map((h) => h.name) } : undefined,
      });
      for (const h of live) h.magic['ansible_play_batch'] = live.map((x) => x.name);
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
      const failed = live.filter((h) => h.failed || h.unreachable).length;
      if (play.maxFailPercentage !== undefined && live.length && (failed * 100) / live.length > play.maxFailPercentage) {
        this.reporter.event({ type: 'warning', message: `max_fail_percentage ${play.maxFailPercentage}% exceeded in batch ${i + 1} (${failed} of ${live.length} failed): stopping the play` });
        return;
      }
      if (!hosts.some((h) => h.active)) return;
    }
  }

  private async close(): Promise<void> {
    const all = [...this.conns.values()].map((p) => p.then((c) => c.close()).catch(() => undefined));
    if (this.localConn) all.push(this.localConn.close());
    await Promise.all(all);
  }
}
