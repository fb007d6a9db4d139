// systemd (and systemd_service): the service module's systemd half, plus what only systemd has:
// daemon_reload (only when systemd says a unit file changed on disk), daemon_reexec and masked.
// Reading, the start/stop/enable decision and check mode's pending rule are service's own.
import { ModuleError } from '../engine/errors.js';
import type { Applied, Module, Plan, Step } from '../engine/module.js';
import type { Effect, PlannedState } from '../engine/planned.js';
import type { Change } from '../engine/result.js';
import { foldAliases } from './common/aliases.js';
import { checkName, decideService, withPlannedService } from './service.js';
import { parseSystemd, SYSTEMD_READ_SCRIPT, systemd as backend } from './service/systemd.js';
import { runServiceCommands, type ServiceCommand } from './service/run.js';
import type { ServiceState } from './service/types.js';

/** systemd's arguments, as the schema allows them (service and unit fold into name, and so on). */
export interface SystemdArgs {
  name?: string;
  service?: string;
  unit?: string;
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  enabled?: boolean;
  masked?: boolean;
  daemon_reload?: boolean;
  'daemon-reload'?: boolean;
  daemon_reexec?: boolean;
  'daemon-reexec'?: boolean;
  force?: boolean;
  no_block?: boolean;
  scope?: 'system';
}

export interface SystemdState {
  /** PID 1 is systemd. */
  booted: boolean;
  /** The named unit, when a name was given. */
  unit?: ServiceState;
  /** Check mode: an earlier task plans the unit's file, so a reload is due and its state is a prediction. */
  unitFilePending?: string;
}

/** What a step runs: one systemctl command (with whether a failure is explained by the unit's status). */
export type SystemdDo = ServiceCommand;

export function normalize(args: SystemdArgs): SystemdArgs {
  let a = foldAliases(args, 'name', ['service', 'unit']);
  a = foldAliases(a, 'daemon_reload', ['daemon-reload']);
  return foldAliases(a, 'daemon_reexec', ['daemon-reexec']);
}

// systemd is PID 1 exactly when this folder exists (sd_booted(3)); then the unit, as service reads it.
const READ_SCRIPT = `[ -d /run/systemd/system ] || { echo booted=0; exit 0; }
echo booted=1
[ -n "$1" ] || exit 0
${SYSTEMD_READ_SCRIPT}`;

/** The folders systemd loads unit files from, most specific first. */
const UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/lib/systemd/system', '/usr/lib/systemd/system'];

/** Check mode: the task that plans a file for this unit, when one does. */
function plannedUnitFile(unit: string, planned: PlannedState): string | undefined {
  if (planned.empty) return undefined;
  for (const dir of UNIT_DIRS) {
    const p = planned.path(`${dir}/${unit}`);
    if (p && p.state !== 'absent') return `${dir}/${unit} is planned by task '${p.task}'`;
  }
  return undefined;
}

/** Pure: the plan for a systemd task. */
export function planSystemd(current: SystemdState, args: SystemdArgs): Plan<SystemdState, SystemdDo> {
  const a = normalize(args);
  if (!current.booted) throw new ModuleError('systemd is not PID 1 on this host (no /run/systemd/system), so systemd: cannot manage units here; use service:, which speaks SysV init scripts');
  const steps: Step<SystemdDo>[] = [];
  const okReasons: string[] = [];
  let effects: Effect[] = [];
  const s = current.unit;
  const pending = current.unitFilePending ?? s?.pending;
  const step = (summary: string, argv: string[], pend = pending): void => {
    const change: Change = { summary };
    if (pend !== undefined) change.pending = pend;
    steps.push({ change, do: { argv, explain: false } });
  };
  if (a.name === undefined && a.state === undefined && a.enabled === undefined && a.masked === undefined && !a.daemon_reload && !a.daemon_reexec) {
    throw new ModuleError('systemd needs name: with state:, enabled: or masked:, or daemon_reload: true');
  }
  if (s === undefined && (a.state !== undefined || a.enabled !== undefined || a.masked !== undefined)) throw new ModuleError('state:, enabled: and masked: need name: (the unit)');

  if (a.daemon_reload) {
    if (s === undefined) step("reload systemd's unit files (daemon-reload)", ['systemctl', 'daemon-reload'], undefined);
    else if (current.unitFilePending !== undefined) step(`reload systemd's unit files (daemon-reload): ${s.unit} changes on disk`, ['systemctl', 'daemon-reload']);
    else if (s.needsReload) step(`reload systemd's unit files (daemon-reload): ${s.unit} changed on disk since systemd loaded it`, ['systemctl', 'daemon-reload'], undefined);
    else okReasons.push(`systemd has loaded ${s.unit} as it is on disk, so no daemon-reload is needed`);
  }
  if (a.daemon_reexec) step('re-execute systemd (daemon-reexec)', ['systemctl', 'daemon-reexec'], undefined);
  if (s === undefined) return finish(steps, okReasons, effects, current, a);

  let after: ServiceState = s;
  if (current.unitFilePending !== undefined && !s.exists) after = { ...s, exists: true, pending: current.unitFilePending, activeText: 'not loaded yet', enabledText: 'not known yet' };
  if (a.masked === true) {
    if (s.masked) okReasons.push(`${s.unit} is masked`);
    else {
      // systemctl mask puts a link to /dev/null in /etc/systemd/system, which a unit file there occupies.
      if (s.fragmentPath === `/etc/systemd/system/${s.unit}`) throw new ModuleError(`${s.unit} cannot be masked: its unit file is ${s.fragmentPath}, where systemctl mask would put its /dev/null link; remove that file (or move it to /lib/systemd/system) first, or stop and disable the unit instead`);
      step(`mask ${s.unit}`, ['systemctl', 'mask', '--', s.unit]);
      after = { ...after, masked: true, enabled: false, enabledText: 'masked' };
    }
  } else if (a.masked === false) {
    if (!s.masked) okReasons.push(`${s.unit} is not masked`);
    else {
      step(`unmask ${s.unit}`, ['systemctl', 'unmask', '--', s.unit]);
      // Whether it is enabled once unmasked depends on its links: enable/disable then run either way.
      const { enabled: _unknown, ...rest } = after;
      after = { ...rest, masked: false, enabledText: 'masked until the step before' };
    }
  }
  if (a.state !== undefined || a.enabled !== undefined) {
    const d = decideService(after, { name: s.unit, state: a.state, enabled: a.enabled });
    for (const st of d.steps) {
      const flags = [...(a.no_block && st.do !== 'enable' && st.do !== 'disable' ? ['--no-block'] : []), ...(a.force && (st.do === 'enable' || st.do === 'disable') ? ['--force'] : [])];
      steps.push({ change: st.change, do: { argv: ['systemctl', ...flags, st.do, '--', s.unit], explain: st.do !== 'enable' && st.do !== 'disable' } });
    }
    okReasons.push(...d.okReasons);
    effects = d.effects;
  }
  return finish(steps, okReasons, effects, current, a);
}

function finish(steps: Step<SystemdDo>[], okReasons: string[], effects: Effect[], current: SystemdState, a: SystemdArgs): Plan<SystemdState, SystemdDo> {
  const data: Record<string, unknown> = {};
  const s = current.unit;
  if (s) {
    data['name'] = s.unit;
    data['state'] = a.state === undefined ? (s.running === true ? 'started' : s.running === false ? 'stopped' : 'unknown') : a.state === 'stopped' ? 'stopped' : 'started';
    if (a.enabled !== undefined) data['enabled'] = a.enabled;
    data['masked'] = a.masked ?? s.masked === true;
  }
  const plan: Plan<SystemdState, SystemdDo> = { steps, effects, current, data };
  if (steps.length === 0) plan.okReason = okReasons.join('; ') || 'nothing asked';
  return plan;
}

/** The systemd module. */
export const systemdModule: Module<SystemdArgs, SystemdState, SystemdDo> = {
  name: 'systemd',

  async read(ctx, args) {
    const a = normalize(args);
    if (a.name !== undefined) checkName(a.name);
    const unit = a.name === undefined ? '' : backend.unitOf(a.name);
    const r = await ctx.conn.script(READ_SCRIPT, [unit], { becomeUser: ctx.becomeUser });
    if (r.rc !== 0) throw new ModuleError(`cannot read the state of ${unit || 'systemd'}: ${r.stderr.trim() || `rc ${r.rc}`}`, r);
    const booted = /^booted=1$/m.test(r.stdout);
    const s: SystemdState = { booted };
    if (booted && unit) {
      s.unit = withPlannedService(parseSystemd(r.stdout, unit), ctx.planned);
      const file = plannedUnitFile(unit, ctx.planned);
      if (file !== undefined) s.unitFilePending = file;
    }
    return s;
  },

  plan: planSystemd,

  /** Each systemctl command in turn; a failure stops there (the ones before it stay done). */
  async apply(ctx, _args, plan): Promise<Applied> {
    const { stdout, stderr } = await runServiceCommands(ctx, backend, plan.current.unit, plan.steps.map((st) => st.do));
    return { rc: 0, stdout, stderr, data: plan.data };
  },
};

export default systemdModule;
