// group: create, change (gid) or remove a local group with groupadd, groupmod and groupdel, as
// Ansible does on Debian.
import { ModuleError } from '../engine/errors.js';
import type { Applied, Module, Plan } from '../engine/module.js';
import { type AccountDo, type AccountStep, findGroup, type GroupEntry, plannedAccount, readAccounts, runAccountSteps } from './account/getent.js';

/** group's arguments, as the schema allows them. */
export interface GroupArgs {
  name: string;
  state?: 'present' | 'absent';
  gid?: number;
  system?: boolean;
  non_unique?: boolean;
}

export interface GroupState {
  name: string;
  group?: GroupEntry;
  /** Another group that holds the gid asked for, when one does. */
  gidTakenBy?: string;
  /** Check mode: the task that plans this group, and in which state. */
  plannedBy?: { task: string; state: 'present' | 'absent' };
}

/** Pure: the plan for a group task. */
export function planGroup(s: GroupState, a: GroupArgs): Plan<GroupState, AccountDo> {
  const steps: AccountStep[] = [];
  const pending = s.plannedBy ? { pending: `group ${a.name} is planned ${s.plannedBy.state === 'absent' ? 'for removal ' : ''}by task '${s.plannedBy.task}'` } : {};
  const g = s.group;
  let okReason = '';
  if (a.state === 'absent') {
    if (g) steps.push({ change: { summary: `remove group ${a.name}`, ...pending }, do: { argv: ['groupdel', a.name] } });
    else okReason = `group ${a.name} does not exist`;
  } else if (!g) {
    if (a.gid !== undefined && s.gidTakenBy !== undefined && !a.non_unique) throw new ModuleError(`gid ${a.gid} already belongs to group ${s.gidTakenBy}; choose another gid, or set non_unique: true`);
    const argv = ['groupadd', ...(a.gid !== undefined ? ['-g', String(a.gid), ...(a.non_unique ? ['-o'] : [])] : []), ...(a.system ? ['-r'] : []), a.name];
    steps.push({ change: { summary: `create ${a.system ? 'system group' : 'group'} ${a.name}${a.gid !== undefined ? ` (gid ${a.gid})` : ''}`, ...pending }, do: { argv } });
  } else if (a.gid !== undefined && g.gid !== a.gid) {
    if (s.gidTakenBy !== undefined && !a.non_unique) throw new ModuleError(`gid ${a.gid} already belongs to group ${s.gidTakenBy}; choose another gid, or set non_unique: true`);
    steps.push({ change: { summary: `change group ${a.name}: gid ${g.gid} -> ${a.gid}`, ...pending }, do: { argv: ['groupmod', '-g', String(a.gid), ...(a.non_unique ? ['-o'] : []), a.name] } });
  } else okReason = `group ${a.name} exists with gid ${g.gid}`;
  const data: Record<string, unknown> = { name: a.name, state: a.state ?? 'present' };
  const gid = a.gid ?? g?.gid;
  if (a.state !== 'absent' && gid !== undefined) data['gid'] = gid;
  if (a.state !== 'absent') data['system'] = a.system === true;
  const plan: Plan<GroupState, AccountDo> = { steps, current: s, data, effects: [{ kind: 'group', key: a.name, state: a.state === 'absent' ? 'absent' : 'present' }] };
  if (steps.length === 0) plan.okReason = okReason;
  return plan;
}

/** The group module. */
export const group: Module<GroupArgs, GroupState, AccountDo> = {
  name: 'group',

  async read(ctx, a) {
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*\$?$/.test(a.name)) throw new ModuleError(`group name ${JSON.stringify(a.name)} is not a valid name: use letters, digits, _, . and -, starting with a letter or _`);
    const acc = await readAccounts(ctx, '', undefined);
    const s: GroupState = { name: a.name };
    const g = findGroup(acc.groups, a.name);
    if (g && g.name === a.name) s.group = g;
    if (a.gid !== undefined) {
      const other = acc.groups.find((x) => x.gid === a.gid && x.name !== a.name);
      if (other) s.gidTakenBy = other.name;
    }
    if (!ctx.planned.empty) {
      const present = plannedAccount(ctx.planned, 'group', a.name, 'present');
      const absent = plannedAccount(ctx.planned, 'group', a.name, 'absent');
      if (present !== undefined && !s.group) s.plannedBy = { task: present, state: 'present' };
      if (absent !== undefined && s.group) {
        s.plannedBy = { task: absent, state: 'absent' };
        delete s.group;
      }
    }
    return s;
  },

  plan: planGroup,

  async apply(ctx, _args, plan): Promise<Applied> {
    const out = await runAccountSteps(ctx, plan.steps);
    return { ...out, data: plan.data };
  },
};

export default group;
