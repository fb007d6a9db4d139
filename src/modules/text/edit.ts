// The core lineinfile and blockinfile share: read a text file and its folder (path facts and one
// get), turn a pure edit of its bytes into steps (create the folder, write atomically through
// conn.put with validate, set mode/owner/group), and run them.
import { posix } from 'node:path';
import { ModuleError } from '../../engine/errors.js';
import type { Applied, ModuleContext, Plan, Step } from '../../engine/module.js';
import type { Effect } from '../../engine/planned.js';
import type { Change } from '../../engine/result.js';
import { PutError } from '../../engine/connection/shell_connection.js';
import { validateArgv } from '../copy.js';
import { type PathQuery, type PathState, readPaths, withPlanned } from '../../engine/facts/path.js';
import { withPlannedParent } from '../file/planned_parent.js';
import { article, type AttributeDo, attributeStepsOfWrite, checkMode, describeAttrs, isDirectory, runSteps, setByTheWrite } from '../file/attrs.js';
import { fromBytes } from './pyre.js';

/** The arguments both modules take about the file itself. */
export interface TextFileArgs {
  path: string;
  create?: boolean;
  validate?: string;
  backup?: boolean;
  mode?: string;
  owner?: string;
  group?: string;
}

/** A text file as read: its state, its folder's, and its bytes (one char per byte). */
export interface TextFileState {
  /** The path the task names. */
  path: string;
  /** Where writes go: the path, or the file a symbolic link there leads to (Ansible writes through links). */
  target: string;
  file: PathState;
  parent: PathState;
  umask: number;
  /** The content as a byte string; null when there is no file. */
  content: string | null;
  /** Check mode: an earlier task only planned this file, so its content is not known (the pending note). */
  unknown?: string;
}

/**
 * What a step does: make the folder, write the new content, run attribute commands, or set an
 * attribute on the temporary file of the write (as copy does: a write sets mode, owner and group
 * only when those steps are in the plan it is given).
 */
export type TextDo =
  | { kind: 'mkdir'; path: string }
  | { kind: 'put'; content: string; validate?: string[]; backup: boolean }
  | AttributeDo;

/** The result of a pure edit of the content. */
export interface Edit {
  after: string;
  /** The change, when after differs: "add line 'x' to /etc/f". */
  summary: string;
  /** Why nothing changes, when after equals before. */
  okReason: string;
  /** Values for `register` (Ansible's `found`, ...). */
  data?: Record<string, unknown>;
}

function trimSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

/** The path facts a text file edit reads: the file and its folder. */
export function textFileQuery(path: string): PathQuery {
  const p = trimSlash(path);
  return { paths: [p, posix.dirname(p)] };
}

/** Read the file: path facts (often read ahead by the runner), the link's end when it is one, then its bytes. */
export async function readTextFile(ctx: ModuleContext, args: TextFileArgs): Promise<TextFileState> {
  const path = trimSlash(args.path);
  let target = path;
  let q = textFileQuery(path);
  let facts = await readPaths(ctx, q.paths, q);
  if (facts.paths[0]?.type === 'link') {
    const r = await ctx.conn.run(['realpath', '-m', '--', path], { becomeUser: ctx.becomeUser });
    if (r.rc !== 0) throw new ModuleError(`cannot follow the link ${path}: ${r.stderr.trim() || `rc ${r.rc}`}`, r);
    target = r.stdout.replace(/\n$/, '');
    q = textFileQuery(target);
    facts = await readPaths(ctx, q.paths, q);
  }
  const [rawFile, rawParent] = facts.paths as [PathState, PathState];
  const file = withPlanned(rawFile, ctx.planned);
  const parent = withPlannedParent(rawParent, ctx.planned);
  const s: TextFileState = { path, target, file, parent, umask: facts.umask, content: null };
  if (file.exists && file.type === 'directory') throw new ModuleError(`path ${path} is a directory; give the path of a file`);
  if (file.exists && file.type === 'other') throw new ModuleError(`path ${path} is ${article(file.type)}, not a text file`);
  // Check mode: an earlier task plans this file, so its content then is not known; the content of
  // now (when there is a file) still shows what this task's own edit would be.
  if (file.pending !== undefined && file.exists) s.unknown = file.pending;
  if (rawFile.exists && rawFile.type === 'file' && file.exists) {
    const bytes = await ctx.conn.get(target, { becomeUser: ctx.becomeUser });
    s.content = bytes === null ? null : bytes.toString('latin1');
  }
  return s;
}

/** The file's attributes as they are, when known (a file an earlier task only plans has none). */
function known(f: PathState): PathState | undefined {
  return f.exists && f.type === 'file' && f.mode !== undefined && f.pending === undefined ? f : undefined;
}

/**
 * Pure: the steps that apply `edit` to the file and give it the wanted attributes. `absent`: the
 * edit only removes, so a missing file is fine as it is.
 */
export function planTextFile(s: TextFileState, args: TextFileArgs, absent: boolean, edit: (before: string) => Edit): Plan<TextFileState, TextDo> {
  const { path, file } = s;
  if (args.mode !== undefined) checkMode(args.mode);
  const validate = args.validate !== undefined ? validateArgv(args.validate) : undefined;
  if (!file.exists && s.unknown === undefined) {
    if (absent) return { steps: [], okReason: `${path} does not exist, so there is nothing to remove`, current: s, data: { found: 0 } };
    if (args.create !== true) throw new ModuleError(`${path} does not exist; set create: true to create it${file.pending ? ` (${file.pending})` : ''}`);
  }
  const steps: Step<TextDo>[] = [];
  const pending = s.unknown ?? file.pending ?? (file.exists ? undefined : s.parent.pending);
  const change = (summary: string, diff?: Change['diff']): Change => ({ summary, ...(diff ? { diff } : {}), ...(pending ? { pending } : {}) });
  const before = s.content ?? '';
  const e = edit(before);
  const write = s.unknown !== undefined || e.after !== before || !file.exists;
  const attrs = { mode: args.mode, owner: args.owner, group: args.group };
  const now = known(file);
  if (write) {
    if (!file.exists && !isDirectory(s.parent)) {
      if (s.parent.exists) throw new ModuleError(`cannot create ${path}: ${s.parent.path} is ${article(s.parent.type)}, not a directory`);
      steps.push({ change: change(`create directory ${s.parent.path}`), do: { kind: 'mkdir', path: s.parent.path } });
    }
    const put: TextDo = { kind: 'put', content: e.after, backup: args.backup === true && file.exists };
    if (validate) put.validate = validate;
    const guess = s.unknown !== undefined && (s.content === null || e.after === before);
    const summary = guess ? `edit ${path}` : file.exists ? e.summary : `create ${path} and ${e.summary.replace(/ (to|in|from) \S+$/, '')}`;
    const diff = guess ? undefined : { path, before: file.exists ? fromBytes(before) : null, after: fromBytes(e.after), beforeHeader: `${path} (content)`, afterHeader: `${path} (content)` };
    steps.push({ change: change(summary, diff), do: put });
  }
  steps.push(...attributeStepsOfWrite(path, now, attrs, { umask: s.umask, pending }, write));
  const effects: Effect[] = write ? [{ kind: 'path', key: s.target, state: 'file' }] : [];
  const attrText = describeAttrs(attrs, now, false);
  const plan: Plan<TextFileState, TextDo> = { steps, effects, current: s, data: { ...(e.data ?? {}) } };
  if (steps.length === 0) plan.okReason = attrText ? `${e.okReason}, and it has ${attrText}` : e.okReason;
  return plan;
}

/** Run the planned steps in order. A failed validate or write leaves the file as it was. */
export async function applyTextFile(ctx: ModuleContext, plan: Plan<TextFileState, TextDo>): Promise<Applied> {
  const s = plan.current;
  const data: Record<string, unknown> = { ...(plan.data ?? {}) };
  const withWrite = setByTheWrite(plan.steps);
  for (const step of plan.steps) {
    const d = step.do;
    if (d.kind === 'mkdir') await runSteps(ctx, [{ change: step.change, do: [['mkdir', '-p', '--', d.path]] }]);
    else if (d.kind === 'commands') await runSteps(ctx, [{ change: step.change, do: d.argv }]);
    else if (d.kind === 'put') {
      try {
        const r = await ctx.conn.put(Buffer.from(d.content, 'latin1'), s.target, { ...withWrite, validate: d.validate, backup: d.backup, becomeUser: ctx.becomeUser });
        if (r.backupPath !== undefined) data['backup_file'] = r.backupPath;
      } catch (e) {
        if (e instanceof PutError) throw new ModuleError(e.message, { rc: e.rc, stderr: e.stderr });
        throw e;
      }
    }
  }
  return { data };
}
