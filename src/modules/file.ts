// file: make a path a file, a directory, a link or a hard link, or remove it; set mode/owner/group.
// Also home of the mode and attribute logic that copy and template share.
import { posix } from 'node:path';
import { ModuleError } from '../engine/errors.js';
import type { Applied, Module, ModuleContext, Plan } from '../engine/module.js';
import type { Effect } from '../engine/planned.js';
import type { Change, FileDiff } from '../engine/result.js';
import { modeText, type PathQuery, type PathState, readPaths, type TreeEntry, withPlanned, withPlannedParent } from './facts/path.js';

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

/** The attributes a task asks for. */
export interface Attrs {
  mode?: string;
  owner?: string;
  group?: string;
}

/** One planned change and the commands that make it. */
export interface Step {
  change: Change;
  argv: string[][];
}

// ---- modes --------------------------------------------------------------------------------

const OCTAL_MODE = /^0?[0-7]{3,4}$/;
const SYMBOLIC_CLAUSE = /^[ugoa]*(?:[-+=](?:[rwxXst]*|[ugo]))+$/;
const WHO: Record<string, number> = { u: 0o4700, g: 0o2070, o: 0o1007, a: 0o7777 };
const PERM: Record<string, number> = { r: 0o444, w: 0o222, x: 0o111, s: 0o6000, t: 0o1000, X: 0 };
const COPY: Record<string, number> = { u: 0o700, g: 0o070, o: 0o007 };

/** Throws unless `spec` is an octal ("0644", "644", "2755") or symbolic ("u=rw,g=r") mode. */
export function checkMode(spec: string): void {
  if (OCTAL_MODE.test(spec)) return;
  if (spec.split(',').every((c) => SYMBOLIC_CLAUSE.test(c))) return;
  throw new ModuleError(`mode ${JSON.stringify(spec)} is neither octal (like "0644") nor symbolic (like "u=rw,g=r,o=r"); write it as a quoted string`);
}

/**
 * The permission bits `spec` gives a path that has `current` now, with GNU chmod's rules
 * (directories keep set-id bits a symbolic mode does not mention). An empty "who" means "a",
 * without the umask, so the result does not depend on the session.
 */
export function resolveMode(spec: string, current: number, isDir: boolean): number {
  checkMode(spec);
  if (OCTAL_MODE.test(spec)) return Number.parseInt(spec, 8);
  let mode = current & 0o7777;
  for (const clause of spec.split(',')) {
    const who = /^[ugoa]*/.exec(clause)?.[0] ?? '';
    let affected = 0;
    for (const w of who) affected |= WHO[w] ?? 0;
    if (who === '') affected = 0o7777;
    for (const [, op, perms = ''] of clause.slice(who.length).matchAll(/([-+=])([ugo]|[rwxXst]*)/g)) {
      let value = 0;
      const copy = COPY[perms];
      if (copy !== undefined) value = copy;
      else for (const p of perms) value |= PERM[p] ?? 0;
      const omit = isDir ? 0o6000 & ~(affected & value) : 0;
      if (copy !== undefined) {
        value &= mode;
        value |= (value & 0o444 ? 0o444 : 0) | (value & 0o222 ? 0o222 : 0) | (value & 0o111 ? 0o111 : 0);
      }
      if (perms.includes('X') && (isDir || mode & 0o111)) value |= 0o111;
      value &= affected & ~omit;
      if (op === '=') mode = (mode & (~affected | omit)) | value;
      else if (op === '+') mode |= value;
      else mode &= ~value;
      mode &= 0o7777;
    }
  }
  return mode;
}

/** The argument for `chmod -R`: five octal digits (so directories lose set-id bits too) or symbolic with explicit "a". */
export function chmodSpec(spec: string): string {
  if (OCTAL_MODE.test(spec)) return `0${modeText(Number.parseInt(spec, 8))}`;
  return spec
    .split(',')
    .map((c) => (/^[-+=]/.test(c) ? `a${c}` : c))
    .join(',');
}

// ---- attributes ---------------------------------------------------------------------------

function ownerMatches(want: string, name: string | undefined, id: number | undefined): boolean {
  return /^\d+$/.test(want) ? id === Number(want) : name === want;
}

/** The mode a new file or directory gets from the session's umask. */
export function defaultMode(isDir: boolean, umask: number): number {
  return (isDir ? 0o777 : 0o666) & ~umask;
}

/**
 * The steps that give `path` the wanted mode, owner and group. `known` is its state now, or
 * undefined when an earlier step creates it. `link`: change the link itself (chown -h).
 */
export function attributeSteps(path: string, known: PathState | undefined, want: Attrs, o: { isDir: boolean; umask: number; link?: boolean; pending?: string }): Step[] {
  const steps: Step[] = [];
  const pending = o.pending ? { pending: o.pending } : {};
  const have = known?.exists && known.mode !== undefined ? known : undefined;
  if (want.mode !== undefined) {
    const target = resolveMode(want.mode, have?.mode ?? defaultMode(o.isDir, o.umask), o.isDir);
    if (have?.mode !== target) {
      steps.push({
        change: { summary: have ? `mode ${modeText(have.mode ?? 0)} -> ${modeText(target)}` : `mode ${modeText(target)}`, ...pending },
        argv: [['chmod', '--', `0${modeText(target)}`, path]],
      });
    }
  }
  const h = o.link ? ['-h'] : [];
  if (want.owner !== undefined && !(have && ownerMatches(want.owner, have.owner, have.uid))) {
    steps.push({ change: { summary: have ? `owner ${have.owner} -> ${want.owner}` : `owner ${want.owner}`, ...pending }, argv: [['chown', ...h, '--', want.owner, path]] });
  }
  if (want.group !== undefined && !(have && ownerMatches(want.group, have.group, have.gid))) {
    steps.push({ change: { summary: have ? `group ${have.group} -> ${want.group}` : `group ${want.group}`, ...pending }, argv: [['chgrp', ...h, '--', want.group, path]] });
  }
  return steps;
}

/** "mode 0644, owner root and group adm": what the attributes are once converged. */
export function describeAttrs(want: Attrs, known: PathState | undefined, isDir: boolean): string {
  const parts: string[] = [];
  if (want.mode !== undefined) parts.push(`mode ${modeText(resolveMode(want.mode, known?.mode ?? 0, isDir))}`);
  if (want.owner !== undefined) parts.push(`owner ${want.owner}`);
  if (want.group !== undefined) parts.push(`group ${want.group}`);
  if (parts.length < 2) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** Throws unless `dir` is (or an earlier task makes it) a directory. */
export function requireDirectory(dir: PathState, what: string): void {
  if (!dir.exists) {
    throw new ModuleError(`${what} ${dir.path} does not exist; create it first with file: state=directory${dir.pending ? ` (${dir.pending})` : ''}`);
  }
  if (!isDirectory(dir)) throw new ModuleError(`${what} ${dir.path} is ${article(dir.type)}, not a directory`);
}

/** A directory, or a link to one. */
export function isDirectory(s: PathState): boolean {
  return s.exists && (s.type === 'directory' || (s.type === 'link' && s.target?.type === 'directory'));
}

/** "a file", "a directory", "a symbolic link": a path type for messages. */
export function article(type: string | undefined): string {
  switch (type) {
    case 'file':
      return 'a file';
    case 'directory':
      return 'a directory';
    case 'link':
      return 'a symbolic link';
    default:
      return 'a special file';
  }
}

/** Run steps' commands in order; the first failure stops and fails the task. */
export async function runSteps(ctx: ModuleContext, steps: readonly Step[]): Promise<void> {
  for (const step of steps) {
    for (const argv of step.argv) {
      const r = await ctx.conn.run(argv, { becomeUser: ctx.becomeUser });
      if (r.rc !== 0) {
        const why = r.stderr.trim().split('\n')[0] || `rc=${r.rc}`;
        throw new ModuleError(`${step.change.summary} failed: ${argv[0] ?? ''} exited with rc ${r.rc}: ${why}`, r);
      }
    }
  }
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
    const steps = [{ change: { summary: `remove ${what}`, diff: stateDiff(path, typeWord(self), 'absent'), ...pend(self.pending) }, argv: [['rm', '-rf', '--', path]] }];
    return { steps, effects: [{ kind: 'path', path, type: 'absent' }], okReason: '', data: { path, state: 'absent' } };
  },

  directory(cur, a) {
    const { path, self } = cur;
    const steps: Step[] = [];
    const effects: Effect[] = [];
    let known: PathState | undefined;
    if (!self.exists) {
      steps.push({ change: { summary: `create directory ${path}`, diff: stateDiff(path, 'absent', 'directory'), ...pend(self.pending) }, argv: [['mkdir', '-p', '--', path]] });
      effects.push({ kind: 'path', path, type: 'directory' });
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
    if (self.exists) steps.push({ change: { summary: `update the timestamps of ${path}`, ...pend(pending) }, argv: [['touch', '--', path]] });
    else {
      steps.push({ change: { summary: `create file ${path}`, diff: stateDiff(path, 'absent', 'file'), ...pend(pending) }, argv: [['touch', '--', path]] });
      effects.push({ kind: 'path', path, type: 'file' });
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
    const steps: Step[] = [{ change: { summary, diff: stateDiff(path, before, `link to ${src}`), ...pend(pending) }, argv }];
    steps.push(...attributeSteps(path, undefined, a, { isDir: false, umask: cur.umask, link: true, pending }));
    return decision(cur, a, { steps, effects: [{ kind: 'path', path, type: 'link' }], okReason: '' }, undefined, false, 'link');
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
      steps.push({ change: { summary, diff: stateDiff(path, typeWord(self), `hard link to ${srcPath}`), ...pend(pending) }, argv: [['ln', '-f', '--', srcPath, path]] });
      effects.push({ kind: 'path', path, type: 'file' });
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
    steps.push({ change: { summary: `mode ${shown} on ${n(modes)}` }, argv: [['chmod', '-R', '--', chmodSpec(attrs.mode), path]] });
  }
  if (owners && attrs.owner !== undefined) steps.push({ change: { summary: `owner ${attrs.owner} on ${n(owners)}` }, argv: [['chown', '-R', '--', attrs.owner, path]] });
  if (groups && attrs.group !== undefined) steps.push({ change: { summary: `group ${attrs.group} on ${n(groups)}` }, argv: [['chgrp', '-R', '--', attrs.group, path]] });
  return steps;
}

/** The file module. */
export const file: Module<FileArgs, FileState> = {
  name: 'file',
  aliases: ['ansible.builtin.file'],

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

  plan(current, args): Plan<FileState> {
    const d = decide(current, args);
    const plan: Plan<FileState> = { changes: d.steps.map((s) => s.change), effects: d.effects, data: d.data, current };
    if (d.steps.length === 0) plan.okReason = d.okReason;
    return plan;
  },

  /** Runs the planned commands in order. A failure stops there: earlier steps stay applied. */
  async apply(ctx, args, plan): Promise<Applied> {
    const d = decide(plan.current, args);
    await runSteps(ctx, d.steps);
    return { data: d.data };
  },
};
