import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import type { RunEvent } from '../../../src/engine/output/events.js';
import { CENSORED_MSG, JsonReporter } from '../../../src/engine/output/json.js';
import { Recap } from '../../../src/engine/output/recap.js';
import type { TaskResult } from '../../../src/engine/result.js';
import { Secret } from '../../../src/engine/secret.js';

const PLAY = 'web servers';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

function render(events: RunEvent[], o: { diff?: boolean; color?: boolean; check?: boolean } = {}): string {
  const out = new Capture();
  const r = new JsonReporter({ out, diff: o.diff ?? false, verbosity: 0, color: o.color ?? false, check: o.check ?? false });
  for (const e of events) r.event(e);
  return out.text;
}

function parsed(text: string): Record<string, unknown>[] {
  assert.ok(text.endsWith('\n'), 'every line is terminated');
  return text
    .slice(0, -1)
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function res(host: string, status: TaskResult['status'], extra: Partial<TaskResult> = {}): TaskResult {
  return { host, task: 'write config', status, changes: [], msg: '', durationMs: 12.4, ...extra };
}

const changed = res('web1', 'changed', {
  changes: [{ summary: 'update /etc/x', diff: { path: '/etc/x', before: 'a\n', after: 'b\n' }, pending: 'package nginx is planned' }],
});

describe('JsonReporter', () => {
  it('writes exactly one parseable JSON object per event, one per line', () => {
    const recap = new Recap();
    recap.add(changed);
    const events: RunEvent[] = [
      { type: 'playbook_start', playbook: 'site.yml', check: false, diff: false },
      { type: 'play_start', play: PLAY, hosts: ['web1'] },
      { type: 'task_start', play: PLAY, task: 'write config', loc: 'site.yml:7' },
      { type: 'item_result', play: PLAY, result: res('web1', 'ok', { itemLabel: 'a\nb' }) },
      { type: 'task_result', play: PLAY, result: changed },
      { type: 'warning', message: 'line one\nline two' },
      { type: 'no_hosts', play: 'db', pattern: 'db' },
      { type: 'recap', hosts: recap.counts(), durationMs: 99.6 },
    ];
    const objs = parsed(render(events));
    assert.deepEqual(
      objs.map((o) => o.event),
      ['playbook_start', 'play_start', 'task_start', 'item_result', 'task_result', 'warning', 'no_hosts', 'recap'],
    );
  });

  it('uses stable snake_case field names for a task result', () => {
    const [obj] = parsed(render([{ type: 'task_result', play: PLAY, result: res('web2', 'failed', { msg: 'boom', rc: 3, stderr: 'e', ignored: true }) }]));
    assert.deepEqual(obj, {
      event: 'task_result',
      play: PLAY,
      handler: false,
      host: 'web2',
      task: 'write config',
      status: 'failed',
      ignored: true,
      rescued: false,
      duration_ms: 12,
      changes: [],
      msg: 'boom',
      censored: false,
      rc: 3,
      stderr: 'e',
    });
  });

  it('includes diffs as before/after data only when diff is on', () => {
    const [off] = parsed(render([{ type: 'task_result', play: PLAY, result: changed }]));
    assert.deepEqual(off?.changes, [{ summary: 'update /etc/x', pending: 'package nginx is planned' }]);
    const [on] = parsed(render([{ type: 'task_result', play: PLAY, result: changed }], { diff: true }));
    assert.deepEqual(on?.changes, [
      {
        summary: 'update /etc/x',
        pending: 'package nginx is planned',
        diff: { path: '/etc/x', before: 'a\n', after: 'b\n', binary: false, before_header: null, after_header: null },
      },
    ]);
  });

  it('never writes colour, even when color is set', () => {
    const text = render([{ type: 'task_result', play: PLAY, result: changed }], { color: true, diff: true });
    assert.ok(!text.includes('\x1b['), text);
  });

  it('serialises secrets masked, in data and in loop item data', () => {
    const item = res('h', 'ok', { itemLabel: 'x', data: { token: new Secret('hunter2') } });
    const text = render([
      { type: 'task_result', play: PLAY, result: res('h', 'ok', { data: { password: new Secret('hunter2'), nested: [{ s: new Secret('hunter2') }] }, results: [item] }) },
    ]);
    assert.ok(!text.includes('hunter2'), text);
    const [obj] = parsed(text);
    assert.deepEqual(obj?.data, { password: '********', nested: [{ s: '********' }] });
    assert.deepEqual((obj?.results as Record<string, unknown>[])[0]?.data, { token: '********' });
  });

  it('replaces a no_log result\'s details with Ansible\'s censored message', () => {
    const r = res('h', 'failed', {
      censored: true,
      msg: 'bad password hunter2',
      stderr: 'hunter2',
      data: { pw: 'hunter2' },
      changes: [{ summary: 'set hunter2', diff: { path: '/p', before: 'hunter2', after: 'x' } }],
    });
    const text = render([{ type: 'task_result', play: PLAY, result: r }], { diff: true });
    assert.ok(!text.includes('hunter2'), text);
    const [obj] = parsed(text);
    assert.equal(obj?.msg, CENSORED_MSG);
    assert.equal(obj?.censored, true);
    assert.equal(obj?.status, 'failed');
  });

  it('ends with a recap event carrying per-host counts, totals and the outcome', () => {
    const recap = new Recap();
    recap.add(res('a', 'changed'));
    recap.add(res('b', 'failed', { ignored: true }));
    const [obj] = parsed(render([{ type: 'recap', hosts: recap.counts(), durationMs: 1500.4, interrupted: true }], { check: true }));
    assert.deepEqual(obj, {
      event: 'recap',
      hosts: {
        a: { ok: 1, changed: 1, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 },
        b: { ok: 1, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 1 },
      },
      totals: { ok: 2, changed: 1, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 1 },
      outcome: 'changed',
      check: true,
      interrupted: true,
      duration_ms: 1500,
    });
  });

  it('keeps going when registered data cannot be serialised (a cycle), and says why', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const text = render([
      { type: 'task_result', play: PLAY, result: res('h', 'ok', { data: cyclic }) },
      { type: 'task_result', play: PLAY, result: res('h', 'ok', { data: { big: 10n } }) },
    ]);
    const [broken, big] = parsed(text);
    assert.equal(broken?.host, 'h');
    assert.match(String(broken?.error), /not serialisable/);
    assert.deepEqual(big?.data, { big: '10' });
  });

  it('close() resolves once written output is flushed', async () => {
    const out = new Capture();
    const r = new JsonReporter({ out, diff: false, verbosity: 0, color: false, check: false });
    r.event({ type: 'warning', message: 'w' });
    await r.close();
    assert.deepEqual(parsed(out.text), [{ event: 'warning', message: 'w' }]);
  });
});
