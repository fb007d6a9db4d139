// Ansible-like output for people: banners, one line per host result, the PLAY RECAP users grep.
import pc from 'picocolors';
import type { RecapCounts, Status, TaskResult } from '../result.js';
import { renderDiff } from './diff.js';
import type { Reporter, ReporterOptions, RunEvent } from './events.js';
import { CENSORED_MSG } from './json.js';

type Colors = ReturnType<typeof pc.createColors>;

// Ansible pads banners with stars to 80 columns, keeping at least three.
const BANNER_WIDTH = 80;
// Ansible's recap pads host names to 26 columns so the counts line up.
const RECAP_HOST_WIDTH = 26;

export class HumanReporter implements Reporter {
  readonly #o: ReporterOptions;
  readonly #c: Colors;
  #check: boolean;
  #tasks = 0;
  #play: string | undefined;
  // The task whose banner is on screen: a result of any other task prints its banner again.
  #banner: { task: string; handler: boolean } | undefined;

  constructor(opts: ReporterOptions) {
    this.#o = opts;
    this.#c = pc.createColors(opts.color);
    this.#check = opts.check;
  }

  /** Print one event as soon as it arrives (nothing is buffered, so a hung task is visible). */
  event(e: RunEvent): void {
    const c = this.#c;
    switch (e.type) {
      case 'playbook_start':
        this.#check = this.#check || e.check;
        if (this.#o.verbosity >= 1) this.#bannerLine(`PLAYBOOK: ${e.playbook}`);
        if (e.check) this.#line(c.bold('kiln: dry run (check mode): nothing is changed on the hosts; "changed" means "would change"'));
        return;
      case 'play_start': {
        const batch = e.batch && e.batch.count > 1 ? ` (batch ${e.batch.index + 1}/${e.batch.count})` : '';
        this.#playBanner(e.play, batch);
        return;
      }
      case 'task_start':
        this.#tasks++;
        this.#taskBanner(e.task, e.handler === true);
        if (this.#o.verbosity >= 2 && e.loc) this.#line(`task path: ${e.loc}`);
        if (this.#o.verbosity >= 2 && e.includedFrom) this.#line(`included from: ${e.includedFrom}`);
        return;
      case 'task_result':
        this.#ensureBanner(e.result.task, e.handler === true);
        this.#taskResult(e.result);
        return;
      case 'item_result':
        this.#ensureBanner(e.result.task, this.#banner?.handler ?? false);
        this.#lines(e.result, e.result.censored ? '<censored>' : (e.result.itemLabel ?? ''));
        return;
      case 'warning':
        this.#line(c.magenta(`[WARNING]: ${indentRest(e.message, '  ')}`));
        return;
      case 'no_hosts':
        if (this.#play !== e.play) this.#playBanner(e.play, '');
        this.#line(c.cyan(`skipping: no hosts matched (hosts: ${e.pattern})`));
        return;
      case 'recap':
        this.#recap(e.hosts, e.durationMs, e.interrupted === true);
        return;
    }
  }

  /** Resolve once everything written so far has been handed to the stream. */
  close(): Promise<void> {
    return new Promise((resolve) => this.#o.out.write('', () => resolve()));
  }

  #taskResult(r: TaskResult): void {
    // A loop's items were printed as they arrived; its aggregate line only adds a failure.
    const loop = r.results !== undefined && r.results.length > 0;
    const failed = r.status === 'failed' || r.status === 'unreachable';
    if (!loop || failed) this.#lines(r, undefined);
    if (failed && r.ignored) this.#line(this.#c.cyan('...ignoring'));
  }

  #lines(r: TaskResult, item: string | undefined): void {
    const paint = this.#paint(r.status);
    const v = this.#o.verbosity;
    const failed = r.status === 'failed' || r.status === 'unreachable';
    let head = statusHead(r.status, r.host, item);
    if (!r.censored) {
      const pending = [...new Set(r.changes.flatMap((ch) => (ch.pending ? [ch.pending] : [])))];
      if (pending.length > 0) head += ` (pending: ${pending.join('; ')})`;
    }
    const msg = r.censored ? CENSORED_MSG : r.msg;
    // debug's values print as Ansible does, at every verbosity: `ok: [h] => {\n    "msg": ...\n}`.
    if (r.show && !r.censored && !failed) head += ` => ${JSON.stringify(r.show, null, 4)}`;
    else if ((failed || v >= 1) && msg) head += ` => ${indentRest(msg, '    ')}`;
    this.#line(paint(head));
    // no_log: the status line is all that may be shown.
    if (r.censored) return;
    const details: string[] = [];
    if (v >= 1) for (const ch of r.changes) details.push(`    - ${ch.summary}`);
    if (failed || v >= 2) {
      if (r.rc !== undefined) details.push(`    rc: ${r.rc}`);
      if (v >= 2) details.push(...field('stdout', r.stdout));
      details.push(...field('stderr', r.stderr));
    }
    // JSON.stringify masks any Secret in registered data.
    if (v >= 3 && r.data !== undefined) details.push(`    data: ${JSON.stringify(r.data)}`);
    for (const d of details) this.#line(paint(d));
    if (this.#o.diff) {
      for (const ch of r.changes) if (ch.diff) this.#o.out.write(renderDiff(ch.diff, { color: this.#o.color }));
    }
  }

  #recap(hosts: Record<string, RecapCounts>, durationMs: number, interrupted: boolean): void {
    this.#bannerLine('PLAY RECAP');
    for (const h of Object.keys(hosts).sort()) {
      const counts = hosts[h];
      if (counts) this.#line(this.#recapLine(h, counts));
    }
    this.#line('');
    const flags = [...(this.#check ? ['check mode'] : []), ...(interrupted ? ['interrupted'] : [])];
    const n = this.#tasks;
    const suffix = flags.length > 0 ? ` (${flags.join(', ')})` : '';
    this.#line(`kiln: ${n} ${n === 1 ? 'task' : 'tasks'} in ${(durationMs / 1000).toFixed(2)} s${suffix}`);
  }

  #recapLine(host: string, t: RecapCounts): string {
    const c = this.#c;
    const hostPaint = t.failed + t.unreachable > 0 ? c.red : t.changed > 0 ? c.yellow : c.green;
    // Pad outside the colour codes so columns line up with and without colour.
    const name = hostPaint(host) + ' '.repeat(Math.max(0, RECAP_HOST_WIDTH - host.length));
    const field = (lead: string, n: number, paint: (s: string) => string): string => {
      const s = `${lead}=${String(n).padEnd(4)}`;
      return n === 0 ? s : paint(s);
    };
    return [
      `${name} :`,
      field('ok', t.ok, c.green),
      field('changed', t.changed, c.yellow),
      field('unreachable', t.unreachable, c.red),
      field('failed', t.failed, c.red),
      field('skipped', t.skipped, c.cyan),
      field('rescued', t.rescued, c.green),
      field('ignored', t.ignored, c.magenta),
    ].join(' ');
  }

  #paint(s: Status): (text: string) => string {
    const c = this.#c;
    return { ok: c.green, changed: c.yellow, skipped: c.cyan, failed: c.red, unreachable: c.red }[s];
  }

  #playBanner(play: string, suffix: string): void {
    this.#play = play;
    this.#banner = undefined;
    this.#bannerLine(`PLAY [${play}]${suffix}`);
  }

  #taskBanner(task: string, handler: boolean): void {
    this.#banner = { task, handler };
    this.#bannerLine(`${handler ? 'RUNNING HANDLER' : 'TASK'} [${task}]`);
  }

  #ensureBanner(task: string, handler: boolean): void {
    if (this.#banner?.task !== task || this.#banner.handler !== handler) this.#taskBanner(task, handler);
  }

  #bannerLine(text: string): void {
    this.#line('');
    this.#line(`${text} ${'*'.repeat(Math.max(3, BANNER_WIDTH - 1 - text.length))}`);
  }

  #line(text: string): void {
    this.#o.out.write(`${text}\n`);
  }
}

// Ansible's wording: "fatal ... FAILED!" for a task, "failed" for a loop item.
function statusHead(status: Status, host: string, item: string | undefined): string {
  const h = `[${host}]`;
  const itemPart = item === undefined ? '' : ` (item=${item})`;
  switch (status) {
    case 'ok':
    case 'changed':
      return `${status}: ${h}${item === undefined ? '' : ` =>${itemPart}`}`;
    case 'skipped':
      return `skipping: ${h}${item === undefined ? '' : ` =>${itemPart}`}`;
    case 'failed':
      return item === undefined ? `fatal: ${h}: FAILED!` : `failed: ${h}${itemPart}`;
    case 'unreachable':
      return `unreachable: ${h}${itemPart}: UNREACHABLE!`;
  }
}

// Multi-line text is indented under its line, so no output line can pose as a status or recap line.
function indentRest(text: string, indent: string): string {
  return text.replace(/\r?\n$/, '').split('\n').join(`\n${indent}`);
}

function field(name: string, value: string | undefined): string[] {
  if (value === undefined || value === '') return [];
  const text = value.replace(/\r?\n$/, '');
  if (!text.includes('\n')) return [`    ${name}: ${text}`];
  return [`    ${name}: |`, ...text.split('\n').map((l) => `      ${l}`)];
}
