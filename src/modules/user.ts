// user: create, change or remove a local user with useradd, usermod and userdel, as Ansible does on
// Debian. The password is a crypt hash, set with chpasswd -e over stdin (never in argv).
import { ModuleError } from '../engine/errors.js';
import type { Applied, Module, Plan } from '../engine/module.js';
import type { Effect } from '../engine/planned.js';
import type { Change } from '../engine/result.js';
import { reveal, Secret } from '../engine/secret.js';
import { foldAliases } from './common/aliases.js';
import { type AccountDo, type Accounts, type AccountStep, findGroup, plannedAccount, readAccounts, runAccountSteps } from './account/getent.js';
import { parentOf } from '../engine/facts/path.js';

/** user's arguments, as the schema allows them (`user` folds into name, `createhome` into create_home). */
export interface UserArgs {
  name: string;
  user?: string;
  state?: 'present' | 'absent';
  uid?: number;
  non_unique?: boolean;
  group?: string;
  groups?: string[] | string;
  append?: boolean;
  comment?: string;
  home?: string;
  create_home?: boolean;
  createhome?: boolean;
  move_home?: boolean;
  skeleton?: string;
  shell?: string;
  system?: boolean;
  password?: string | Secret;
  update_password?: 'always' | 'on_create';
  password_lock?: boolean;
  umask?: string;
  force?: boolean;
  remove?: boolean;
  generate_ssh_key?: boolean;
  ssh_key_type?: string;
  ssh_key_bits?: number;
  ssh_key_file?: string;
  ssh_key_comment?: string;
}

/** The key file ssh-keygen writes: ssh_key_file, or .ssh/id_TYPE (relative to the home). */
function sshKeyFile(a: UserArgs): string {
  return a.ssh_key_file ?? `.ssh/id_${a.ssh_key_type ?? 'rsa'}`;
}

// Arguments: the key file, its owner ("app:" is app and its login group), type, bits ("" for
// ssh-keygen's default), comment. Makes the .ssh folder (0700) when missing, as Ansible does.
const KEYGEN = `f=$1; o=$2; t=$3; b=$4; c=$5; d=$(dirname -- "$f")
if [ ! -d "$d" ]; then mkdir -m 0700 -- "$d" && chown -- "$o" "$d" || exit 1; fi
ssh-keygen -q -t "$t" \${b:+-b "$b"} -C "$c" -N '' -f "$f" </dev/null && chown -- "$o" "$f" "$f.pub"`;

export interface UserState extends Accounts {
  name: string;
  /** Check mode: the task that plans this user (present) or its removal (absent). */
  plannedBy?: { task: string; state: 'present' | 'absent' };
  /** Check mode: groups that do not exist yet, by the task that plans them. */
  plannedGroups: Record<string, string>;
}

export function normalize(args: UserArgs): UserArgs {
  return foldAliases(foldAliases(args, 'name', ['user']), 'create_home', ['createhome']);
}

/** The groups asked for, as a list of names or gids ("" or [] is "no supplementary groups"). */
function groupList(groups: UserArgs['groups']): string[] | undefined {
  if (groups === undefined) return undefined;
  const list = typeof groups === 'string' ? groups.split(',') : groups;
  return [...new Set(list.map((g) => g.trim()).filter(Boolean))];
}

/** Characters a crypt hash never holds; "!" and "*" alone (or leading "!") lock an account. */
function checkHash(pw: string): void {
  if (['*', '!', '!!', '!*', '*************'].includes(pw)) return;
  const h = pw.replace(/^!/, '');
  if (/^\$[A-Za-z0-9]+\$([^:$\s]+\$)*[^:$\s]+$/.test(h) || /^[./0-9A-Za-z]{13}$/.test(h)) return;
  throw new ModuleError('password is not a crypt hash; give the hashed password (for example from mkpasswd -m yescrypt, or openssl passwd -6), never the plain text');
}

interface Decision {
  steps: AccountStep[];
  okReason: string;
}

/** A group name known now or planned by an earlier task; throws when neither. */
function groupName(s: UserState, g: string, what: string, pendings: string[]): string {
  const found = findGroup(s.groups, g);
  if (found) return found.name;
  const task = s.plannedGroups[g];
  if (task !== undefined) {
    pendings.push(`group ${g} is planned by task '${task}'`);
    return g;
  }
  throw new ModuleError(`${what} ${g} does not exist; create it first (group: name=${g})`);
}

function decide(s: UserState, a: UserArgs): Decision {
  const name = a.name;
  const steps: AccountStep[] = [];
  const pendings: string[] = [];
  const step = (summary: string, d: AccountDo): void => {
    const change: Change = { summary };
    if (pendings.length) change.pending = pendings.join('; ');
    steps.push({ change, do: d });
  };
  const u = s.user;
  if (a.state === 'absent') {
    if (!u) return { steps, okReason: `user ${name} does not exist` };
    const argv = ['userdel', ...(a.force ? ['-f'] : []), ...(a.remove ? ['-r'] : []), name];
    step(`remove user ${name}${a.remove ? ` and its home ${u.home}` : ''}`, { argv });
    return { steps, okReason: '' };
  }
  const pw = reveal(a.password);
  if (pw !== undefined) checkHash(pw);
  const wantGroups = groupList(a.groups);
  const createHome = a.create_home !== false;
  const primary = a.group !== undefined ? groupName(s, a.group, 'group', pendings) : undefined;
  const supplementary = wantGroups?.map((g) => groupName(s, g, 'group', pendings));
  const lockedHash = (h: string): string => (a.password_lock && !h.startsWith('!') ? `!${h}` : h);
  const chpasswd = (h: string): AccountDo => ({ argv: ['chpasswd', '-e'], stdin: new Secret(`${name}:${lockedHash(h)}`) });
  // An SSH key, made once: an existing key file (or .pub) is left as it is, as Ansible does without force.
  const keygen = (): void => {
    if (!a.generate_ssh_key || s.sshKey?.exists) return;
    const file = s.sshKey?.path ?? sshKeyFile(a);
    const type = a.ssh_key_type ?? 'rsa';
    const comment = a.ssh_key_comment ?? `ansible-generated on ${s.hostname ?? 'this host'}`;
    step(`generate an SSH key ${file} (${type}) for ${name}`, { argv: ['sh', '-c', KEYGEN, 'keygen', file, `${name}:`, type, a.ssh_key_bits ? String(a.ssh_key_bits) : '', comment] });
  };

  if (!u) {
    if (s.plannedBy?.state === 'present') pendings.push(`user ${name} is planned by task '${s.plannedBy.task}'`);
    if (createHome && a.home !== undefined && !s.homeParentExists) {
      const parent = parentOf(a.home);
      if (parent) step(`create directory ${parent}`, { argv: ['mkdir', '-p', '--', parent] });
    }
    const argv = ['useradd'];
    if (a.uid !== undefined) argv.push('-u', String(a.uid), ...(a.non_unique ? ['-o'] : []));
    if (primary !== undefined) argv.push('-g', primary);
    else if (findGroup(s.groups, name)) argv.push('-N');
    if (supplementary?.length) argv.push('-G', supplementary.join(','));
    if (a.comment !== undefined) argv.push('-c', a.comment);
    if (a.home !== undefined) argv.push('-d', a.home);
    if (a.shell !== undefined) argv.push('-s', a.shell);
    if (createHome) {
      argv.push('-m');
      if (a.skeleton !== undefined) argv.push('-k', a.skeleton);
      if (a.umask !== undefined) argv.push('-K', `UMASK=${a.umask}`);
    } else argv.push('-M');
    if (a.system) argv.push('-r');
    argv.push(name);
    const what = [a.system ? 'system user' : 'user', name];
    if (a.uid !== undefined) what.push(`(uid ${a.uid})`);
    step(`create ${what.join(' ')}`, { argv });
    if (pw !== undefined) step(`set the password of ${name}`, chpasswd(pw));
    else if (a.password_lock) step(`lock the password of ${name}`, { argv: ['usermod', '-L', name] });
    keygen();
    return { steps, okReason: '' };
  }

  // An existing user: usermod with the options that differ, as Ansible's modify_user does.
  const argv = ['usermod'];
  const what: string[] = [];
  if (a.uid !== undefined && u.uid !== a.uid) {
    argv.push('-u', String(a.uid), ...(a.non_unique ? ['-o'] : []));
    what.push(`uid ${u.uid} -> ${a.uid}`);
  }
  if (a.group !== undefined) {
    const g = findGroup(s.groups, a.group);
    if (!g || g.gid !== u.gid) {
      argv.push('-g', g ? String(g.gid) : (primary as string));
      const now = s.groups.find((x) => x.gid === u.gid)?.name ?? String(u.gid);
      what.push(`group ${now} -> ${g?.name ?? a.group}`);
    }
  }
  if (supplementary !== undefined) {
    const current = s.groups.filter((g) => g.members.includes(name)).map((g) => g.name);
    const missing = supplementary.filter((g) => !current.includes(g));
    const extra = current.filter((g) => !supplementary.includes(g));
    if (supplementary.length === 0) {
      if (current.length && !a.append) {
        argv.push('-G', '');
        what.push(`groups ${current.join(',')} -> none`);
      }
    } else if (a.append ? missing.length > 0 : missing.length + extra.length > 0) {
      if (a.append) argv.push('-a');
      argv.push('-G', supplementary.join(','));
      what.push(`groups ${[...missing.map((g) => `+${g}`), ...(a.append ? [] : extra.map((g) => `-${g}`))].join(' ')}`);
    }
  }
  if (a.comment !== undefined && u.comment !== a.comment) {
    argv.push('-c', a.comment);
    what.push(`comment ${JSON.stringify(u.comment)} -> ${JSON.stringify(a.comment)}`);
  }
  const homeMoves = a.home !== undefined && u.home !== a.home;
  if (homeMoves) {
    argv.push('-d', a.home as string, ...(a.move_home ? ['-m'] : []));
    what.push(`home ${u.home} -> ${a.home}${a.move_home ? ' (moved)' : ''}`);
  }
  if (a.shell !== undefined && u.shell !== a.shell) {
    argv.push('-s', a.shell);
    what.push(`shell ${u.shell} -> ${a.shell}`);
  }
  const needsShadow = a.password_lock !== undefined || (pw !== undefined && a.update_password !== 'on_create');
  if (needsShadow && s.shadow === undefined) throw new ModuleError(`cannot read the shadow entry of ${name} to compare its password; run the task as root (become: true)`);
  const shadow = s.shadow ?? '';
  const setPassword = pw !== undefined && a.update_password !== 'on_create' && shadow.replace(/^!/, '') !== pw.replace(/^!/, '');
  if (!setPassword) {
    if (a.password_lock === true && !shadow.startsWith('!')) {
      argv.push('-L');
      what.push('password locked');
    } else if (a.password_lock === false && shadow.startsWith('!')) {
      argv.push('-U');
      what.push('password unlocked');
    }
  }
  if (argv.length > 1) step(`change user ${name}: ${what.join(', ')}`, { argv: [...argv, name] });
  if (setPassword) step(`set the password of ${name}`, chpasswd(pw));
  // Ansible makes a missing home (from the skeleton) for an existing user too.
  const home = a.home ?? u.home;
  if (a.create_home !== false && !s.homeExists && !(homeMoves && a.move_home) && home) {
    const uid = a.uid ?? u.uid;
    const gid = a.group !== undefined ? (findGroup(s.groups, a.group)?.gid ?? primary) : u.gid;
    step(`create home ${home} for ${name}`, { argv: ['sh', '-c', 'mkdir -p -- "$1" && cp -a /etc/skel/. "$1" && chown -R -- "$2" "$1"', 'mkhome', home, `${uid}:${gid}`] });
  }
  keygen();
  const facts = [`uid ${u.uid}`, `home ${u.home}`, `shell ${u.shell}`];
  if (supplementary?.length) facts.push(`groups ${supplementary.join(',')}`);
  if (a.generate_ssh_key) facts.push(`an SSH key ${s.sshKey?.path ?? sshKeyFile(a)}`);
  return { steps, okReason: `user ${name} exists with ${facts.join(', ')}${pw !== undefined ? ' and this password' : ''}` };
}

/** Pure: the plan for a user task. */
export function planUser(current: UserState, args: UserArgs): Plan<UserState, AccountDo> {
  const a = normalize(args);
  const d = decide(current, a);
  const effects: Effect[] = [{ kind: 'user', key: a.name, state: a.state === 'absent' ? 'absent' : 'present' }];
  // A new home (useradd -m, Debian's default /home/NAME) is a folder later tasks may write into.
  if (a.state !== 'absent' && !current.user && a.create_home !== false && d.steps.length) effects.push({ kind: 'path', key: a.home ?? `/home/${a.name}`, state: 'directory' });
  const data: Record<string, unknown> = { name: a.name, state: a.state ?? 'present' };
  const u = current.user;
  if (a.state !== 'absent') {
    const uid = a.uid ?? u?.uid;
    if (uid !== undefined) data['uid'] = uid;
    const gid = a.group !== undefined ? findGroup(current.groups, a.group)?.gid : u?.gid;
    if (gid !== undefined) data['group'] = gid;
    const comment = a.comment ?? u?.comment;
    if (comment !== undefined) data['comment'] = comment;
    const home = a.home ?? u?.home;
    if (home !== undefined) data['home'] = home;
    const shell = a.shell ?? u?.shell;
    if (shell !== undefined) data['shell'] = shell;
    const groups = groupList(a.groups);
    if (groups !== undefined) data['groups'] = groups.join(',');
    if (u) {
      data['append'] = a.append === true;
      data['move_home'] = a.move_home === true;
    } else {
      data['system'] = a.system === true;
      data['create_home'] = a.create_home !== false;
    }
    if (a.password !== undefined) data['password'] = 'NOT_LOGGING_PASSWORD';
    if (a.generate_ssh_key) {
      data['ssh_key_file'] = current.sshKey?.path ?? sshKeyFile(a);
      if (current.sshKey?.publicKey !== undefined) data['ssh_public_key'] = current.sshKey.publicKey;
    }
  } else if (u) {
    data['force'] = a.force === true;
    data['remove'] = a.remove === true;
  }
  const plan: Plan<UserState, AccountDo> = { steps: d.steps, effects, data, current };
  if (d.steps.length === 0) plan.okReason = d.okReason;
  return plan;
}

/** The user module. */
export const user: Module<UserArgs, UserState, AccountDo> = {
  name: 'user',

  async read(ctx, args) {
    const a = normalize(args);
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*\$?$/.test(a.name)) throw new ModuleError(`user name ${JSON.stringify(a.name)} is not a valid name: use letters, digits, _, . and -, starting with a letter or _`);
    const acc = await readAccounts(ctx, a.name, a.home, a.generate_ssh_key ? sshKeyFile(a) : undefined);
    const s: UserState = { ...acc, name: a.name, plannedGroups: {} };
    if (!ctx.planned.empty) {
      const byUser = plannedAccount(ctx.planned, 'user', a.name, 'present') ?? plannedAccount(ctx.planned, 'user', a.name, 'absent');
      if (byUser !== undefined) s.plannedBy = { task: byUser, state: plannedAccount(ctx.planned, 'user', a.name, 'present') !== undefined ? 'present' : 'absent' };
      // A user an earlier task removes is gone; one it creates is still missing (and its attributes unknown).
      if (s.plannedBy?.state === 'absent') delete s.user;
      for (const g of [...(groupList(a.groups) ?? []), ...(a.group !== undefined ? [a.group] : [])]) {
        const t = plannedAccount(ctx.planned, 'group', g, 'present');
        if (t !== undefined && !findGroup(acc.groups, g)) s.plannedGroups[g] = t;
      }
    }
    return s;
  },

  plan: planUser,

  async apply(ctx, _args, plan): Promise<Applied> {
    const out = await runAccountSteps(ctx, plan.steps);
    const data = { ...plan.data };
    // A key made just now: register its public half, as Ansible does.
    const made = plan.steps.find((s) => s.do.argv[3] === 'keygen')?.do.argv[4];
    if (made !== undefined) data['ssh_public_key'] = (await ctx.conn.get(`${made}.pub`, { becomeUser: ctx.becomeUser }))?.toString('utf8').trim();
    return { ...out, data };
  },
};

export default user;
