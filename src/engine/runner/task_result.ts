// What a task's result looks like once shaped: errors as results, diffs kept or dropped, what
// `register` stores, no_log's censoring, and secret values masked.
import { BecomeError } from '../connection/session.js';
import { ConnectionError, hiddenTexts, KilnError, ModuleError, TemplateError } from '../errors.js';
import { ConditionEvalError } from '../expr/evaluate.js';
import type { Change, TaskResult } from '../result.js';
import { scrub } from '../secret.js';
import type { HostState } from './host.js';

type Vars = Record<string, unknown>;

const CENSORED = 'the output has been hidden due to the no_log: true specified for this result';

/** The changes as shown: without their diffs unless --diff (or the task's diff:) asks for them. */
export function keepDiffs(changes: Change[], diff: boolean): Change[] {
  return diff ? changes : changes.map((c) => (c.diff ? { summary: c.summary, pending: c.pending } : c));
}

/** One line for the changes: their summaries. */
export function summary(changes: Change[]): string {
  return changes.map((c) => c.summary).join('; ');
}

/** A thrown error as the task's result: unreachable for a connection error, failed otherwise. */
export function errorResult(base: { host: string; task: string }, e: unknown): TaskResult {
  const out = { host: base.host, task: base.task, durationMs: 0, changes: [] };
  if (e instanceof ConnectionError) return { ...out, status: 'unreachable', msg: e.message };
  if (e instanceof ModuleError) return { ...out, status: 'failed', msg: e.message, rc: e.details.rc, stdout: e.details.stdout, stderr: e.details.stderr };
  if (e instanceof TemplateError || e instanceof ConditionEvalError || e instanceof BecomeError || e instanceof KilnError) {
    return { ...out, status: 'failed', msg: e.message };
  }
  const err = e instanceof Error ? e : new Error(String(e));
  return { ...out, status: 'failed', msg: `${err.message}${err.name === 'PutError' ? '' : ` (${err.name})`}` };
}

/** What `register` stores: Ansible's field names. */
export function registerValue(r: TaskResult): Vars {
  const v: Vars = {
    ...(r.data ?? {}),
    changed: r.status === 'changed',
    // An ignored failure is still a failure to the playbook: `when: result is failed` must see it.
    failed: r.status === 'failed',
    skipped: r.status === 'skipped',
    msg: r.msg,
  };
  if (r.rc !== undefined) v['rc'] = r.rc;
  if (r.stdout !== undefined) {
    v['stdout'] = r.stdout;
    v['stdout_lines'] = r.stdout.split('\n').filter((l, i, a) => !(i === a.length - 1 && l === ''));
  }
  if (r.stderr !== undefined) {
    v['stderr'] = r.stderr;
    v['stderr_lines'] = r.stderr.split('\n').filter((l, i, a) => !(i === a.length - 1 && l === ''));
  }
  if (r.status === 'unreachable') v['unreachable'] = true;
  if (r.results) v['results'] = r.results.map(registerValue);
  const diffs = r.changes.flatMap((c) => (c.diff ? [c.diff] : []));
  if (diffs.length) v['diff'] = diffs;
  return v;
}

/** no_log: hide everything the result says, items included. */
export function censor(r: TaskResult): void {
  r.censored = true;
  r.msg = CENSORED;
  r.changes = r.changes.map(() => ({ summary: CENSORED }));
  delete r.stdout;
  delete r.stderr;
  delete r.data;
  if (r.results) for (const x of r.results) censor(x);
}

/** A copy of the result with every known secret value masked. */
export function scrubbed(r: TaskResult, host: HostState): TaskResult {
  const vaulted = hiddenTexts();
  if (host.secrets.size === 0 && vaulted.size === 0) return r;
  const secrets: ReadonlySet<string> = vaulted.size === 0 ? host.secrets : new Set([...host.secrets, ...vaulted]);
  const s = (t: string | undefined): string | undefined => (t === undefined ? t : scrub(t, secrets));
  return {
    ...r,
    msg: s(r.msg) ?? '',
    stdout: s(r.stdout),
    stderr: s(r.stderr),
    changes: r.changes.map((c) => ({ ...c, summary: s(c.summary) ?? '', diff: c.diff ? { ...c.diff, before: s(c.diff.before ?? undefined) ?? null, after: s(c.diff.after ?? undefined) ?? null } : undefined })),
    ...(r.show ? { show: scrubDeep(r.show, secrets) as Record<string, unknown> } : {}),
    ...(r.data ? { data: scrubDeep(r.data, secrets) as Record<string, unknown> } : {}),
    ...(r.results ? { results: r.results.map((x) => scrubbed(x, host)) } : {}),
  };
}

/** Mask secret values inside any plain value (strings, lists, mappings); Secrets mask themselves. */
function scrubDeep(v: unknown, secrets: ReadonlySet<string>): unknown {
  if (typeof v === 'string') return scrub(v, secrets);
  if (Array.isArray(v)) return v.map((x) => scrubDeep(x, secrets));
  if (v && typeof v === 'object' && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = scrubDeep(x, secrets);
    return out;
  }
  return v;
}
