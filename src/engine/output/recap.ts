// Per-host recap counts, counted the way ansible-core's strategy plugin counts them.
import { emptyCounts, type RecapCounts, type TaskResult } from '../result.js';

/** The run's overall outcome, worst first: what the CLI maps to an exit code. */
export type RunOutcome = 'failed' | 'unreachable' | 'changed' | 'ok';

export class Recap {
  // Map, not an object: host names come from untrusted inventory ("__proto__" is a valid name).
  readonly #hosts = new Map<string, RecapCounts>();

  /** Count one task-level result; per-item results of a loop are not counted (the aggregate is). */
  add(r: TaskResult): void {
    countResult(this.host(r.host), r);
  }

  /** A host's counts, created at zero: a host with no results still gets a recap line. */
  host(name: string): RecapCounts {
    let c = this.#hosts.get(name);
    if (!c) {
      c = emptyCounts();
      this.#hosts.set(name, c);
    }
    return c;
  }

  /** A snapshot keyed by host, in first-seen order (null prototype: keys are inventory names). */
  counts(): Record<string, RecapCounts> {
    const out = Object.create(null) as Record<string, RecapCounts>;
    for (const [h, c] of this.#hosts) out[h] = { ...c };
    return out;
  }

  /** The sum over all hosts. */
  totals(): RecapCounts {
    return totalCounts(this.counts());
  }

  /** Worst outcome over all hosts. */
  exitStatus(): RunOutcome {
    return outcomeOf(this.counts());
  }
}

/** Count one task-level result into a host's counts, as ansible-core's strategy plugin does. */
export function countResult(c: RecapCounts, r: TaskResult): void {
  if (r.status === 'skipped') c.skipped++;
  else if (r.status === 'ok' || r.status === 'changed') {
    // Ansible counts every successful task as ok, and changed ones in changed too.
    c.ok++;
    if (r.status === 'changed') c.changed++;
  } else if (r.ignored) {
    // ignore_errors / ignore_unreachable: Ansible counts ok+1 and ignored+1, never failed.
    c.ok++;
    c.ignored++;
  } else if (r.status === 'unreachable') c.unreachable++;
  else if (r.rescued) c.rescued++;
  else c.failed++;
}

/** Sum per-host counts (also used on a recap event that arrives already counted). */
export function totalCounts(hosts: Record<string, RecapCounts>): RecapCounts {
  const t = emptyCounts();
  for (const c of Object.values(hosts)) {
    for (const k of Object.keys(t) as (keyof RecapCounts)[]) t[k] += c[k];
  }
  return t;
}

/** Worst outcome of per-host counts: failed, then unreachable, then changed, else ok. */
export function outcomeOf(hosts: Record<string, RecapCounts>): RunOutcome {
  const t = totalCounts(hosts);
  if (t.failed > 0) return 'failed';
  if (t.unreachable > 0) return 'unreachable';
  if (t.changed > 0) return 'changed';
  return 'ok';
}
