// copy: put a controller file or some text at a path on the host, atomically, by checksum.
// The read/plan/apply core here is shared with template (which only renders first).
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { split } from 'shlex';
import { ModuleError, ValidationError } from '../engine/errors.js';
import { isVaulted } from '../engine/vault/format.js';
import { decryptVaulted, rememberSecretText } from '../engine/vault/keyring.js';
import type { Applied, Module, ModuleContext, Plan, Step as EngineStep } from '../engine/module.js';
import type { Effect } from '../engine/planned.js';
import type { Change, FileDiff } from '../engine/result.js';
import { reveal, type Secret } from '../engine/secret.js';
import { PutError } from '../engine/connection/shell_connection.js';
import { modeText, type PathQuery, type PathState, readPaths, withPlanned } from '../engine/facts/path.js';
import { withPlannedParent } from './file/planned_parent.js';
import { article, type AttributeDo, attributeStepsOfWrite, checkMode, defaultMode, describeAttrs, isDirectory, requireDirectory, resolveMode, runSteps, setByTheWrite } from './file/attrs.js';

/** The options copy and template share. */
export interface CopyOptions {
  dest: string;
  mode?: string;
  owner?: string;
  group?: string;
  /** Keep the replaced file as dest.<timestamp>~. */
  backup?: boolean;
  /** false: only create dest when it is missing. Default true. */
  force?: boolean;
  /** A command with %s (the temporary file), run before the file replaces dest. */
  validate?: string;
}

/** copy's arguments: exactly one of content and src. */
export interface CopyArgs extends CopyOptions {
  content?: string | Secret;
  src?: string;
}

/** What the task wants written. */
export interface Wanted {
  bytes: Buffer;
  /** The source's file name, used when dest is a directory (undefined for content). */
  name?: string;
  /** The diff's after-header: the source path, or "dynamically generated". */
  label: string;
  /** The content is secret: never put it in a diff. */
  secret: boolean;
}

/** What read found on the host, and the bytes to write (copy and template). */
export interface CopyState {
  /** The file to write (dest, or dest/<name> when dest is a directory). */
  dest: string;
  file: PathState;
  parent: PathState;
  umask: number;
  /** dest is a directory but the content has no file name to use inside it. */
  destIsDirectory: boolean;
  bytes: Buffer;
  sha256: string;
  label: string;
  secret: boolean;
  /** --diff was asked for: the old content (null: none), when it was needed. */
  diff?: { before: string | null; binary: boolean };
}

/** Larger files are shown as "binary" in diffs. */
export const DIFF_LIMIT = 256 * 1024;

function isBinary(bytes: Buffer): boolean {
  return bytes.length > DIFF_LIMIT || bytes.includes(0);
}

/** What copy and template stat: dest, its parent and dest/<name> (for a dest that is a directory), with checksums. */
export function copyQuery(rawDest: string, name: string | undefined): PathQuery {
  const dest = rawDest.length > 1 ? rawDest.replace(/\/+$/, '') : rawDest;
  return { paths: [dest, posix.dirname(dest), ...(name !== undefined ? [posix.join(dest, name)] : [])], checksum: true };
}

/** One round trip for dest, its parent and dest/<name>; a second (get) only for --diff of a changed file. */
export async function readCopy(ctx: ModuleContext, opts: CopyOptions, wanted: Wanted): Promise<CopyState> {
  const asDir = opts.dest.endsWith('/');
  const q = copyQuery(opts.dest, wanted.name);
  const [dest, , inDir] = q.paths as [string, string, string?];
  const facts = await readPaths(ctx, q.paths, q);
  const [d, dParent, dIn] = facts.paths.map((p, i) => (i === 1 ? withPlannedParent(p, ctx.planned) : withPlanned(p, ctx.planned)));
  if (!d || !dParent) throw new ModuleError(`no state read for ${dest}`);
  const intoDir = asDir || isDirectory(d);
  const useInDir = intoDir && inDir !== undefined && dIn !== undefined;
  const state: CopyState = {
    dest: useInDir ? inDir : dest,
    file: useInDir ? dIn : d,
    parent: useInDir ? d : dParent,
    umask: facts.umask,
    destIsDirectory: intoDir && !useInDir,
    bytes: wanted.bytes,
    sha256: createHash('sha256').update(wanted.bytes).digest('hex'),
    label: wanted.label,
    secret: wanted.secret,
  };
  if (ctx.diff && !wanted.secret) state.diff = await readBefore(ctx, state, opts);
  return state;
}

async function readBefore(ctx: ModuleContext, s: CopyState, opts: CopyOptions): Promise<{ before: string | null; binary: boolean }> {
  const f = s.file;
  const binaryAfter = isBinary(s.bytes);
  if (!f.exists || f.type !== 'file' || f.sha256 === undefined) return { before: null, binary: binaryAfter };
  if (f.sha256 === s.sha256 || opts.force === false) return { before: null, binary: false };
  if (binaryAfter || (f.size ?? 0) > DIFF_LIMIT) return { before: '', binary: true };
  const old = await ctx.conn.get(s.dest, { becomeUser: ctx.becomeUser });
  if (old === null) return { before: null, binary: false };
  return isBinary(old) ? { before: '', binary: true } : { before: old.toString('utf8'), binary: false };
}

/**
 * What a copy step does: write the content (conn.put: temp file, validate, rename), run attribute
 * commands, or set an attribute on the written file: the write sets it on the temp file, so the
 * new content never shows with the wrong mode or owner.
 */
export type CopyDo =
  | { kind: 'put'; validate?: string[]; backup: boolean }
  | AttributeDo;

interface CopyDecision {
  steps: EngineStep<CopyDo>[];
  okReason: string;
  effects: Effect[];
  data: Record<string, unknown>;
}

/** Split `validate` like a shell would, without running one; "%s" becomes the temporary file. */
export function validateArgv(validate: string): string[] {
  let argv: string[];
  try {
    argv = split(validate);
  } catch (e) {
    throw new ModuleError(`validate ${JSON.stringify(validate)} cannot be split into arguments (${(e as Error).message}); check its quotes`);
  }
  if (argv.length === 0) throw new ModuleError('validate is empty; give a command like "nginx -t -c %s"');
  if (!argv.some((a) => a.includes('%s'))) throw new ModuleError(`validate ${JSON.stringify(validate)} has no %s; add %s where the file to check goes, e.g. "visudo -cf %s"`);
  return argv;
}

function decideCopy(s: CopyState, opts: CopyOptions): CopyDecision {
  const { dest, file: f } = s;
  if (s.destIsDirectory) throw new ModuleError(`dest ${dest} is a directory; give the path of the file to write (content has no file name to put inside it)`);
  if (opts.mode !== undefined) checkMode(opts.mode);
  const validate = opts.validate !== undefined ? validateArgv(opts.validate) : undefined;
  const attrs = { mode: opts.mode, owner: opts.owner, group: opts.group };
  const force = opts.force !== false;
  const effects: Effect[] = [];
  const changes: EngineStep<CopyDo>[] = [];
  let write = false;
  let reason = `${dest} already has this content`;
  const diff = (before: string | null): FileDiff | undefined =>
    s.diff ? { path: dest, before, after: s.diff.binary ? '' : s.bytes.toString('utf8'), beforeHeader: dest, afterHeader: s.label, ...(s.diff.binary ? { binary: true } : {}) } : undefined;
  const change = (summary: string, before: string | null, pending: string | undefined): Change => {
    const c: Change = { summary };
    const d = diff(before);
    if (d) c.diff = d;
    if (pending) c.pending = pending;
    return c;
  };

  const wanted = opts.mode !== undefined ? resolveMode(opts.mode, known(f)?.mode ?? defaultMode(false, s.umask), false) : undefined;
  const put: CopyDo = { kind: 'put', backup: opts.backup === true };
  if (validate) put.validate = validate;
  if (!f.exists) {
    requireDirectory(s.parent, 'destination directory');
    write = true;
    changes.push({ change: change(`create ${dest}`, null, f.pending ?? s.parent.pending), do: put });
  } else if (f.type === 'directory') {
    throw new ModuleError(`dest ${dest} is a directory; remove it or choose another path`);
  } else if (!force) {
    reason = `${dest} exists and force is false, so its content is left as it is`;
  } else if (f.type !== 'file') {
    write = true;
    changes.push({ change: change(`replace ${article(f.type).replace(/^an? /, '')} ${dest} with a file`, s.diff?.before ?? null, f.pending), do: put });
  } else if (f.sha256 !== s.sha256) {
    write = true;
    changes.push({ change: change(`update content of ${dest}`, s.diff?.before ?? '', f.pending), do: put });
  }

  const now = known(f);
  const pending = f.pending ?? (f.exists ? undefined : s.parent.pending);
  changes.push(...attributeStepsOfWrite(dest, now, attrs, { umask: s.umask, pending }, write));
  if (write) effects.push({ kind: 'path', key: dest, state: 'file' });

  const mode = wanted ?? now?.mode;
  const data: Record<string, unknown> = { dest, checksum: s.sha256, size: s.bytes.length };
  if (mode !== undefined) data['mode'] = modeText(mode);
  const attrText = describeAttrs(attrs, now, false);
  return { steps: changes, okReason: attrText ? `${reason} and ${attrText}` : reason, effects, data };
}

/** Attributes of the file as it is now; a replaced link or a planned file tells us nothing. */
function known(f: PathState): PathState | undefined {
  return f.exists && f.type === 'file' && f.mode !== undefined ? f : undefined;
}

/** Pure: the steps that give dest this content and these attributes. */
export function planCopy(current: CopyState, opts: CopyOptions): Plan<CopyState, CopyDo> {
  const d = decideCopy(current, opts);
  const plan: Plan<CopyState, CopyDo> = { steps: d.steps, effects: d.effects, data: d.data, current };
  if (d.steps.length === 0) plan.okReason = d.okReason;
  return plan;
}

/**
 * Run the planned steps: a write through conn.put (temp file, validate, rename), or attribute
 * commands. If validate or the write fails, dest is untouched.
 */
export async function applyCopy(ctx: ModuleContext, _opts: CopyOptions, plan: Plan<CopyState, CopyDo>): Promise<Applied> {
  const s = plan.current;
  const data: Record<string, unknown> = { ...plan.data };
  const withWrite = setByTheWrite(plan.steps);
  for (const step of plan.steps) {
    const d = step.do;
    if (d.kind === 'commands') await runSteps(ctx, [{ change: step.change, do: d.argv }]);
    else if (d.kind === 'put') {
      try {
        const r = await ctx.conn.put(s.bytes, s.dest, { ...withWrite, validate: d.validate, backup: d.backup, becomeUser: ctx.becomeUser });
        if (r.backupPath !== undefined) data['backup_file'] = r.backupPath;
      } catch (e) {
        if (e instanceof PutError) throw new ModuleError(e.message, { rc: e.rc, stderr: e.stderr });
        throw e;
      }
    }
  }
  return { data };
}

/** The bytes of a controller-side file found under files/ (or templates/). */
export function readControllerFile(ctx: ModuleContext, kind: 'files' | 'templates', src: string): { path: string; bytes: Buffer; vaulted: boolean } {
  const path = ctx.findFile(kind, src);
  let bytes: Buffer;
  try {
    if (statSync(path).isDirectory()) throw new ModuleError(`src ${src} is a directory (${path}); copying directories is not supported, copy its files one by one (loop)`);
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof ModuleError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModuleError(`cannot read src ${src} (${path}): ${code ?? String(e)}; put it in the ${kind}/ folder of the role or beside the playbook`);
  }
  // An Ansible Vault file is copied (or rendered) decrypted, as ansible-core does; its content is a secret.
  if (!isVaulted(bytes.subarray(0, 64).toString('latin1'))) return { path, bytes, vaulted: false };
  try {
    const plain = decryptVaulted(bytes.toString('utf8'), { file: path, line: 1, col: 1 }, `src ${src}`);
    rememberSecretText(plain.toString('utf8'));
    return { path, bytes: plain, vaulted: true };
  } catch (e) {
    if (e instanceof ValidationError) throw new ModuleError(e.message);
    throw e;
  }
}

/** The copy module. */
export const copy: Module<CopyArgs, CopyState, CopyDo> = {
  name: 'copy',

  query(args) {
    return typeof args.dest === 'string' ? copyQuery(args.dest, args.src === undefined ? undefined : posix.basename(args.src)) : undefined;
  },

  async read(ctx, args) {
    if ((args.content === undefined) === (args.src === undefined)) throw new ModuleError('copy needs exactly one of content: and src:');
    if (args.src !== undefined) {
      const { bytes, vaulted } = readControllerFile(ctx, 'files', args.src);
      return readCopy(ctx, args, { bytes, name: posix.basename(args.src), label: args.src, secret: vaulted });
    }
    const content = reveal(args.content) ?? '';
    return readCopy(ctx, args, { bytes: Buffer.from(content, 'utf8'), label: 'dynamically generated', secret: typeof args.content !== 'string' });
  },

  plan: planCopy,
  apply: applyCopy,
};

export default copy;
