// Runs a play with Ansible's linear strategy: each task on every active host (in parallel, up to
// --forks), then a barrier. Blocks route failed hosts to rescue, then always. Handlers flush after
// each section and at meta: flush_handlers.
import pLimit from 'p-limit';
import { ConnectionError, ValidationError } from '../errors.js';
import { countResult } from '../output/recap.js';
import { copyLocs } from '../load/locations.js';
import { handlerNames } from '../playbook/handlers.js';
import { Loader } from '../playbook/load.js';
import { validateInline } from '../schema/validate.js';
import type { IncludeNode, Node, RoleInstance, TaskNode } from '../playbook/model.js';
import type { TaskResult } from '../result.js';
import { isTemplated, renderDeep, renderText } from '../template/render.js';
import { gatherFacts } from '../facts/gather.js';
import type { PlayEnv } from './env.js';
import type { HostState } from './host.js';
import { tagsSelect } from './tags.js';
import { runTask } from './task.js';
import { registerValue } from './task_result.js';
import { condsHold, loopItems, scopeFor } from './task_scope.js';
import { moduleTraits } from '../schema/traits.js';
import { ReadAhead, upcoming } from './read_ahead.js';
import { PathReads } from '../facts/path_cache.js';
import { dirname, join } from 'node:path';

/** How deep include_tasks/include_role may nest: recursion that a when ends stays far below it. */
const MAX_INCLUDE_DEPTH = 64;

export class PlayRunner {
  private readonly limit: ReturnType<typeof pLimit>;
  /** Notified handlers → the hosts that notified them since they last ran there. */
  private readonly pending = new Map<TaskNode, Set<HostState>>();
  private stopped = false;
  /** The includes being run, outermost first. */
  private readonly includes: string[] = [];
  /** any_errors_fatal fired: the whole playbook stops, as in Ansible. */
  fatal = false;
  /** Role instances whose templated parameters were checked, per host. */
  private readonly checkedRoles = new WeakMap<RoleInstance, Set<HostState>>();
  private readonly readAhead: ReadAhead;

  constructor(
    private readonly env: PlayEnv,
    private readonly hosts: HostState[],
  ) {
    this.limit = pLimit(Math.max(1, env.options.forks));
    env.reads ??= new PathReads();
    this.readAhead = new ReadAhead(env.reads, env, (t) => this.selected(t));
  }

  private active(hosts: HostState[] = this.hosts): HostState[] {
    return hosts.filter((h) => h.active);
  }

  /** Note that a host notified these handler names or listen topics (each matching handler). */
  notify(host: HostState, names: readonly string[]): void {
    for (const h of this.env.play.handlers) {
      if (!handlerNames(h).some((n) => names.includes(n))) continue;
      let set = this.pending.get(h);
      if (!set) this.pending.set(h, (set = new Set()));
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
            const unreachable = e instanceof ConnectionError;
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
    countResult(h.counts, r);
    if (r.status === 'unreachable') h.unreachable = true;
    else if (r.status === 'failed' && !r.ignored) h.failed = true;
    this.env.reporter.event({ type: 'task_result', play: this.env.play.name, result: r, handler });
  }

  private async nodes(nodes: Node[], hosts: HostState[]): Promise<void> {
    for (const [i, node] of nodes.entries()) {
      if (this.stopped || this.env.options.signal?.aborted) return;
      const live = this.active(hosts);
      if (!live.length) return;
      if (node.kind === 'task') await this.task(node, live, false, () => upcoming(nodes, i));
      else if (node.kind === 'block') await this.block(node, live);
      else await this.include(node, live);
    }
  }

  private selected(task: TaskNode): boolean {
    const o = this.env.options;
    return tagsSelect(task.inherited.tags, o.tags, o.skipTags);
  }

  /**
   * The name shown for a task: templated like Ansible's, with the first host's variables, and, as
   * ansible-playbook shows it, "role : name" for a task or handler of a role.
   */
  private title(task: TaskNode, host: HostState): string {
    let name = task.name;
    if (isTemplated(name)) {
      try {
        name = renderText(name, scopeFor(task, host, this.env), 'task name');
      } catch {
        // shown as written
      }
    }
    const role = task.inherited.role?.name;
    return role ? `${role} : ${name}` : name;
  }

  /** `ahead`: the tasks from this one on, whose path facts may be read in one round trip. */
  private async task(task: TaskNode, allHosts: HostState[], handler = false, ahead?: () => Iterable<TaskNode>): Promise<void> {
    if (!handler && !this.selected(task)) return;
    const hosts = this.roleParamsChecked(task, allHosts);
    if (!hosts.length) return;
    if (moduleTraits(task.module).playControl) return this.playControl(task, hosts);
    const title = this.title(task, hosts[0] as HostState);
    this.env.reporter.event({ type: 'task_start', play: this.env.play.name, task: title, loc: `${task.loc.file}:${task.loc.line}`, handler });
    const runOn = task.inherited.runOnce ? hosts.slice(0, 1) : hosts;
    const run = async (h: HostState): Promise<TaskResult> => {
      if (ahead) await this.readAhead.before(task, ahead, h);
      return runTask(task, h, this.env, title);
    };
    const results = (await Promise.all(runOn.map((h) => this.limit(() => run(h))))).map((r) => (r.task === title ? r : { ...r, task: title }));
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
        this.fatal = true;
      }
    }
  }

  /**
   * Templated role parameters can only be checked against meta/argument_specs.yml once rendered:
   * like Ansible, before the role's first task on each host. Hosts whose parameters are wrong fail.
   */
  private roleParamsChecked(task: TaskNode, hosts: HostState[]): HostState[] {
    const role = task.inherited.role;
    if (!role?.paramSchema) return hosts;
    let checked = this.checkedRoles.get(role);
    if (!checked) this.checkedRoles.set(role, (checked = new Set()));
    const ok: HostState[] = [];
    for (const h of hosts) {
      if (checked.has(h)) {
        ok.push(h);
        continue;
      }
      checked.add(h);
      let msg: string | undefined;
      try {
        const scope = scopeFor(task, h, this.env);
        const rendered: Record<string, unknown> = Object.create(null);
        for (const [k, v] of Object.entries(role.params)) rendered[k] = renderDeep(v, scope, `role "${role.name}" parameter ${k}`);
        copyLocs(role.params, rendered);
        const problems = validateInline(role.paramSchema as Record<string, unknown>, rendered, { context: `role "${role.name}" parameters (rendered)` });
        if (problems.length) msg = new ValidationError(problems).message;
      } catch (e) {
        msg = e instanceof Error ? e.message : String(e);
      }
      if (msg === undefined) ok.push(h);
      else this.record(h, { host: h.name, task: `validate role "${role.name}" parameters`, status: 'failed', changes: [], msg, durationMs: 0 });
    }
    return ok;
  }

  /**
   * A play-control action (meta: flush_handlers, end_play, end_host, clear_host_errors), with
   * `when` evaluated per host (end_host when: ... ends only those).
   */
  private async playControl(task: TaskNode, hosts: HostState[]): Promise<void> {
    const action = String(task.args);
    const chosen: HostState[] = [];
    for (const h of hosts) {
      try {
        if (condsHold(task.inherited.when, scopeFor(task, h, this.env)).ok) chosen.push(h);
      } catch (e) {
        this.record(h, { host: h.name, task: task.name, status: 'failed', changes: [], msg: e instanceof Error ? e.message : String(e), durationMs: 0 });
      }
    }
    if (!chosen.length) return;
    if (action === 'flush_handlers') await this.flushHandlers();
    else if (action === 'end_play') this.stopped = true;
    else if (action === 'end_host') for (const h of chosen) h.ended = true;
    else if (action === 'clear_host_errors') for (const h of this.hosts) if (!h.unreachable) h.failed = false;
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

  /**
   * include_tasks / include_role: resolved per host (and per loop item), validated, then run like
   * the tasks they hold. The include's own when/tags decide whether it runs; the included tasks
   * do not inherit them (Ansible's documented difference from import_tasks).
   */
  private async include(node: IncludeNode, hosts: HostState[]): Promise<void> {
    const o = this.env.options;
    if (!tagsSelect(node.inherited.tags, o.tags, o.skipTags)) return;
    const what = node.what === 'tasks' ? 'include_tasks' : 'include_role';
    this.env.reporter.event({ type: 'task_start', play: this.env.play.name, task: node.name, loc: `${node.loc.file}:${node.loc.line}` });
    const groups = new Map<string, { target: string; local: Record<string, unknown>; hosts: HostState[] }>();
    const base = { task: node.name, changes: [], durationMs: 0 };
    for (const h of hosts) {
      const asTask = { ...(node as unknown as TaskNode), vars: node.vars, inherited: node.inherited };
      try {
        const scope = scopeFor(asTask, h, this.env);
        const when = node.loop === undefined ? condsHold(node.inherited.when, scope) : { ok: true as const };
        if (!when.ok) {
          this.record(h, { ...base, host: h.name, status: 'skipped', msg: `Conditional result was False: ${when.failed.text}` });
          continue;
        }
        for (const local of this.includeItems(node, scope)) {
          const itemScope = local ? scopeFor(asTask, h, this.env, local) : scope;
          if (local && !condsHold(node.inherited.when, itemScope).ok) continue;
          const target = renderText(node.target, itemScope, what);
          const key = `${target}\0${JSON.stringify(local ?? null)}`;
          const group = groups.get(key) ?? { target, local: local ?? {}, hosts: [] };
          group.hosts.push(h);
          groups.set(key, group);
        }
      } catch (e) {
        this.record(h, { ...base, host: h.name, status: 'failed', msg: e instanceof Error ? e.message : String(e) });
      }
    }
    const loader = new Loader({ rolesPath: [join(this.env.playbookDir, 'roles'), this.env.playbookDir] });
    for (const { target, local, hosts: hs } of groups.values()) {
      const live = this.active(hs);
      if (!live.length) continue;
      // A recursive include (a.yml includes b.yml, which includes a.yml) ends somewhere, or fails here.
      if (this.includes.length >= MAX_INCLUDE_DEPTH) {
        const chain = [...this.includes.slice(-6), target].join(' -> ');
        for (const h of live) this.record(h, { ...base, host: h.name, status: 'failed', msg: `${what} nests more than ${MAX_INCLUDE_DEPTH} levels deep (… ${chain}); an include that leads back to itself needs a when: that ends it` });
        continue;
      }
      // Included tasks see the include's parameters and loop variable as variables of their own.
      const inherited = { ...node.parent, blockVars: [...node.parent.blockVars, node.vars, local] };
      const handlers: TaskNode[] = [];
      let nodes: Node[];
      if (node.what === 'tasks') {
        const role = node.parent.role;
        const file = role ? `${role.dir}/tasks/${target}` : `${node.baseDir}/${target}`;
        const list = loader.readValidated(file, 'tasks.schema.json');
        nodes = loader.tasks(list ?? [], dirname(file), inherited, handlers);
      } else {
        nodes = loader.roleRef({ role: target, ...node.vars, ...local }, node.baseDir, node.parent, handlers, new Map(), node.loc, node.tasksFrom ?? 'main');
      }
      // Included files are validated when reached (their names may depend on variables);
      // undefined variables inside them fail at run time with the variable's name.
      const problems = loader.problems.splice(0);
      if (problems.length) {
        for (const h of live) this.record(h, { ...base, host: h.name, status: 'failed', msg: new ValidationError(problems).message });
        continue;
      }
      this.addHandlers(handlers);
      for (const h of live) this.record(h, { ...base, host: h.name, status: 'ok', msg: `included ${target}` });
      this.includes.push(target);
      try {
        await this.nodes(nodes, live);
      } finally {
        this.includes.pop();
      }
    }
  }

  /** An include's loop items as loop-local variables; one undefined entry when it has no loop. */
  private includeItems(node: IncludeNode, scope: Record<string, unknown>): (Record<string, unknown> | undefined)[] {
    if (node.loop === undefined) return [undefined];
    return loopItems(node, scope).map((x) => x.locals);
  }

  /** Handlers of a role included at run time join the play's, once (a role included twice keeps one copy). */
  private addHandlers(found: TaskNode[]): void {
    const handlers = this.env.play.handlers;
    const key = (t: TaskNode): string => `${t.loc.file}:${t.loc.line}:${t.loc.col}`;
    const known = new Set(handlers.map(key));
    for (const h of found) if (!known.has(key(h))) handlers.push(h);
  }

  /**
   * Run notified handlers in definition order, once per flush, on the hosts that notified them.
   * A handler notified by another handler runs in the same flush unless it already ran there for
   * that host; then it waits for the next flush. Notifications of a failed host are dropped,
   * unless force_handlers.
   */
  async flushHandlers(): Promise<void> {
    const force = this.env.play.forceHandlers || this.env.options.forceHandlers;
    const ran = new Map<TaskNode, Set<HostState>>();
    let progress = true;
    while (progress && this.pending.size) {
      progress = false;
      for (const h of this.env.play.handlers) {
        const waiting = this.pending.get(h);
        if (!waiting) continue;
        const done = ran.get(h) ?? new Set<HostState>();
        const hosts = [...waiting].filter((x) => !done.has(x));
        for (const x of hosts) waiting.delete(x);
        if (!waiting.size) this.pending.delete(h);
        const eligible = hosts.filter((x) => x.active || (force && x.failed && !x.unreachable && !x.ended));
        if (!eligible.length) continue;
        const wasFailed = eligible.filter((x) => x.failed);
        for (const x of wasFailed) x.failed = false;
        await this.task(h, eligible, true);
        for (const x of wasFailed) x.failed = true;
        for (const x of eligible) done.add(x);
        ran.set(h, done);
        progress = true;
      }
    }
  }
}
