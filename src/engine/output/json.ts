// NDJSON output: one JSON object per line per event, snake_case field names, never colour.
import type { Change, TaskResult } from '../result.js';
import type { Reporter, ReporterOptions, RunEvent } from './events.js';
import { outcomeOf, totalCounts } from './recap.js';

/** What a no_log result shows instead of its details (Ansible's wording, which users search for). */
export const CENSORED_MSG = 'the output has been hidden due to the no_log: true specified for this result';

type Json = Record<string, unknown>;

export class JsonReporter implements Reporter {
  readonly #opts: ReporterOptions;

  constructor(opts: ReporterOptions) {
    this.#opts = opts;
  }

  /** Write the event as one line; a consumer can parse each line on its own. */
  event(e: RunEvent): void {
    this.#opts.out.write(`${serialise(this.#toJson(e))}\n`);
  }

  /** Resolve once everything written so far has been handed to the stream. */
  close(): Promise<void> {
    return new Promise((resolve) => this.#opts.out.write('', () => resolve()));
  }

  #toJson(e: RunEvent): Json {
    switch (e.type) {
      case 'playbook_start':
        return { event: e.type, playbook: e.playbook, check: e.check, diff: e.diff };
      case 'play_start':
        return { event: e.type, play: e.play, hosts: e.hosts, batch: e.batch ?? null };
      case 'task_start':
        return {
          event: e.type,
          play: e.play,
          task: e.task,
          handler: e.handler === true,
          loc: e.loc ?? null,
          included_from: e.includedFrom ?? null,
        };
      case 'task_result':
        return { event: e.type, play: e.play, handler: e.handler === true, ...this.#result(e.result) };
      case 'item_result':
        return { event: e.type, play: e.play, ...this.#result(e.result) };
      case 'warning':
        return { event: e.type, message: e.message };
      case 'no_hosts':
        return { event: e.type, play: e.play, pattern: e.pattern };
      case 'recap':
        return {
          event: e.type,
          hosts: e.hosts,
          totals: totalCounts(e.hosts),
          outcome: outcomeOf(e.hosts),
          check: this.#opts.check,
          interrupted: e.interrupted === true,
          duration_ms: Math.round(e.durationMs),
        };
    }
  }

  #result(r: TaskResult): Json {
    const base: Json = {
      host: r.host,
      task: r.task,
      status: r.status,
      ignored: r.ignored === true,
      rescued: r.rescued === true,
      duration_ms: Math.round(r.durationMs),
    };
    // no_log: keep what happened, drop everything that could carry the secret.
    if (r.censored) {
      const hidden: Json = { ...base, changes: [], msg: CENSORED_MSG, censored: true };
      if (r.results) hidden.results = r.results.map((i) => this.#result(i));
      return hidden;
    }
    const out: Json = { ...base, changes: r.changes.map((c) => this.#change(c)), msg: r.msg, censored: false };
    if (r.itemLabel !== undefined) out.item = r.itemLabel;
    if (r.rc !== undefined) out.rc = r.rc;
    if (r.stdout !== undefined) out.stdout = r.stdout;
    if (r.stderr !== undefined) out.stderr = r.stderr;
    // Passed through untouched so that Secret.toJSON masks any secret inside.
    if (r.data !== undefined) out.data = r.data;
    if (r.results) out.results = r.results.map((i) => this.#result(i));
    return out;
  }

  #change(c: Change): Json {
    const out: Json = { summary: c.summary, pending: c.pending ?? null };
    if (this.#opts.diff && c.diff) {
      const d = c.diff;
      out.diff = {
        path: d.path,
        before: d.before,
        after: d.after,
        binary: d.binary === true,
        before_header: d.beforeHeader ?? null,
        after_header: d.afterHeader ?? null,
      };
    }
    return out;
  }
}

// JSON.stringify calls toJSON (Secret's mask) before the replacer sees a value.
function serialise(obj: Json): string {
  try {
    return JSON.stringify(obj, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch (err) {
    // A cycle in registered data must not kill the output stream: keep the event, say why.
    const { event, play, host, task, status } = obj;
    return JSON.stringify({ event, play, host, task, status, error: `event not serialisable: ${(err as Error).message}` });
  }
}
