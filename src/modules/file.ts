// file: make a path a file, a directory, a link or a hard link, or remove it; set mode/owner/group.
import { posix } from 'node:path';
import { ModuleError } from '../engine/errors.js';
import type { Applied, Module, Plan } from '../engine/module.js';
import type { Effect } from '../engine/planned.js';
import type { FileDiff } from '../engine/result.js';
import { modeText, type PathQuery, type PathState, readPaths, type TreeEntry, withPlanned } from '../engine/facts/path.js';
import { withPlannedParent } from './file/planned_parent.js';
import { article, type Attrs, attributeSteps, checkMode, chmodSpec, defaultMode, describeAttrs, isDirectory, OCTAL_MODE, ownerMatches, requireDirectory, resolveMode, runSteps, type Step } from './file/attrs.js';

/** The states file: can bring a path to. */
export type FileStateName = 'file' | 'directory' | 'link' | 'hard' | 'absent' | 'touch';

/** file's arguments, as schemas/modules/file.schema.json validates them. */
export interface FileArgs {
  path?: string;
  /** Alias of path. */
  dest?: string;
  /** Alias of path. */
  name?: string;
  state?: FileStateName;
  mode?: string;
  owner?: string;
  group?: string;
  src?: string;
  force?: boolean;
  recurse?: boolean;
}

/** What read found: the path, its parent, the link source, and what lies below. */
export interface FileState {
  path: string;
  self: PathState;
  parent: PathState;
  /** link/hard: the source, resolved against the link's directory. */
  src?: PathState;
  /** recurse: what lies below the path. */
  below?: TreeEntry[];
  umask: number;
}

// ---- the module ---------------------------------------------------------------------------

interface Normalized extends Attrs {
  path: string;
  state?: FileStateName;
  src?: string;
  force: boolean;
  recurse: boolean;
}

function normalize(args: FileArgs): Normalized {
  const raw = args.path ?? args.dest ?? args.name;
  if (raw === undefined || raw === '') throw new ModuleError('file needs a path (path:, or its aliases dest: and name:)');
  if (args.mode !== undefined) checkMode(args.mode);
  const out: Normalized = {
    path: raw.length > 1 ? raw.replace(/\/+$/, '') : raw,
    state: args.state,
    mode: args.mode,
    owner: args.owner,
    group: args.group,
    src: args.src,
    force: args.force === true,
    recurse: args.recurse === true,
  };
  return Object.assign(Object.create(null) as Normalized, out);
}

/** What read stats: the path, its parent, the link source (link/hard) and, with recurse, what lies below. */
function fileQuery(a: Normalized): PathQuery {
  const paths = [a.path, posix.dirname(a.path)];
  if ((a.state === 'link' || a.state === 'hard') && a.src !== undefined) paths.push(resolveSrc(a.path, a.src));
  return { paths, below: a.recurse };
}

/** A link's source as the host resolves it: relative to the link's directory. */
function resolveSrc(path: string, src: string): string {
  return src.startsWith('/') ? src : posix.join(posix.dirname(path), src);
}

interface Decision {
  steps: Step[];
  okReason: string;
  effects: Effect[];
  data: Record<string, unknown>;
}

function missing(a: Normalized, self: PathState): ModuleError {
  return new ModuleError(`path ${a.path} does not exist${self.pending ? ` (${self.pending})` : ''}; use state: touch or state: directory to create it`);
}

/** What the state is when the task gives none: the path's own type, following links. */
function implicitState(a: Normalized, self: PathState): FileStateName {
  if (!self.exists) throw missing(a, self);
  if (isDirectory(self)) return 'directory';
  if (self.type === 'link' && !self.target?.exists) throw new ModuleError(`${a.path} is a dangling symbolic link (to ${self.linkTarget ?? '?'}); give a state`);
  return 'file';
}

function stateDiff(path: string, before: string, after: string): FileDiff {
  return { path, before: `${before}\n`, after: `${after}\n` };
}

function typeWord(s: PathState): string {
  return s.exists ? (s.type === 'link' ? 'link' : (s.type ?? 'file')) : 'absent';
}

/** " with mode 0644 and owner root", or nothing when no attribute was asked for. */
function withAttrs(a: Normalized, known: PathState | undefined, isDir: boolean): string {
  const text = describeAttrs(a, known, isDir);
  return text ? ` with ${text}` : '';
}

/** The decision, with register data describing the path as it will be. */
function decision(cur: FileState, a: Normalized, parts: { steps: Step[]; effects: Effect[]; okReason: string }, known: PathState | undefined, isDir: boolean, state: string): Decision {
  const data: Record<string, unknown> = { path: cur.path, state };
  const mode = a.mode !== undefined ? resolveMode(a.mode, known?.mode ?? defaultMode(isDir, cur.umask), isDir) : known?.mode;
  if (mode !== undefined) data['mode'] = modeText(mode);
  const owner = a.owner ?? known?.owner;
  const group = a.group ?? known?.group;
  if (owner !== undefined) data['owner'] = owner;
  if (group !== undefined) data['group'] = group;
  if (a.src !== undefined && (state === 'link' || state === 'hard')) data['src'] = a.src;
  return { ...parts, data };
}

function pend(pending: string | undefined): { pending?: string } {
  return pending ? { pending } : {};
}

/** Pure: every step from `cur` to what `args` ask, or a ModuleError saying why it cannot be done. */
function decide(cur: FileState, args: FileArgs): Decision {
  const a = normalize(args);
  const state = a.state ?? implicitState(a, cur.self);
  if (a.recurse && state !== 'directory') throw new ModuleError(`recurse needs state: directory (got state: ${state})`);
  return DECIDERS[state](cur, a);
}

const DECIDERS: Record<FileStateName, (cur: FileState, a: Normalized) => Decision> = {
  absent(cur) {
    const { path, self } = cur;
    if (!self.exists) return { steps: [], effects: [], okReason: `${path} does not exist${self.pending ? ` (${self.pending})` : ''}`, data: { path, state: 'absent' } };
    const what = self.type === 'directory' ? `directory ${path} and everything below it` : `${typeWord(self)} ${path}`;
    const steps = [{ change: { summary: `remove ${what}`, diff: stateDiff(path, typeWord(self), 'absent'), ...pend(self.pending) }, do: [['rm', '-rf', '--', path]] }];
    return { steps, effects: [{ kind: 'path', key: path, state: 'absent' }], okReason: '', data: { path, state: 'absent' } };
  },

  directory(cur, a) {
    const { path, self } = cur;
    const steps: Step[] = [];
    const effects: Effect[] = [];
    let known: PathState | undefined;
    if (!self.exists) {
      steps.push({ change: { summary: `create directory ${path}`, diff: stateDiff(path, 'absent', 'directory'), ...pend(self.pending) }, do: [['mkdir', '-p', '--', path]] });
      effects.push({ kind: 'path', key: path, state: 'directory' });
    } else if (self.type === 'directory') known = self;
    else if (isDirectory(self)) known = self.target;
    else throw new ModuleError(`${path} exists and is ${article(self.type)}, not a directory; remove it first (file: state=absent) or choose another path`);
    steps.push(...attributeSteps(path, known, a, { isDir: true, umask: cur.umask, pending: self.pending }));
    if (a.recurse) steps.push(...recurseSteps(path, cur.below ?? [], a));
    const via = self.type === 'link' ? ` (through the link to ${self.linkTarget ?? '?'})` : '';
    const okReason = `${path} is already a directory${via}${withAttrs(a, known, true)}${a.recurse ? ', below it too' : ''}`;
    return decision(cur, a, { steps, effects, okReason }, known, true, 'directory');
  },

  file(cur, a) {
    const { path, self } = cur;
    if (!self.exists) throw missing(a, self);
    // Like Ansible (follow: true), a link stands for its target.
    const known = self.type === 'link' ? self.target : self;
    if (!known?.exists) throw new ModuleError(`${path} is a dangling symbolic link (to ${self.linkTarget ?? '?'}); use state: link, or create its target`);
    if (known.type === 'directory') throw new ModuleError(`${path} is a directory, not a file; use state: directory`);
    const steps = attributeSteps(path, known, a, { isDir: false, umask: cur.umask, pending: self.pending });
    return decision(cur, a, { steps, effects: [], okReason: `${path} is already a file${withAttrs(a, known, false)}` }, known, false, 'file');
  },

  touch(cur, a) {
    const { path, self } = cur;
    if (!self.exists) requireDirectory(cur.parent, 'directory');
    const pending = self.pending ?? (self.exists ? undefined : cur.parent.pending);
    const steps: Step[] = [];
    const effects: Effect[] = [];
    if (self.exists) steps.push({ change: { summary: `update the timestamps of ${path}`, ...pend(pending) }, do: [['touch', '--', path]] });
    else {
      steps.push({ change: { summary: `create file ${path}`, diff: stateDiff(path, 'absent', 'file'), ...pend(pending) }, do: [['touch', '--', path]] });
      effects.push({ kind: 'path', key: path, state: 'file' });
    }
    const known = self.exists ? (self.type === 'link' ? self.target : self) : undefined;
    const isDir = known?.type === 'directory';
    steps.push(...attributeSteps(path, known, a, { isDir, umask: cur.umask, pending }));
    return decision(cur, a, { steps, effects, okReason: '' }, known, isDir, isDir ? 'directory' : 'file');
  },

  link(cur, a) {
    const { path, self } = cur;
    if (a.src === undefined) throw new ModuleError('state: link needs src (the path the link points to)');
    if (a.mode !== undefined) throw new ModuleError(`mode cannot be set on a symbolic link (${path}); set it on its target ${a.src} with another file task`);
    const src = a.src;
    if (self.exists && self.type === 'link' && self.linkTarget === src) {
      const steps = attributeSteps(path, self, a, { isDir: false, umask: cur.umask, link: true, pending: self.pending });
      return decision(cur, a, { steps, effects: [], okReason: `${path} already links to ${src}${withAttrs(a, self, false)}` }, self, false, 'link');
    }
    if (!self.exists) requireDirectory(cur.parent, 'directory');
    const srcState = cur.src;
    if (!srcState?.exists && !a.force) {
      throw new ModuleError(`src ${srcState?.path ?? src} does not exist${srcState?.pending ? ` (${srcState.pending})` : ''}; create it first, or set force: true to create a dangling link`);
    }
    const argv: string[][] = [];
    let summary: string;
    let before = typeWord(self);
    if (!self.exists) summary = `create link ${path} -> ${src}`;
    else if (self.type === 'link') {
      summary = `relink ${path}: ${self.linkTarget ?? '?'} -> ${src}`;
      before = `link to ${self.linkTarget ?? '?'}`;
    } else {
      if (!a.force) throw new ModuleError(`${path} exists and is ${article(self.type)}; set force: true to replace it with a link to ${src}`);
      // ln would put the link inside a real directory; rmdir refuses unless it is empty.
      if (self.type === 'directory') argv.push(['rmdir', '--', path]);
      summary = `replace ${typeWord(self)} ${path} with a link to ${src}`;
    }
    argv.push(['ln', '-sfn', '--', src, path]);
    const pending = self.pending ?? srcState?.pending ?? (self.exists ? undefined : cur.parent.pending);
    const steps: Step[] = [{ change: { summary, diff: stateDiff(path, before, `link to ${src}`), ...pend(pending) }, do: argv }];
    steps.push(...attributeSteps(path, undefined, a, { isDir: false, umask: cur.umask, link: true, pending }));
    return decision(cur, a, { steps, effects: [{ kind: 'path', key: path, state: 'link' }], okReason: '' }, undefined, false, 'link');
  },

  hard(cur, a) {
    const { path, self } = cur;
    if (a.src === undefined) throw new ModuleError('state: hard needs src (the file to link to)');
    const srcState = cur.src;
    const srcPath = srcState?.path ?? a.src;
    if (!srcState?.exists) throw new ModuleError(`src ${srcPath} does not exist${srcState?.pending ? ` (${srcState.pending})` : ''}; a hard link needs an existing file`);
    if (srcState.type === 'directory') throw new ModuleError(`src ${srcPath} is a directory; hard links to directories are not possible (use state: link)`);
    const steps: Step[] = [];
    const effects: Effect[] = [];
    const converged = self.exists && self.inode !== undefined && self.inode === srcState.inode;
    if (!converged) {
      let summary: string;
      if (!self.exists) {
        requireDirectory(cur.parent, 'directory');
        summary = `create hard link ${path} => ${srcPath}`;
      } else if (self.type === 'directory') {
        throw new ModuleError(`${path} is a directory; remove it first (file: state=absent) to put a hard link there`);
      } else if (!a.force) {
        throw new ModuleError(`${path} exists and is not a hard link to ${srcPath}; set force: true to replace it`);
      } else summary = `replace ${typeWord(self)} ${path} with a hard link to ${srcPath}`;
      const pending = self.pending ?? srcState.pending ?? (self.exists ? undefined : cur.parent.pending);
      steps.push({ change: { summary, diff: stateDiff(path, typeWord(self), `hard link to ${srcPath}`), ...pend(pending) }, do: [['ln', '-f', '--', srcPath, path]] });
      effects.push({ kind: 'path', key: path, state: 'file' });
    }
    // A hard link shares the source's inode, so the source's attributes are the ones to compare.
    const known = converged ? self : srcState;
    steps.push(...attributeSteps(path, known, a, { isDir: false, umask: cur.umask, pending: srcState.pending ?? self.pending }));
    return decision(cur, a, { steps, effects, okReason: `${path} is already a hard link to ${srcPath}${withAttrs(a, known, false)}` }, known, false, 'hard');
  },
};

/** recurse: one step per attribute that differs anywhere below `path`. */
function recurseSteps(path: string, below: readonly TreeEntry[], attrs: Attrs): Step[] {
  let modes = 0;
  let owners = 0;
  let groups = 0;
  for (const e of below) {
    // chmod -R skips symbolic links (their mode means nothing); chown -R changes the links themselves.
    if (attrs.mode !== undefined && e.type !== 'link' && resolveMode(attrs.mode, e.mode, e.type === 'directory') !== e.mode) modes += e.count;
    if (attrs.owner !== undefined && !ownerMatches(attrs.owner, e.owner, e.uid)) owners += e.count;
    if (attrs.group !== undefined && !ownerMatches(attrs.group, e.group, e.gid)) groups += e.count;
  }
  const n = (k: number): string => `${k} ${k === 1 ? 'entry' : 'entries'} below ${path}`;
  const steps: Step[] = [];
  if (modes && attrs.mode !== undefined) {
    const shown = OCTAL_MODE.test(attrs.mode) ? modeText(Number.parseInt(attrs.mode, 8)) : attrs.mode;
    steps.push({ change: { summary: `mode ${shown} on ${n(modes)}` }, do: [['chmod', '-R', '--', chmodSpec(attrs.mode), path]] });
  }
  if (owners && attrs.owner !== undefined) steps.push({ change: { summary: `owner ${attrs.owner} on ${n(owners)}` }, do: [['chown', '-R', '--', attrs.owner, path]] });
  if (groups && attrs.group !== undefined) steps.push({ change: { summary: `group ${attrs.group} on ${n(groups)}` }, do: [['chgrp', '-R', '--', attrs.group, path]] });
  return steps;
}

/** The file module. */
export const file: Module<FileArgs, FileState, string[][]> = {
  name: 'file',

  /** One round trip: the path, its parent, the link source (link/hard) and, with recurse, a summary of what lies below. */
  query(args) {
    return fileQuery(normalize(args));
  },

  async read(ctx, args) {
    const a = normalize(args);
    const q = fileQuery(a);
    const facts = await readPaths(ctx, q.paths, q);
    const [self, parent, src] = facts.paths.map((p, i) => (i === 1 ? withPlannedParent(p, ctx.planned) : withPlanned(p, ctx.planned)));
    if (!self || !parent) throw new ModuleError(`no state read for ${a.path}`);
    const state: FileState = { path: a.path, self, parent, umask: facts.umask };
    if (src) state.src = src;
    if (facts.below) state.below = facts.below;
    return state;
  },

  plan(current, args): Plan<FileState, string[][]> {
    const d = decide(current, args);
    const plan: Plan<FileState, string[][]> = { steps: d.steps, effects: d.effects, data: d.data, current };
    if (d.steps.length === 0) plan.okReason = d.okReason;
    return plan;
  },

  /** Runs the planned commands in order. A failure stops there: earlier steps stay applied. */
  async apply(ctx, _args, plan): Promise<Applied> {
    await runSteps(ctx, plan.steps);
    return { data: plan.data };
  },
};

export default file;
