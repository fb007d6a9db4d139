// Runs one task on one host: when, loop, args rendering and validation, read → plan → (apply),
// register, changed_when/failed_when, until/retries, ignore_errors, no_log. Returns one result.
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { ModuleError, formatLoc } from '../errors.js';
import type { Module, ModuleContext, Plan } from '../module.js';
import type { TaskNode } from '../playbook/model.js';
import type { Change, Status, TaskResult } from '../result.js';
import { schemaJson } from '../schema/registry.js';
import { moduleTraits } from '../schema/traits.js';
import { validateAgainst } from '../schema/validate.js';
import { Secret } from '../secret.js';
import { renderDeep, renderText, renderValue } from '../template/render.js';
import { MODULES } from '../../modules/index.js';
import type { PlayEnv } from './env.js';
import type { HostState } from './host.js';
import { censor, errorResult, keepDiffs, registerValue, scrubbed, summary } from './task_result.js';
import { condsHold, loopItems, scopeFor, withVar } from './task_scope.js';
import { TaskDeadline } from './timeout.js';
import { taskReads, waitsFor } from './unrun.js';

type Vars = Record<string, unknown>;

/**
 * Run a task on one host (all loop items included). Never throws: failures are results. `title`:
 * the name the task was announced with (templated, "role : name"), which its item results carry.
 */
export async function runTask(task: TaskNode, host: HostState, env: PlayEnv, title = task.name): Promise<TaskResult> {
  const started = Date.now();
  let result: TaskResult;
  // Only check mode leaves variables unknown (unrun); a task reading one cannot run either.
  const waiting = host.unrun.size ? [...taskReads(task)].find((n) => host.unrun.has(n)) : undefined;
  try {
    if (waiting !== undefined) {
      const msg = waitsFor(waiting, host.unrun.get(waiting) as string);
      result = { host: host.name, task: task.name, status: 'skipped', changes: [], msg, durationMs: 0, data: { skip_reason: msg } };
      notRun.add(result);
    } else if (task.loop === undefined) {
      result = await runOnce(task, host, env, scopeFor(task, host, env), title);
    } else {
      result = await runLoop(task, host, env, title);
    }
  } catch (e) {
    result = errorResult({ host: host.name, task: task.name }, e);
  }
  result.durationMs = Date.now() - started;
  return finish(task, host, result, title);
}

async function runLoop(task: TaskNode, host: HostState, env: PlayEnv, title: string): Promise<TaskResult> {
  const results: TaskResult[] = [];
  for (const { item, locals } of loopItems(task, scopeFor(task, host, env))) {
    if (env.options.signal?.aborted) break;
    const scope = scopeFor(task, host, env, locals);
    let r: TaskResult;
    try {
      r = await runOnce(task, host, env, scope, title);
    } catch (e) {
      r = errorResult({ host: host.name, task: task.name }, e);
    }
    r.task = title;
    r.itemLabel = task.loopLabel ? String(renderText(task.loopLabel, scope, 'loop_control.label')) : label(item);
    r.data = { ...(r.data ?? {}), [task.loopVar]: item, item };
    if (task.inherited.noLog) censor(r);
    env.reporter.event({ type: 'item_result', play: env.play.name, result: scrubbed(r, host) });
    results.push(r);
  }
  const any = (s: Status): boolean => results.some((r) => r.status === s && !r.ignored);
  const status: Status = any('unreachable') ? 'unreachable' : any('failed') ? 'failed' : any('changed') ? 'changed' : results.length && results.every((r) => r.status === 'skipped') ? 'skipped' : 'ok';
  return {
    host: host.name,
    task: task.name,
    status,
    changes: results.flatMap((r) => r.changes),
    msg: status === 'failed' ? 'One or more items failed' : status === 'skipped' ? 'All items skipped' : `${results.length} items`,
    durationMs: 0,
    results,
  };
}

function label(item: unknown): string {
  if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') return String(item);
  return JSON.stringify(item);
}

/** Find a controller-side file for copy/template: role folder first, then the task's, then the playbook's. */
function finder(task: TaskNode, env: PlayEnv): (kind: 'files' | 'templates', path: string) => string {
  return (kind, path) => {
    if (isAbsolute(path)) return path;
    const role = task.inherited.role;
    const candidates = [
      ...(role ? [join(role.dir, kind, path), join(role.dir, path)] : []),
      join(task.baseDir, kind, path),
      join(task.baseDir, path),
      join(env.playbookDir, kind, path),
      join(env.playbookDir, path),
    ];
    const found = candidates.find((c) => existsSync(c));
    if (!found) throw new ModuleError(`${kind === 'files' ? 'src' : 'template'} ${JSON.stringify(path)} not found; looked in ${candidates.map((c) => dirname(c)).join(', ')}`);
    return resolve(found);
  };
}

/** `title`: the task as announced ("role : name"), which check mode's pending notes name. */
async function runOnce(task: TaskNode, host: HostState, env: PlayEnv, scope: Vars, title: string): Promise<TaskResult> {
  const base = { host: host.name, task: task.name, durationMs: 0 };
  const when = condsHold(task.inherited.when, scope);
  if (!when.ok) {
    return { ...base, status: 'skipped', changes: [], msg: `Conditional result was False: ${when.failed.text}`, data: { skip_reason: 'Conditional result was False', false_condition: when.failed.text } };
  }
  const module = MODULES.get(task.module) as Module<unknown, unknown> | undefined;
  if (!module) throw new ModuleError(`module ${task.module} is not available`);
  const traits = moduleTraits(task.module);
  const rendered = traits.conditions ? renderButConditions(task.args, traits.conditions, scope, task.module) : renderDeep(task.args, scope, `${task.module} arguments`);
  const problems = validateAgainst(`modules/${task.module}.schema.json`, rendered, { keyPrefix: task.module });
  if (problems.length) {
    throw new ModuleError(`invalid arguments after templating: ${problems.map((p) => p.format()).join('; ')} (task at ${formatLoc(task.loc)})`);
  }
  const args = wrapSecrets(task.module, rendered, host);
  const check = task.inherited.checkMode ?? env.options.check;
  const conn = traits.local ? undefined : await connectionFor(task, host, env, scope);
  const become = task.inherited.become ? (task.inherited.becomeUser ?? 'root') : undefined;
  const deadline = task.timeout !== undefined && task.timeout > 0 ? new TaskDeadline(task.timeout) : undefined;
  const hostConn = conn ?? env.local();
  const ctx: ModuleContext = {
    host: host.name,
    conn: deadline ? deadline.wrap(hostConn) : hostConn,
    becomeUser: become,
    planned: host.planned,
    diff: task.inherited.diff ?? env.options.diff,
    task: title,
    findFile: finder(task, env),
    render: (text, source) => renderText(text, scope, source),
    vars: scope,
    reads: env.reads,
    verbosity: env.options.verbosity,
  };
  // Like Ansible: each attempt gets changed_when/failed_when, then `until` reads the result
  // (a failed attempt is retried too: `until: result is succeeded` waits for a command to pass).
  const attempts = task.until ? Math.max(1, (task.retries ?? 3) + 1) : 1;
  let r: TaskResult | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    // A retry waits for the host to change by itself: it must read afresh.
    if (attempt > 1) env.reads?.invalidate();
    const done = await readPlanApply(module, ctx, args, check, base);
    if (deadline?.timedOut) {
      r = { ...done, status: 'failed', msg: deadline.message(task.module) };
      break;
    }
    r = applyOverrides(task, scope, done);
    if (!task.until || r.status === 'unreachable' || r.status === 'skipped') break;
    r.data = { ...(r.data ?? {}), attempts: attempt };
    if (condsHold(task.until, withVar(scope, task.register ?? 'result', registerValue(r))).ok) break;
    if (attempt < attempts) {
      await new Promise((done) => setTimeout(done, (task.delay ?? 5) * 1000));
    } else {
      r = { ...r, status: 'failed', msg: `until condition not met after ${attempts} attempts (last: ${r.msg})` };
    }
  }
  return r as TaskResult;
}

/** The changes a module had planned when its apply failed (failed_when may clear the failure). */
const plannedOnFailure = new WeakMap<TaskResult, Change[]>();

/** Check mode: results of tasks that did not run (unpredictable, or waiting for one that was). */
const notRun = new WeakSet<TaskResult>();

async function readPlanApply(module: Module<unknown, unknown>, ctx: ModuleContext, args: unknown, check: boolean, base: { host: string; task: string; durationMs: number }): Promise<TaskResult> {
  let plan: Plan<unknown>;
  try {
    plan = module.plan(await module.read(ctx, args), args);
  } catch (e) {
    return errorResult(base, e);
  }
  const data = plan.facts ? { ...plan.data, ansible_facts: plan.facts } : (plan.data ?? {});
  const changes = plan.steps.map((s) => s.change);
  if (plan.skip) return { ...base, status: 'skipped', changes: [], msg: plan.skip, data: { ...data, skipped_reason: plan.skip } };
  if (changes.length === 0) return { ...base, status: 'ok', changes: [], msg: plan.okReason ?? 'already as asked', data, ...(plan.show ? { show: plan.show } : {}) };
  if (check) {
    if (plan.unpredictable) {
      const skipped: TaskResult = { ...base, status: 'skipped', changes: [], msg: plan.unpredictable, data };
      notRun.add(skipped);
      return skipped;
    }
    for (const e of plan.effects ?? []) ctx.planned.record(e, ctx.task);
    return { ...base, status: 'changed', changes: keepDiffs(changes, ctx.diff), msg: summary(changes), data };
  }
  let applied;
  // Facts read ahead are stale once anything is applied: before (no read may start from them
  // now) and after (a read made while applying may have seen half of it).
  ctx.reads?.invalidate();
  try {
    applied = await module.apply(ctx, args, plan);
  } catch (e) {
    const failed = errorResult(base, e);
    if (failed.status === 'failed') plannedOnFailure.set(failed, keepDiffs(changes, ctx.diff));
    return failed;
  } finally {
    ctx.reads?.invalidate();
  }
  const status: Status = applied.changed === false ? 'ok' : 'changed';
  return {
    ...base,
    status,
    changes: status === 'changed' ? keepDiffs(changes, ctx.diff) : [],
    msg: status === 'changed' ? summary(changes) : (plan.okReason ?? 'nothing changed'),
    rc: applied.rc,
    stdout: applied.stdout,
    stderr: applied.stderr,
    data: { ...data, ...(applied.data ?? {}) },
  };
}

/** Arguments that hold bare conditions (assert's `that`) stay as written; the others are rendered. */
function renderButConditions(args: unknown, conditions: readonly string[], scope: Vars, module: string): unknown {
  const a = { ...(args as Vars) };
  for (const [k, v] of Object.entries(a)) if (!conditions.includes(k)) a[k] = renderDeep(v, scope, `${module}.${k}`);
  return a;
}

const secretProps = new Map<string, string[]>();

/** Wrap the arguments the module's schema marks `x-secret`, and remember them for scrubbing. */
function wrapSecrets(module: string, args: unknown, host: HostState): unknown {
  let names = secretProps.get(module);
  if (!names) {
    const props = (schemaJson(`modules/${module}.schema.json`)['properties'] ?? {}) as Record<string, Record<string, unknown>>;
    names = Object.entries(props)
      .filter(([, s]) => s['x-secret'] === true)
      .map(([k]) => k);
    secretProps.set(module, names);
  }
  if (!names.length || !args || typeof args !== 'object') return args;
  const out = { ...(args as Vars) };
  for (const n of names) {
    const v = out[n];
    if (typeof v === 'string') {
      host.secrets.add(v);
      out[n] = new Secret(v);
    }
  }
  return out;
}

async function connectionFor(task: TaskNode, host: HostState, env: PlayEnv, scope: Vars) {
  const target = task.inherited.delegateTo ? String(renderValue(task.inherited.delegateTo, scope, 'delegate_to')) : undefined;
  if (target === undefined || target === host.name) return env.connect(host);
  if (target === 'localhost' || target === '127.0.0.1') {
    const h = env.hosts.get(target);
    return h ? env.connect(h) : env.local();
  }
  const other = env.hosts.get(target);
  if (!other) throw new ModuleError(`delegate_to: ${target} is not in the inventory`);
  return env.connect(other);
}

/**
 * changed_when / failed_when, evaluated with the registered result in scope. As in Ansible they
 * also judge a failed module run: `failed_when: result.rc > 1` accepts rc 1, and the task then
 * counts as changed when the module had planned changes (a command always does).
 */
function applyOverrides(task: TaskNode, scope: Vars, r: TaskResult): TaskResult {
  if (!task.changedWhen && !task.failedWhen) return r;
  if (r.status === 'skipped' || r.status === 'unreachable') return r;
  const vars = withVar(scope, task.register ?? 'result', registerValue(r));
  const planned = r.status === 'failed' ? (plannedOnFailure.get(r) ?? r.changes) : r.changes;
  const failed = task.failedWhen ? task.failedWhen.length > 0 && condsHold(task.failedWhen, vars).ok : r.status === 'failed';
  if (failed) {
    if (r.status === 'failed') return r;
    return { ...r, status: 'failed', msg: `failed_when holds: ${(task.failedWhen ?? []).map((c) => c.text).join(' and ')}` };
  }
  const changed = task.changedWhen ? condsHold(task.changedWhen, vars).ok : r.status === 'changed' || (r.status === 'failed' && planned.length > 0);
  const msg = r.status === 'failed' ? `failed_when is false (${r.msg})` : r.msg;
  if (changed) return { ...r, status: 'changed', changes: planned, msg };
  return { ...r, status: 'ok', changes: [], msg: task.changedWhen && r.status !== 'ok' ? `changed_when is false (${msg})` : msg };
}

/** Register, set_fact, ignore_errors, no_log and scrubbing, once per task result. */
function finish(task: TaskNode, host: HostState, r: TaskResult, title: string): TaskResult {
  if (r.status === 'failed' && task.inherited.ignoreErrors === true) r.ignored = true;
  if (task.register) {
    host.runtime[task.register] = registerValue(r);
    // A loop did not run when none of its items did.
    const unrun = notRun.has(r) || (r.results !== undefined && r.results.length > 0 && r.results.every((x) => notRun.has(x)));
    if (unrun) host.unrun.set(task.register, title);
    else host.unrun.delete(task.register);
  }
  // A task that sets facts (set_fact) and did not run leaves their names unknown, as a register does.
  const sets = moduleTraits(task.module).setsFacts;
  if (sets && notRun.has(r) && task.args && typeof task.args === 'object') {
    for (const k of Object.keys(task.args)) if (!sets.except.includes(k)) host.unrun.set(k, title);
  }
  // The facts a module's plan sets become host variables, as Ansible merges a result's ansible_facts.
  const facts = r.data?.['ansible_facts'];
  if ((r.status === 'ok' || r.status === 'changed') && facts && typeof facts === 'object') Object.assign(host.runtime, facts);
  if (task.inherited.noLog) censor(r);
  return scrubbed(r, host);
}
