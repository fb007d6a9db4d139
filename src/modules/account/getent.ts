// Users and groups as getent reports them (passwd, shadow, group), read in one round trip, and the
// account step that user and group share: a command (useradd, groupmod, ...), maybe with stdin.
import { ModuleError } from '../../engine/errors.js';
import type { ModuleContext, Step } from '../../engine/module.js';
import type { PlannedState } from '../../engine/planned.js';
import type { Secret } from '../../engine/secret.js';

/** One passwd entry. */
export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  comment: string;
  home: string;
  shell: string;
}

/** One group entry. */
export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** The account database as the host sees it (files, or whatever nsswitch.conf names). */
export interface Accounts {
  /** The asked user, when it exists. */
  user?: PasswdEntry;
  /** The asked user's shadow password field; undefined when shadow could not be read (not root). */
  shadow?: string;
  groups: GroupEntry[];
  /** The home directory (given or current) exists; its parent exists. */
  homeExists?: boolean;
  homeParentExists?: boolean;
  /** With a key file asked about: its full path, whether it (or its .pub) exists, the public key. */
  sshKey?: { path: string; exists: boolean; publicKey?: string };
  /** The host's name (ssh-keygen's default comment). */
  hostname?: string;
}

// Arguments: user name ("" for none), the home to check ("" for the user's current one), an SSH key
// file ("" for none; relative to the home, /home/NAME for a user still to create). Prints
// NUL-terminated key=value records.
export const ACCOUNTS_SCRIPT = `export LC_ALL=C
n=$1; h=$2; k=$3
if [ -n "$n" ]; then
  p=$(getent passwd "$n"); printf 'passwd=%s\\0' "$p"
  if s=$(getent shadow "$n" 2>/dev/null); then printf 'shadow=%s\\0' "$s"; fi
  [ -n "$h" ] || h=$(printf '%s' "$p" | cut -d: -f6)
fi
printf 'group=%s\\0' "$(getent group)"
if [ -n "$h" ]; then
  [ -e "$h" ] && printf 'home_exists=1\\0'
  [ -d "$(dirname -- "$h")" ] && printf 'home_parent=1\\0'
fi
if [ -n "$k" ]; then
  case $k in /*) ;; *) k=\${h:-/home/$n}/$k ;; esac
  printf 'key=%s\\0' "$k"
  if [ -e "$k" ] || [ -e "$k.pub" ]; then printf 'key_exists=1\\0'; fi
  [ -r "$k.pub" ] && printf 'pubkey=%s\\0' "$(cat -- "$k.pub")"
  printf 'hostname=%s\\0' "$(hostname)"
fi
printf 'end=1\\0'`;

/** Pure: parse ACCOUNTS_SCRIPT's output for user `name`. */
export function parseAccounts(stdout: string, name: string): Accounts {
  const kv = new Map<string, string>();
  for (const rec of stdout.split('\0')) {
    const eq = rec.indexOf('=');
    if (eq > 0) kv.set(rec.slice(0, eq), rec.slice(eq + 1));
  }
  if (kv.get('end') !== '1') throw new ModuleError(`unexpected output reading the accounts: ${JSON.stringify(stdout.slice(0, 200))}`);
  const a: Accounts = { groups: [] };
  for (const line of (kv.get('group') ?? '').split('\n')) {
    const f = line.split(':');
    if (f.length < 4) continue;
    a.groups.push({ name: f[0] as string, gid: Number(f[2]), members: (f[3] as string).split(',').filter(Boolean) });
  }
  const p = (kv.get('passwd') ?? '').split('\n')[0]?.split(':') ?? [];
  if (p.length >= 7 && p[0] === name) {
    a.user = { name, uid: Number(p[2]), gid: Number(p[3]), comment: p[4] as string, home: p[5] as string, shell: p[6] as string };
    const sh = kv.get('shadow');
    if (sh !== undefined) {
      const sf = sh.split('\n')[0]?.split(':') ?? [];
      if (sf[0] === name && sf.length >= 2) a.shadow = sf[1];
    }
  }
  if (kv.has('home_exists') || kv.has('home_parent')) {
    a.homeExists = kv.get('home_exists') === '1';
    a.homeParentExists = kv.get('home_parent') === '1';
  } else {
    a.homeExists = false;
    a.homeParentExists = false;
  }
  const key = kv.get('key');
  if (key !== undefined) {
    a.sshKey = { path: key, exists: kv.get('key_exists') === '1' };
    if (kv.has('pubkey')) a.sshKey.publicKey = kv.get('pubkey');
    a.hostname = kv.get('hostname');
  }
  return a;
}

/** Read the accounts in one round trip. */
export async function readAccounts(ctx: ModuleContext, user: string, home: string | undefined, sshKeyFile?: string): Promise<Accounts> {
  const r = await ctx.conn.script(ACCOUNTS_SCRIPT, [user, home ?? '', sshKeyFile ?? ''], { becomeUser: ctx.becomeUser });
  if (r.rc !== 0) throw new ModuleError(`cannot read the accounts with getent: ${r.stderr.trim() || `rc ${r.rc}`}`, r);
  return parseAccounts(r.stdout, user);
}

/** A group by name or, for a number, by gid. */
export function findGroup(groups: readonly GroupEntry[], nameOrGid: string): GroupEntry | undefined {
  return groups.find((g) => g.name === nameOrGid) ?? (/^\d+$/.test(nameOrGid) ? groups.find((g) => g.gid === Number(nameOrGid)) : undefined);
}

/** Check mode: the task that plans this account, when its state is `state`. */
export function plannedAccount(planned: PlannedState, type: 'user' | 'group', name: string, state: 'present' | 'absent'): string | undefined {
  const p = planned.get(type, name);
  return p?.state === state ? p.task : undefined;
}

/** What an account step runs: a command, with stdin a secret (chpasswd's "name:hash") when it has one. */
export interface AccountDo {
  argv: string[];
  stdin?: Secret;
}

export type AccountStep = Step<AccountDo>;

/** Run the steps in order; the first failure stops and fails the task (the steps before it stay done). */
export async function runAccountSteps(ctx: ModuleContext, steps: readonly AccountStep[]): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  for (const st of steps) {
    const r = await ctx.conn.run(st.do.argv, { becomeUser: ctx.becomeUser, env: { LC_ALL: 'C' }, ...(st.do.stdin ? { stdin: `${st.do.stdin.reveal()}\n` } : {}) });
    stdout += r.stdout;
    stderr += r.stderr;
    if (r.rc !== 0) {
      const said = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-4).join('\n') || 'no output';
      throw new ModuleError(`${st.change.summary} failed: ${st.do.argv[0] ?? ''} exited with rc ${r.rc}: ${said}`, { rc: r.rc, stdout, stderr });
    }
  }
  return { stdout, stderr };
}
