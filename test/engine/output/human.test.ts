import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import type { RunEvent } from '../../../src/engine/output/events.js';
import { HumanReporter } from '../../../src/engine/output/human.js';
import { Recap } from '../../../src/engine/output/recap.js';
import type { TaskResult } from '../../../src/engine/result.js';
import { Secret } from '../../../src/engine/secret.js';

const RECAP_RE =
  /^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)\s*$/;
const PLAY = 'web servers';
const ESC = '\x1b[';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

interface Opts {
  diff?: boolean;
  verbosity?: number;
  color?: boolean;
  check?: boolean;
}

function render(events: RunEvent[], o: Opts = {}): string {
  const out = new Capture();
  const r = new HumanReporter({ out, diff: o.diff ?? false, verbosity: o.verbosity ?? 0, color: o.color ?? false, check: o.check ?? false });
  for (const e of events) r.event(e);
  return out.text;
}

function res(host: string, status: TaskResult['status'], extra: Partial<TaskResult> = {}): TaskResult {
  return { host, task: 'install nginx', status, changes: [], msg: '', durationMs: 5, ...extra };
}

function taskRun(results: TaskResult[]): RunEvent[] {
  return [
    { type: 'play_start', play: PLAY, hosts: results.map((r) => r.host) },
    { type: 'task_start', play: PLAY, task: 'install nginx' },
    ...results.map((result): RunEvent => ({ type: 'task_result', play: PLAY, result })),
  ];
}

function outLines(text: string): string[] {
  return text.split('\n');
}

describe('HumanReporter', () => {
  it('prints PLAY / TASK / RUNNING HANDLER banners padded with stars to 80 columns', () => {
    const text = render([
      { type: 'play_start', play: PLAY, hosts: ['web1'] },
      { type: 'task_start', play: PLAY, task: 'install nginx' },
      { type: 'task_start', play: PLAY, task: 'restart nginx', handler: true },
    ]);
    const banners = outLines(text).filter((l) => l.endsWith('***'));
    assert.deepEqual(
      banners.map((l) => l.replace(/ \*+$/, '')),
      ['PLAY [web servers]', 'TASK [install nginx]', 'RUNNING HANDLER [restart nginx]'],
    );
    for (const b of banners) assert.equal(b.length, 80, b);
    assert.match(text, /\n\nTASK \[install nginx\] \*+\n/, 'a blank line before each banner, like Ansible');
  });

  it('prints one Ansible-style line per host and status', () => {
    const text = render(
      taskRun([
        res('web1', 'changed'),
        res('web2', 'ok', { msg: 'already installed' }),
        res('web3', 'skipped', { msg: 'when was false' }),
        res('web4', 'failed', { msg: 'destination directory /x does not exist', ignored: true }),
        res('web5', 'unreachable', { msg: 'ssh: connection refused' }),
      ]),
    );
    const body = outLines(text).slice(outLines(text).findIndex((l) => l.startsWith('TASK')) + 1);
    assert.deepEqual(body, [
      'changed: [web1]',
      'ok: [web2]',
      'skipping: [web3]',
      'fatal: [web4]: FAILED! => destination directory /x does not exist',
      '...ignoring',
      'unreachable: [web5]: UNREACHABLE! => ssh: connection refused',
      '',
    ]);
  });

  it('always shows rc and stderr of a failure, indented under it', () => {
    const text = render(taskRun([res('h', 'failed', { msg: 'command failed', rc: 2, stderr: 'no such file\nsecond line\n', stdout: 'quiet' })]));
    assert.ok(text.includes('fatal: [h]: FAILED! => command failed\n    rc: 2\n    stderr: |\n      no such file\n      second line\n'), text);
    assert.ok(!text.includes('quiet'), 'stdout waits for -vv');
  });

  it('indents the lines of a multi-line message so none can pose as another line', () => {
    const text = render(taskRun([res('h', 'failed', { msg: 'first\nh : ok=1 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0' })]));
    assert.ok(text.includes('fatal: [h]: FAILED! => first\n    h : ok=1'), text);
    assert.equal(outLines(text).filter((l) => RECAP_RE.test(l)).length, 0);
  });

  it('-v adds the ok reason and change summaries; -vv adds rc, stdout and stderr', () => {
    const results = [
      res('a', 'ok', { msg: '/etc/x already has this content' }),
      res('b', 'changed', { changes: [{ summary: 'create directory /srv/app' }], rc: 0, stdout: 'done', stderr: 'note' }),
    ];
    const quiet = render(taskRun(results));
    assert.ok(quiet.includes('ok: [a]\n') && !quiet.includes('already has'), quiet);
    assert.ok(!quiet.includes('create directory'), quiet);

    const v1 = render(taskRun(results), { verbosity: 1 });
    assert.ok(v1.includes('ok: [a] => /etc/x already has this content\n'), v1);
    assert.ok(v1.includes('changed: [b]\n    - create directory /srv/app\n'), v1);
    assert.ok(!v1.includes('stdout'), v1);

    const v2 = render(taskRun(results), { verbosity: 2 });
    assert.ok(v2.includes('    rc: 0\n    stdout: done\n    stderr: note\n'), v2);
  });

  it('prints each change diff under its host line when diff is on, and only then', () => {
    const r = res('web1', 'changed', { changes: [{ summary: 'update /etc/x', diff: { path: '/etc/x', before: 'a\n', after: 'b\n' } }] });
    const withDiff = render(taskRun([r]), { diff: true });
    assert.ok(withDiff.includes('changed: [web1]\n--- before: /etc/x\n+++ after: /etc/x\n@@ -1 +1 @@\n-a\n+b\n'), withDiff);
    assert.ok(!render(taskRun([r])).includes('--- before'));
  });

  it('shows the pending reason of a check-mode change on the changed line', () => {
    const pending = "directory /srv/app is planned by task 'make dir'";
    const text = render(taskRun([res('h', 'changed', { changes: [{ summary: 'write /srv/app/x', pending }] })]), { check: true });
    assert.ok(text.includes(`changed: [h] (pending: ${pending})\n`), text);
  });

  it('hides a no_log result behind Ansible\'s censored message, diffs and pending reasons included', () => {
    const r = res('h', 'failed', {
      censored: true,
      msg: 'login failed for hunter2',
      stderr: 'hunter2',
      changes: [{ summary: 'set password hunter2', pending: 'hunter2', diff: { path: '/p', before: 'hunter2\n', after: 'x\n' } }],
    });
    const text = render(taskRun([r]), { diff: true, verbosity: 3 });
    assert.ok(text.includes('fatal: [h]: FAILED! => the output has been hidden due to the no_log: true specified for this result\n'), text);
    assert.ok(!text.includes('hunter2'), text);
  });

  it('masks secrets in registered data shown at -vvv', () => {
    const text = render(taskRun([res('h', 'ok', { data: { password: new Secret('hunter2') } })]), { verbosity: 3 });
    assert.ok(text.includes('"password":"********"'), text);
    assert.ok(!text.includes('hunter2'));
  });

  it('prints loop items as they arrive and the aggregate only when it failed', () => {
    const items = [res('h', 'changed', { itemLabel: 'a' }), res('h', 'failed', { itemLabel: 'b', msg: 'no such package' })];
    const text = render([
      { type: 'play_start', play: PLAY, hosts: ['h', 'g'] },
      { type: 'task_start', play: PLAY, task: 'install nginx' },
      ...items.map((result): RunEvent => ({ type: 'item_result', play: PLAY, result })),
      { type: 'task_result', play: PLAY, result: res('h', 'failed', { results: items, msg: 'one or more items failed', ignored: true }) },
      { type: 'item_result', play: PLAY, result: res('g', 'ok', { itemLabel: 'a' }) },
      { type: 'task_result', play: PLAY, result: res('g', 'ok', { results: [res('g', 'ok', { itemLabel: 'a' })] }) },
    ]);
    const body = outLines(text).slice(outLines(text).findIndex((l) => l.startsWith('TASK')) + 1);
    assert.deepEqual(body, [
      'changed: [h] => (item=a)',
      'failed: [h] (item=b) => no such package',
      'fatal: [h]: FAILED! => one or more items failed',
      '...ignoring',
      'ok: [g] => (item=a)',
      '',
    ]);
  });

  it('prints the task banner again when a result belongs to another task (handlers, free strategy)', () => {
    const text = render([
      { type: 'play_start', play: PLAY, hosts: ['h'] },
      { type: 'task_start', play: PLAY, task: 'install nginx' },
      { type: 'task_result', play: PLAY, result: res('h', 'changed', { task: 'restart nginx' }), handler: true },
    ]);
    assert.match(text, /RUNNING HANDLER \[restart nginx\] \*+\nchanged: \[h\]\n$/);
  });

  it('prints warnings as [WARNING]: to the same stream', () => {
    assert.equal(render([{ type: 'warning', message: 'module is deprecated' }]), '[WARNING]: module is deprecated\n');
  });

  it('says "skipping: no hosts matched" under the play banner when a pattern matches nothing', () => {
    const text = render([{ type: 'no_hosts', play: 'db servers', pattern: 'db:&prod' }]);
    assert.match(text, /^\nPLAY \[db servers\] \*+\nskipping: no hosts matched \(hosts: db:&prod\)\n$/);
  });

  it('announces a dry run at playbook start in check mode, and only then', () => {
    const check = render([{ type: 'playbook_start', playbook: 'site.yml', check: true, diff: false }]);
    assert.match(check, /dry run \(check mode\)/);
    assert.equal(render([{ type: 'playbook_start', playbook: 'site.yml', check: false, diff: false }]), '');
  });

  describe('recap', () => {
    function recapRun(o: Opts = {}): string {
      const results = [
        res('web1', 'changed'),
        res('web1', 'ok'),
        res('a-very-long-host-name-over-26-chars.example.com', 'failed'),
        res('web2', 'failed', { ignored: true }),
        res('web3', 'unreachable'),
        res('web4', 'skipped'),
        res('web5', 'failed', { rescued: true }),
      ];
      const recap = new Recap();
      for (const r of results) recap.add(r);
      return render([...taskRun(results), { type: 'recap', hosts: recap.counts(), durationMs: 1234, interrupted: false }], o);
    }

    it('prints one line per host, sorted, that matches the regex users grep, with the right numbers', () => {
      const text = recapRun();
      const rows = outLines(text)
        .map((l) => RECAP_RE.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1], ...m.slice(2).map(Number)]);
      assert.deepEqual(rows, [
        ['a-very-long-host-name-over-26-chars.example.com', 0, 0, 0, 1, 0, 0, 0],
        ['web1', 2, 1, 0, 0, 0, 0, 0],
        ['web2', 1, 0, 0, 0, 0, 0, 1],
        ['web3', 0, 0, 1, 0, 0, 0, 0],
        ['web4', 0, 0, 0, 0, 1, 0, 0],
        ['web5', 0, 0, 0, 0, 0, 1, 0],
      ]);
      assert.ok(text.includes('\nweb1                       : ok=2    changed=1    unreachable=0    failed=0'), 'Ansible columns');
      assert.match(text, /\n\nPLAY RECAP \*+\n/);
    });

    it('ends with a timing line of its own that the recap regex does not match', () => {
      const last = outLines(recapRun({ check: true })).filter((l) => l !== '').at(-1) ?? '';
      assert.equal(last, 'kiln: 1 task in 1.23 s (check mode)');
      assert.ok(!RECAP_RE.test(last));
      assert.equal(outLines(recapRun()).filter((l) => l !== '').at(-1), 'kiln: 1 task in 1.23 s');
    });
  });

  describe('colour', () => {
    const results = [res('o', 'ok'), res('c', 'changed'), res('s', 'skipped'), res('f', 'failed', { msg: 'x' }), res('u', 'unreachable', { msg: 'y' })];

    it('is absent when color is off', () => {
      const text = render([...taskRun(results), { type: 'recap', hosts: new Recap().counts(), durationMs: 1 }], { diff: true });
      assert.ok(!text.includes(ESC), JSON.stringify(text));
    });

    it('follows Ansible when on: ok green, changed yellow, skipped cyan, failed and unreachable red', () => {
      const text = render(taskRun(results), { color: true });
      assert.ok(text.includes('\x1b[32mok: [o]\x1b[39m'), JSON.stringify(text));
      assert.ok(text.includes('\x1b[33mchanged: [c]\x1b[39m'), JSON.stringify(text));
      assert.ok(text.includes('\x1b[36mskipping: [s]\x1b[39m'), JSON.stringify(text));
      assert.ok(text.includes('\x1b[31mfatal: [f]: FAILED! => x\x1b[39m'), JSON.stringify(text));
      assert.ok(text.includes('\x1b[31munreachable: [u]: UNREACHABLE! => y\x1b[39m'), JSON.stringify(text));
    });

    it('keeps recap columns aligned: padding sits outside the colour codes', () => {
      const recap = new Recap();
      recap.add(res('web1', 'changed'));
      const text = render([{ type: 'recap', hosts: recap.counts(), durationMs: 1 }], { color: true });
      // eslint-disable-next-line no-control-regex
      const stripped = text.replace(/\x1b\[\d+m/g, '');
      assert.ok(stripped.includes('\nweb1                       : ok=1    changed=1    unreachable=0'), stripped);
      assert.ok(text.includes('\x1b[33mweb1\x1b[39m'), 'a changed host is yellow');
    });
  });

  it('close() resolves once written output is flushed', async () => {
    const out = new Capture();
    const r = new HumanReporter({ out, diff: false, verbosity: 0, color: false, check: false });
    r.event({ type: 'warning', message: 'w' });
    await r.close();
    assert.equal(out.text, '[WARNING]: w\n');
  });
});
