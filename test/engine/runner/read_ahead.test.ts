// Reading ahead, end to end on the local connection: a converged run reads the path facts of all
// its tasks in one round trip, and nothing read ahead survives a change.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localConnection } from '../../../src/engine/connection/local.js';
import type { Connection } from '../../../src/engine/connection/types.js';
import type { RunEvent } from '../../../src/engine/output/events.js';
import { loadPlaybook } from '../../../src/engine/playbook/load.js';
import type { TaskResult } from '../../../src/engine/result.js';
import type { PlayEnv } from '../../../src/engine/runner/env.js';
import { HostState } from '../../../src/engine/runner/host.js';
import { PlayRunner } from '../../../src/engine/runner/play.js';
import { counting, removeDir, tempDir } from '../../modules/helpers.js';

interface Played {
  results: TaskResult[];
  /** Round trips to the host: run, script, put, get. */
  calls: string[];
}

async function play(file: string, root: string, opts: { check?: boolean } = {}): Promise<Played> {
  const { playbook } = loadPlaybook(file);
  const conn = counting(localConnection('localhost'));
  const results: TaskResult[] = [];
  const host = new HostState('localhost', {}, {});
  const play = playbook.plays[0];
  assert.ok(play);
  const env: PlayEnv = {
    play,
    playbookDir: playbook.dir,
    options: { check: opts.check ?? false, diff: false, forks: 5, tags: [], skipTags: [], extraVars: { root }, forceHandlers: false, verbosity: 0, hostKeyPolicy: 'strict' },
    reporter: { event: (e: RunEvent) => void (e.type === 'task_result' && results.push(e.result)), close: () => undefined },
    connect: async (): Promise<Connection> => conn,
    local: () => conn,
    hosts: new Map([['localhost', host]]),
    notify: () => undefined,
  };
  try {
    await new PlayRunner(env, [host]).run();
  } finally {
    await conn.close();
  }
  return { results, calls: conn.calls };
}

const statuses = (p: Played): string[] => p.results.map((r) => `${r.task}: ${r.status}`);

/** A one-play playbook in `dir` with these tasks (YAML, indented as list items of `tasks:`). */
function playbook(dir: string, tasks: string): string {
  const file = join(dir, 'site.yml');
  writeFileSync(file, `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks}`);
  return file;
}

describe('read ahead (runner)', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('ahead');
  });
  afterEach(() => removeDir(dir));

  it('reads the path facts of a converged run in one round trip, and still sees every task right', async () => {
    const tasks: string[] = [];
    for (let i = 0; i < 12; i++) {
      tasks.push(`- name: dir ${i}\n  file: { path: "{{ root }}/d${i}", state: directory, mode: "0755" }`);
      tasks.push(`- name: copy ${i}\n  copy: { content: "c${i}\\n", dest: "{{ root }}/d${i}/f", mode: "0644" }`);
    }
    tasks.push(`- name: looped\n  file: { path: "{{ root }}/{{ item }}", state: directory, mode: "0700" }\n  loop: [l1, l2]`);
    tasks.push(`- name: skipped\n  file: { path: "{{ root }}/never", state: directory }\n  when: false`);
    tasks.push(`- name: link\n  file: { path: "{{ root }}/ln", src: d0/f, state: link }`);
    tasks.push(`- name: guarded\n  command: touch {{ root }}/d0/f\n  args: { creates: "{{ root }}/d0/f" }`);
    const file = playbook(dir, `${tasks.map((t) => t.replace(/^/gm, '    ')).join('\n')}\n`);
    const root = join(dir, 'root');
    mkdirSync(root);

    const first = await play(file, root);
    assert.equal(first.results.filter((r) => r.status === 'changed').length, 24 + 1 + 1);
    const second = await play(file, root);
    assert.deepEqual(
      second.results.filter((r) => r.status !== 'ok').map((r) => `${r.task}: ${r.status}`),
      ['skipped: skipped'],
      'a converged run changes nothing',
    );
    assert.deepEqual(second.calls, ['script'], 'one round trip for 29 tasks');
    const check = await play(file, root, { check: true });
    assert.deepEqual(check.calls, ['script']);
    assert.equal(check.results.filter((r) => r.status === 'changed').length, 0);
  });

  it('never answers from facts read before a change: the next task reads afresh', async () => {
    const target = join(dir, 'made-by-command');
    const file = playbook(
      dir,
      `    - name: absent before
      file: { path: "${target}", state: absent }
    - name: make it behind kiln's back
      command: touch ${target}
    - name: absent after
      file: { path: "${target}", state: absent }
`,
    );
    const p = await play(file, dir);
    assert.deepEqual(statuses(p), ['absent before: ok', 'make it behind kiln\'s back: changed', 'absent after: changed']);
    assert.equal(existsSync(target), false);
  });

  it('reads afresh on every until retry: a file that appears meanwhile is seen', async () => {
    const target = join(dir, 'appears');
    const file = playbook(
      dir,
      `    - name: wait for it
      file: { path: "${target}", state: file }
      register: waited
      until: waited is succeeded
      retries: 5
      delay: 1
`,
    );
    spawn('sh', ['-c', `sleep 0.3; touch '${target}'`], { stdio: 'ignore' });
    const p = await play(file, dir);
    assert.deepEqual(statuses(p), ['wait for it: ok']);
  });
});
