// stat: what Ansible's stat registers about one path (type, mode, owner, size, times, checksum,
// link target, mime type, attributes), read in one round trip. It never changes anything.
import { ModuleError } from '../engine/errors.js';
import type { Module } from '../engine/module.js';
import type { PlannedState } from '../engine/planned.js';
import { foldAliases } from './common/aliases.js';
import { type PathState, withPlanned } from '../engine/facts/path.js';

export type ChecksumAlgorithm = 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

/** stat's arguments, as the schema allows them (dest and name fold into path, and so on). */
export interface StatArgs {
  path: string;
  dest?: string;
  name?: string;
  follow?: boolean;
  get_checksum?: boolean;
  checksum_algorithm?: ChecksumAlgorithm;
  checksum?: ChecksumAlgorithm;
  checksum_algo?: ChecksumAlgorithm;
  get_md5?: boolean;
  get_mime?: boolean;
  mime?: boolean;
  mime_type?: boolean;
  'mime-type'?: boolean;
  get_attributes?: boolean;
  attr?: boolean;
  attributes?: boolean;
}

export function normalize(args: StatArgs): StatArgs {
  let a = foldAliases(args, 'path', ['dest', 'name']);
  a = foldAliases(a, 'checksum_algorithm', ['checksum', 'checksum_algo']);
  a = foldAliases(a, 'get_mime', ['mime', 'mime_type', 'mime-type']);
  return foldAliases(a, 'get_attributes', ['attr', 'attributes']);
}

/** What the host said: key=value records, NUL-terminated (a link target may hold any byte but NUL). */
export type StatState = { fields: Map<string, string>; path: string; predicted?: { exists: boolean; type?: string; pending: string } };

// Arguments: path, follow (1|0), checksum program ("" for none), mime (1|0), attributes (1|0).
export const STAT_SCRIPT = `export LC_ALL=C
p=$1; follow=$2; sum=$3; mime=$4; attr=$5
if [ "$follow" = 1 ]; then L=-L; else L=; fi
s=$(stat $L --printf '%f %a %u %g %s %i %d %h %.9X %.9Y %.9Z %b %o %t %T' -- "$p" 2>&1) || {
  case $s in *"No such file or directory"*) printf 'exists=0\\0'; exit 0 ;; esac
  printf '%s\\n' "$s" >&2; exit 1; }
printf 'exists=1\\0st=%s\\0' "$s"
set -- $s
uid=$3; gid=$4
printf 'pw_name=%s\\0' "$(getent passwd "$uid" | cut -d: -f1)"
printf 'gr_name=%s\\0' "$(getent group "$gid" | cut -d: -f1)"
r=0; w=0; x=0
[ -r "$p" ] && r=1; [ -w "$p" ] && w=1; [ -x "$p" ] && x=1
printf 'readable=%s\\0writeable=%s\\0executable=%s\\0' $r $w $x
if [ -L "$p" ] && [ "$follow" != 1 ]; then
  printf 'lnk_target=%s\\0' "$(readlink -- "$p")"
  printf 'lnk_source=%s\\0' "$(realpath -m -- "$p")"
fi
if [ -n "$sum" ] && [ $r = 1 ] && { [ "$follow" = 1 ] || [ ! -L "$p" ]; } && [ -f "$p" ]; then
  c=$("$sum" < "$p") && printf 'checksum=%s\\0' "\${c%% *}"
fi
if [ "$mime" = 1 ]; then
  if command -v file >/dev/null 2>&1 && m=$(file --mime-type --mime-encoding -- "$p" 2>/dev/null); then printf 'mime=%s\\0' "\${m##*: }"; else printf 'mime=\\0'; fi
fi
if [ "$attr" = 1 ] && command -v lsattr >/dev/null 2>&1 && a=$(lsattr -vd -- "$p" 2>/dev/null); then printf 'lsattr=%s\\0' "$a"; fi`;

/** Ansible's FILE_ATTRIBUTES: lsattr letters and their names. */
const FILE_ATTRIBUTES: Record<string, string> = {
  A: 'noatime', a: 'append', c: 'compressed', C: 'nocow', d: 'nodump', D: 'dirsync', e: 'extents', E: 'encrypted', h: 'blocksize', i: 'immutable',
  I: 'indexed', j: 'journalled', N: 'inline', s: 'zero', S: 'synchronous', t: 'notail', T: 'blockroot', u: 'undelete', X: 'compressedraw', Z: 'compresseddirty',
};

/** Python's st_atime and friends: seconds + nanoseconds * 1e-9 as a double, exactly as os.stat computes it. */
function pyTime(text: string): number {
  const [whole = '0', ns = '0'] = text.split('.');
  return Number(whole) + Number(ns) * 1e-9;
}

/** glibc's makedev(major, minor): st_rdev as Python shows it. */
function makedev(major: number, minor: number): number {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return Number(((ma & 0xfffn) << 8n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n) | ((ma & ~0xfffn) << 32n));
}

/** Pure: Ansible's `stat` dictionary from what the host said. */
export function statResult(fields: ReadonlyMap<string, string>, path: string, a: StatArgs): Record<string, unknown> {
  if (fields.get('exists') !== '1') return { exists: false };
  const st = (fields.get('st') ?? '').split(' ');
  if (st.length !== 15) throw new ModuleError(`unexpected stat output for ${path}: ${JSON.stringify(fields.get('st'))}`);
  const [raw, perm, uid, gid, size, inode, dev, nlink, at, mt, ct, blocks, blksize, major, minor] = st as [string, string, string, string, string, string, string, string, string, string, string, string, string, string, string];
  const mode = Number.parseInt(raw, 16);
  const fmt = mode & 0o170000;
  const bit = (b: number): boolean => (mode & b) !== 0;
  const out: Record<string, unknown> = {
    exists: true,
    path,
    mode: (Number.parseInt(perm, 8) & 0o7777).toString(8).padStart(4, '0'),
    isdir: fmt === 0o040000,
    ischr: fmt === 0o020000,
    isblk: fmt === 0o060000,
    isreg: fmt === 0o100000,
    isfifo: fmt === 0o010000,
    islnk: fmt === 0o120000,
    issock: fmt === 0o140000,
    uid: Number(uid),
    gid: Number(gid),
    size: Number(size),
    inode: Number(inode),
    dev: Number(dev),
    nlink: Number(nlink),
    atime: pyTime(at),
    mtime: pyTime(mt),
    ctime: pyTime(ct),
    wusr: bit(0o200),
    rusr: bit(0o400),
    xusr: bit(0o100),
    wgrp: bit(0o020),
    rgrp: bit(0o040),
    xgrp: bit(0o010),
    woth: bit(0o002),
    roth: bit(0o004),
    xoth: bit(0o001),
    isuid: bit(0o4000),
    isgid: bit(0o2000),
    blocks: Number(blocks),
    block_size: Number(blksize),
    device_type: makedev(Number.parseInt(major, 16), Number.parseInt(minor, 16)),
    readable: fields.get('readable') === '1',
    writeable: fields.get('writeable') === '1',
    executable: fields.get('executable') === '1',
  };
  if (out['islnk']) {
    out['lnk_source'] = fields.get('lnk_source') ?? '';
    out['lnk_target'] = fields.get('lnk_target') ?? '';
  }
  if (fields.get('pw_name')) out['pw_name'] = fields.get('pw_name');
  if (fields.get('gr_name')) out['gr_name'] = fields.get('gr_name');
  if (fields.has('checksum')) out[a.get_md5 && a.get_checksum === false ? 'md5' : 'checksum'] = fields.get('checksum');
  if (a.get_mime !== false) {
    const m = /^([^;]+);\s*charset=(.+)$/.exec(fields.get('mime') ?? '');
    out['mimetype'] = m ? (m[1] as string).trim() : 'unknown';
    out['charset'] = m ? (m[2] as string).trim() : 'unknown';
  }
  if (a.get_attributes !== false) {
    const parts = (fields.get('lsattr') ?? '').trim().split(/\s+/);
    const ok = parts.length >= 3;
    out['version'] = ok ? parts[0] : null;
    out['attr_flags'] = ok ? (parts[1] as string).replace(/-/g, '') : '';
    out['attributes'] = ok ? [...(out['attr_flags'] as string)].flatMap((c) => (FILE_ATTRIBUTES[c] ? [FILE_ATTRIBUTES[c]] : [])) : [];
  }
  return out;
}

const TYPE_WORDS: Record<string, string> = { isreg: 'a file', isdir: 'a directory', islnk: 'a symbolic link', isfifo: 'a fifo', issock: 'a socket', ischr: 'a character device', isblk: 'a block device' };

/** "a file (mode 0644, owner root)", for the ok line. */
function describe(r: Record<string, unknown>): string {
  if (r['exists'] !== true) return 'does not exist';
  const type = Object.keys(TYPE_WORDS).find((k) => r[k] === true);
  const what = type ? TYPE_WORDS[type] : 'a special file';
  const link = r['islnk'] === true ? ` to ${String(r['lnk_target'])}` : '';
  return `is ${what}${link} (mode ${String(r['mode'])}, owner ${String(r['pw_name'] ?? r['uid'])}, group ${String(r['gr_name'] ?? r['gid'])}, ${String(r['size'])} bytes)`;
}

/** Check mode: what an earlier task plans for the path, when it plans anything. */
export function plannedPath(path: string, exists: boolean, type: string | undefined, planned: PlannedState): StatState['predicted'] {
  if (planned.empty) return undefined;
  const now: PathState = { path, exists, ...(type ? { type: type as PathState['type'] } : {}) };
  const p = withPlanned(now, planned);
  return p.pending !== undefined ? { exists: p.exists, type: p.type, pending: p.pending } : undefined;
}

const PREDICTED_TYPE: Record<string, string> = { file: 'isreg', directory: 'isdir', link: 'islnk' };

/** The stat module. */
export const stat: Module<StatArgs, StatState, never> = {
  name: 'stat',

  async read(ctx, args) {
    const a = normalize(args);
    const algo = a.get_checksum === false ? (a.get_md5 ? 'md5' : '') : (a.checksum_algorithm ?? 'sha1');
    const r = await ctx.conn.script(STAT_SCRIPT, [a.path, a.follow ? '1' : '0', algo ? `${algo}sum` : '', a.get_mime === false ? '0' : '1', a.get_attributes === false ? '0' : '1'], { becomeUser: ctx.becomeUser });
    if (r.rc !== 0) throw new ModuleError(`cannot stat ${a.path}: ${r.stderr.trim() || `rc ${r.rc}`}`, r);
    const fields = new Map<string, string>();
    for (const rec of r.stdout.split('\0')) {
      const eq = rec.indexOf('=');
      if (eq > 0) fields.set(rec.slice(0, eq), rec.slice(eq + 1));
    }
    const s: StatState = { fields, path: a.path };
    const exists = fields.get('exists') === '1';
    const raw = exists ? Number.parseInt((fields.get('st') ?? '0').split(' ')[0] ?? '0', 16) & 0o170000 : 0;
    const type = !exists ? undefined : raw === 0o100000 ? 'file' : raw === 0o040000 ? 'directory' : raw === 0o120000 ? 'link' : 'other';
    const predicted = plannedPath(a.path, exists, type, ctx.planned);
    if (predicted) s.predicted = predicted;
    return s;
  },

  plan(current, args) {
    const a = normalize(args);
    let result = statResult(current.fields, current.path, a);
    let why = `${current.path} ${describe(result)}`;
    const p = current.predicted;
    // Check mode: a path an earlier task plans is reported as that task would leave it; what it cannot
    // predict is left out. One that is already of the planned type keeps its attributes of now.
    const sameType = p?.exists && result['exists'] === true && result[PREDICTED_TYPE[p.type ?? ''] ?? ''] === true;
    if (p && sameType) why = `${why}; ${p.pending}, so these may change`;
    else if (p) {
      result = p.exists ? { exists: true, path: current.path, ...Object.fromEntries(Object.values(PREDICTED_TYPE).map((k) => [k, PREDICTED_TYPE[p.type ?? ''] === k])) } : { exists: false };
      why = `${current.path} ${p.exists ? `would be ${p.type === 'directory' ? 'a directory' : p.type === 'link' ? 'a symbolic link' : 'a file'}` : 'would not exist'} (${p.pending}); its other attributes are not known yet`;
    }
    return { steps: [], okReason: why, data: { stat: result }, current };
  },

  apply() {
    throw new ModuleError('stat changes nothing, so it has nothing to apply');
  },
};

export default stat;
