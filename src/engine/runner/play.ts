// Runs a play with Ansible's linear strategy: each task on every active host (in parallel, up to
// --forks), then a barrier. Blocks route failed hosts to rescue, then always. Handlers flush after
// each section and at meta: flush_handlers.
import pLimit from 'p-limit';
import { ValidationError } from '../errors.js';
import { Loader } from '../playbook/load.js';
import type { IncludeNode, Node, TaskNode } from '../playbook/model.js';
import type { TaskResult } from '../result.js';
import { renderText } from '../template/render.js';
import { gatherFacts } from '../facts/gather.js';
import type { PlayEnv } from './env.js';
import type { HostState } from './host.js';
import { tagsSelect } from './tags.js';
import { condsHold, registerValue, runTask, scopeFor } from './task.js';
import { dirname } from 'node:path';

export class PlayRunner {
  private readonly limit: ReturnType<typeof pLimit>;
  /** handler name or listen topic → hosts that notified it. */
  private readonly notified = new Map<string, Set<HostState>>();
  private stopped = false;

  constructor(
    private readonly env: PlayEnv,
    private readonly hosts: HostState[],
  ) {
    this.limit = pLimit(Math.max(1, env.options.forks));
  }

  private active(hosts: HostState[] = this.hosts): HostState[] {
    return hosts.filter((h) => h.active);
  }

  notify(host: HostState, names: readonly string[]): void {
    for (const n of names) {
      let set = this.notified.get(n);
      if (!set) this.notified.set(n, (set = new Set()));
      set.add(host);
    }
  }

  async run(): Promise<void> {
    const { play } = this.env;
    if (play.gatherFacts) await this.gather();
    for (const section of play.sections) {
      if (this.stopped) break;
      await this.nodes(section, this.active());
      await this.flushHandlers();
    }
  }

  private async gather(): Promise<void> {
    const hosts = this.active().filter((h) => !h.facts);
    if (!hosts.length) return;
    this.env.reporter.event({ type: 'task_start', play: this.env.play.name, task: 'Gathering Facts' });
    await Promise.all(
      hosts.map((h) =>
        this.limit(async () => {
          const started = Date.now();
          let r: TaskResult;
          try {
            h.facts = await gatherFacts(await this.env.connect(h));
            r = { host: h.name, task: 'Gathering Facts', status: 'ok', changes: [], msg: 'facts gathered', durationMs: 0 };
          } catch (e) {
            const unreachable = e instanceof Error && e.name === 'ConnectionError';
            r = { host: h.name, task: 'Gathering Facts', status: unreachable ? 'unreachable' : 'failed', changes: [], msg: e instanceof Error ? e.message : String(e), durationMs: 0 };
          }
          r.durationMs = Date.now() - started;
          this.record(h, r);
        }),
      ),
    );
  }

  /** Count a result, mark the host, tell the reporter. */
  private record(h: HostState, r: TaskResult, handler = false): void {
    const c = h.counts;
    if (r.status === 'unreachable') {
      c.unreachable++;
      h.unreachable = true;
    } else if (r.status === 'failed') {
      if (r.ignored) {
        // Like ansible-core: an ignored failure counts as ok and ignored, never failed.
        c.ok++;
        c.ignored++;
      } else {
        c.failed++;
        h.failed = true;
      }
    } else if (r.status === 'skipped') c.skipped++;
    else {
      c.ok++;
      if (r.status === 'changed') c.changed++;
    }
    this.env.reporter.event({ type: 'task_result', play: this.env.play.name, result: r, handler });
  }

  private async nodes(nodes: Node[], hosts: HostState[]): Promise<void> {
    for (const node of nodes) {
      if (this.stopped || this.env.options.signal?.aborted) return;
      const live = this.active(hosts);
      if (!live.length) return;
      if (node.kind === 'task') await this.task(node, live);
      else if (node.kind === 'block') await this.block(node, live);
      else await this.include(node, live);
    }
  }

  private selected(task: TaskNode): boolean {
    const o = this.env.options;
    return tagsSelect(task.inherited.tags, o.tags, o.skipTags);
  }

  private async task(task: TaskNode, hosts: HostState[], handler = false): Promise<void> {
    if (!handler && !this.selected(task)) return;
    if (task.module === 'meta') return this.meta(task, hosts);
    this.env.reporter.event({ type: 'task_start', play: this.env.play.name, task: task.name, loc: `${task.loc.file}:${task.loc.line}`, handler });
    const runOn = task.inherited.runOnce ? hosts.slice(0, 1) : hosts;
    const results = await Promise.all(runOn.map((h) => this.limit(() => runTask(task, h, this.env))));
    const all: [HostState, TaskResult][] = runOn.map((h, i) => [h, results[i] as TaskResult]);
    if (task.inherited.runOnce) {
      const first = all[0]?.[1];
      for (const h of hosts.slice(1)) {
        if (first && task.register) h.runtime[task.register] = registerValue(first);
        if (first) all.push([h, { ...first, host: h.name }]);
      }
    }
    for (const [h, r] of all) {
      if (r.status === 'failed' && !r.ignored) {
        h.lastFailure = { task: { name: task.name, action: task.module }, result: registerValue(r) };
      }
      this.record(h, r, handler);
      if (r.status === 'changed' && task.notify.length) this.notify(h, task.notify);
    }
    if (task.inherited.anyErrorsFatal || this.env.play.anyErrorsFatal) {
      if (all.some(([, r]) => r.status === 'failed' && !r.ignored)) {
        for (const h of this.hosts) if (h.active) h.ended = true;
        this.stopped = true;
      }
    }
  }

  private async meta(task: TaskNode, hosts: HostState[]): Promise<void> {
    const action = String(task.args);
    if (action === 'flush_handlers') await this.flushHandlers();
    else if (action === 'end_play') this.stopped = true;
    else if (action === 'end_host') for (const h of hosts) h.ended = true;
    else if (action === 'clear_host_errors') for (const h of this.hosts) h.failed = false;
  }

  private async block(node: Extract<Node, { kind: 'block' }>, hosts: HostState[]): Promise<void> {
    const failedBefore = new Set(this.hosts.filter((h) => h.failed));
    await this.nodes(node.block, hosts);
    const failedHere = hosts.filter((h) => h.failed && !failedBefore.has(h));
    if (node.rescue.length && failedHere.length) {
      for (const h of failedHere) {
        h.failed = false;
        h.counts.failed--;
        h.counts.rescued++;
        h.runtime['ansible_failed_task'] = h.lastFailure?.task ?? {};
        h.runtime['ansible_failed_result'] = h.lastFailure?.result ?? {};
      }
      await this.nodes(node.rescue, failedHere);
    }
    if (node.always.length) {
      // always runs on every host that entered the block and is still reachable, failed or not.
      const still = hosts.filter((h) => !h.unreachable && !h.ended);
      const failedNow = still.filter((h) => h.failed);
      for (const h of failedNow) h.failed = false;
      await this.nodes(node.always, still);
      for (const h of failedNow) h.failed = true;
    }
  }

  /** include_tasks / include_role: resolved per host, validated, then run like the tasks they hold. */
  private async include(node: IncludeNode, hosts: HostState[]): Promise<void> {
    const groups = new Map<string, HostState[]>();
    const loader = new Loader();
    for (const h of hosts) {
      const scope = scopeFor({ ...(node as unknown as TaskNode), vars: node.vars, inherited: node.inherited }, h, this.env);
      if (!condsHold(node.inherited.when, scope).ok) continue;
      const target = renderText(node.target, scope, node.what === 'tasks' ? 'include_tasks' : 'include_role');
      const list = groups.get(target) ?? [];
      list.push(h);
      groups.set(target, list);
    }
    for (const [target, hs] of groups) {
      let nodes: Node[];
      if (node.what === 'tasks') {
        const role = node.inherited.role;
        const file = role ? `${role.dir}/tasks/${target}` : `${node.baseDir}/${target}`;
        const list = loader.readValidated(file, 'tasks.schema.json');
        nodes = loader.tasks(list ?? [], dirname(file), { ...node.inherited, blockVars: [...node.inherited.blockVars, node.vars] }, this.env.play.handlers);
      } else {
        nodes = loader.roleRef({ role: target, ...node.vars }, node.baseDir, node.inherited, this.env.play.handlers, new Set(), node.loc, node.tasksFrom ?? 'main');
      }
      // Included files are validated when reached (their names may depend on variables);
      // undefined variables inside them fail at run time with the variable's name.
      const problems = loader.problems.splice(0);
      if (problems.length) {
        for (const h of hs) this.record(h, { host: h.name, task: node.name, status: 'failed', changes: [], msg: new ValidationError(problems).message, durationMs: 0 });
        continue;
      }
      this.env.reporter.event({ type: 'task_start', play: this.env.play.name, task: node.name, loc: `${node.loc.file}:${node.loc.line}` });
      for (const h of hs) this.record(h, { host: h.name, task: node.name, status: 'ok', changes: [], msg: `included ${target}`, durationMs: 0 });
      await this.nodes(nodes, hs);
    }
  }

  /** Run notified handlers in definition order, once, on the hosts that notified them. */
  async flushHandlers(): Promise<void> {
    if (!this.notified.size) return;
    const force = this.env.play.forceHandlers || this.env.options.forceHandlers;
    for (const h of this.env.play.handlers) {
      const hosts = new Set<HostState>();
      for (const key of [h.name, ...h.listen]) for (const host of this.notified.get(key) ?? []) hosts.add(host);
      const eligible = [...hosts].filter((x) => x.active || (force && x.failed && !x.unreachable));
      if (!eligible.length) continue;
      const wasFailed = eligible.filter((x) => x.failed);
      for (const x of wasFailed) x.failed = false;
      await this.task(h, eligible, true);
      for (const x of wasFailed) x.failed = true;
    }
    this.notified.clear();
  }
}
