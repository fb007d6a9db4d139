// The mode and attribute logic that file, copy and template share: modes (octal and symbolic),
// owner and group, the steps that set them, and running a step's commands.
import { ModuleError } from '../../engine/errors.js';
import type { ModuleContext, Step as EngineStep } from '../../engine/module.js';
import { modeText, type PathState } from '../../engine/facts/path.js';

/** The attributes a task asks for. */
export interface Attrs {
  mode?: string;
  owner?: string;
  group?: string;
}

/** One planned change and the commands that make it, in order. */
export type Step = EngineStep<string[][]>;

// ---- modes --------------------------------------------------------------------------------

export const OCTAL_MODE = /^0?[0-7]{3,4}$/;
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

export function ownerMatches(want: string, name: string | undefined, id: number | undefined): boolean {
  return /^\d+$/.test(want) ? id === Number(want) : name === want;
}

/** The mode a new file or directory gets from the session's umask. */
export function defaultMode(isDir: boolean, umask: number): number {
  return (isDir ? 0o777 : 0o666) & ~umask;
}

/** An attribute a file task sets. */
export type Attribute = 'mode' | 'owner' | 'group';

interface AttributeChange {
  attr: Attribute;
  /** What the attribute becomes: the mode as modeText gives it, the owner or group as asked. */
  value: string;
  step: Step;
}

/** The attributes that differ, each with its step (the change and the command that makes it). */
function attributeChanges(path: string, known: PathState | undefined, want: Attrs, o: { isDir: boolean; umask: number; link?: boolean; pending?: string }): AttributeChange[] {
  const out: AttributeChange[] = [];
  const pending = o.pending ? { pending: o.pending } : {};
  const have = known?.exists && known.mode !== undefined ? known : undefined;
  if (want.mode !== undefined) {
    const target = resolveMode(want.mode, have?.mode ?? defaultMode(o.isDir, o.umask), o.isDir);
    if (have?.mode !== target) {
      const change = { summary: have ? `mode ${modeText(have.mode ?? 0)} -> ${modeText(target)}` : `mode ${modeText(target)}`, ...pending };
      out.push({ attr: 'mode', value: modeText(target), step: { change, do: [['chmod', '--', `0${modeText(target)}`, path]] } });
    }
  }
  const h = o.link ? ['-h'] : [];
  if (want.owner !== undefined && !(have && ownerMatches(want.owner, have.owner, have.uid))) {
    const change = { summary: have ? `owner ${have.owner} -> ${want.owner}` : `owner ${want.owner}`, ...pending };
    out.push({ attr: 'owner', value: want.owner, step: { change, do: [['chown', ...h, '--', want.owner, path]] } });
  }
  if (want.group !== undefined && !(have && ownerMatches(want.group, have.group, have.gid))) {
    const change = { summary: have ? `group ${have.group} -> ${want.group}` : `group ${want.group}`, ...pending };
    out.push({ attr: 'group', value: want.group, step: { change, do: [['chgrp', ...h, '--', want.group, path]] } });
  }
  return out;
}

/**
 * The steps that give `path` the wanted mode, owner and group. `known` is its state now, or
 * undefined when an earlier step creates it. `link`: change the link itself (chown -h).
 */
export function attributeSteps(path: string, known: PathState | undefined, want: Attrs, o: { isDir: boolean; umask: number; link?: boolean; pending?: string }): Step[] {
  return attributeChanges(path, known, want, o).map((c) => c.step);
}

/**
 * An attribute step of a file its task may write (copy, template, lineinfile): a command, or, when
 * the task writes the file, an attribute the write sets on its temporary file, so the new content
 * never shows with the wrong mode or owner.
 */
export type AttributeDo = { kind: 'commands'; argv: string[][] } | { kind: 'with the write'; attr: Attribute; value: string };

/** attributeSteps for a file that a write step of the same plan may replace (`write`). */
export function attributeStepsOfWrite(path: string, known: PathState | undefined, want: Attrs, o: { umask: number; pending?: string }, write: boolean): EngineStep<AttributeDo>[] {
  return attributeChanges(path, known, want, { isDir: false, ...o }).map(({ attr, value, step }) => ({
    change: step.change,
    do: write ? { kind: 'with the write', attr, value } : { kind: 'commands', argv: step.do },
  }));
}

/** What the write sets: the attributes of the plan's "with the write" steps (only those given to apply). */
export function setByTheWrite(steps: readonly EngineStep<{ kind: string; attr?: Attribute; value?: string }>[]): Partial<Record<Attribute, string>> {
  const out: Partial<Record<Attribute, string>> = {};
  for (const { do: d } of steps) if (d.kind === 'with the write' && d.attr !== undefined) out[d.attr] = d.value;
  return out;
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
    for (const argv of step.do) {
      const r = await ctx.conn.run(argv, { becomeUser: ctx.becomeUser });
      if (r.rc !== 0) {
        const why = r.stderr.trim().split('\n')[0] || `rc=${r.rc}`;
        throw new ModuleError(`${step.change.summary} failed: ${argv[0] ?? ''} exited with rc ${r.rc}: ${why}`, r);
      }
    }
  }
}
