// service: start, stop, restart or reload a service and set whether it starts at boot, with
// systemd (systemctl) or SysV init scripts (service, update-rc.d), chosen from the facts.
import { ModuleError } from '../engine/errors.js';
import type { Applied, Module, ModuleContext, Plan, Step as EngineStep } from '../engine/module.js';
import type { Effect, PlannedState } from '../engine/planned.js';
import type { Change } from '../engine/result.js';
import { systemd } from './service/systemd.js';
import { runServiceCommands } from './service/run.js';
import { sysv } from './service/sysv.js';
import type { ServiceAction, ServiceBackend, ServiceBackendName, ServiceState } from './service/types.js';
import { plannedInstalls } from './package/planned.js';

/** service's arguments, as the schema allows them. */
export interface ServiceArgs {
  name: string;
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  enabled?: boolean;
  /** auto: the service_mgr fact, else /run/systemd/system decides. sysvinit means sysv. */
  use?: 'auto' | ServiceBackendName | 'sysvinit';
}

const BACKENDS: Readonly<Record<ServiceBackendName, ServiceBackend>> = { systemd, sysv };

/** One service action, with the change it makes. */
type Step = EngineStep<ServiceAction>;

function fact(ctx: ModuleContext, key: string): string | undefined {
  const facts = ctx.vars['ansible_facts'];
  if (!facts || typeof facts !== 'object') return undefined;
  const v = (facts as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : undefined;
}

// systemd is PID 1 exactly when this folder exists (sd_booted(3)).
const PROBE = '[ -d /run/systemd/system ] && echo systemd || echo sysv';

/** The backend: `use`, else the service_mgr fact, else one probe round trip (facts not gathered). */
export async function serviceBackendFor(ctx: ModuleContext, use: ServiceArgs['use']): Promise<ServiceBackend> {
  if (use === 'systemd') return systemd;
  if (use === 'sysv' || use === 'sysvinit') return sysv;
  let mgr = fact(ctx, 'service_mgr');
  if (mgr === undefined) mgr = (await ctx.conn.script(PROBE, [], { becomeUser: ctx.becomeUser })).stdout.trim();
  if (mgr === 'systemd') return systemd;
  if (mgr === 'sysv' || mgr === 'sysvinit') return sysv;
  throw new ModuleError(`service manager ${mgr || 'unknown'} (facts: service_mgr) is not supported; kiln speaks systemd and SysV init scripts: set use: systemd or use: sysv`);
}

/** A service name: no path, no option, no whitespace (backslashes: systemd-escape'd names). */
export function checkName(name: string): void {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.@:\\-]*$/.test(name)) {
    throw new ModuleError(`service name ${JSON.stringify(name)} is not a service: give the unit or init script name, like nginx or nginx.service`);
  }
}

/**
 * Check mode: fold in what earlier tasks planned. A missing service whose package an earlier task
 * would install is pending, not an error: by name (nginx → package nginx) when one matches, else
 * when any package install is planned (kiln cannot know which package ships which unit before
 * it is installed, so the message says "may").
 */
export function withPlannedService(s: ServiceState, planned: PlannedState): ServiceState {
  if (planned.empty) return s;
  const out = { ...s };
  if (!s.exists) {
    const own = planned.get('package', s.base);
    const any = plannedInstalls(planned).at(-1);
    if (own?.state === 'present') out.pending = `${s.base} is planned for install by task '${own.task}'`;
    else if (any) out.pending = `${s.unit} does not exist yet; task '${any.task}' plans package installs that may provide it`;
  }
  const svc = planned.get('service', s.base);
  if (svc) {
    out.running = svc.state === 'started';
    out.activeText = `${svc.state} (planned by task '${svc.task}')`;
  }
  return out;
}

interface ServiceDecision {
  steps: Step[];
  okReasons: string[];
  effects: Effect[];
}

/** Pure: the actions that take `s` where the arguments ask. */
export function decideService(s: ServiceState, args: ServiceArgs): ServiceDecision {
  if (args.state === undefined && args.enabled === undefined) throw new ModuleError('service needs state: (started, stopped, restarted or reloaded) or enabled: (true or false)');
  const b = BACKENDS[s.backend];
  const who = s.unit;
  if (!s.exists && s.pending === undefined) throw new ModuleError(b.missing(s));
  const steps: Step[] = [];
  const okReasons: string[] = [];
  const effects: Effect[] = [];
  const step = (action: ServiceAction, summary: string): void => {
    const change: Change = { summary };
    if (s.pending !== undefined) change.pending = s.pending;
    steps.push({ change, do: action });
  };
  // A service that does not exist yet has no state worth quoting.
  const now = (what: string): string => (s.exists || s.running !== undefined ? `${what}: it is ${s.activeText}` : what);
  const masked = (what: string): never => {
    throw new ModuleError(`${who} is masked, so it cannot be ${what}; unmask it first (systemctl unmask ${who})`);
  };

  switch (args.state) {
    case 'started':
      if (s.running === true) okReasons.push(`${who} is ${s.activeText}`);
      else if (s.masked) masked('started');
      else step('start', now(`start ${who}`));
      break;
    case 'stopped':
      if (s.running === false) okReasons.push(`${who} is ${s.activeText}`);
      else step('stop', now(`stop ${who}`));
      break;
    case 'restarted':
      if (s.masked) masked('restarted');
      step('restart', `restart ${who}`);
      break;
    case 'reloaded':
      if (s.masked) masked('reloaded');
      if (s.running === false) step('start', `start ${who}: it is ${s.activeText}, so there is nothing to reload`);
      else step('reload', `reload ${who}`);
      break;
    default:
      break;
  }
  if (args.state !== undefined) effects.push({ kind: 'service', key: s.base, state: args.state === 'stopped' ? 'stopped' : 'started' });

  const boot = s.exists ? `: it is ${s.enabledText}` : '';
  if (args.enabled !== undefined && s.noInstall) okReasons.push(`${who} is ${s.enabledText}`);
  else if (args.enabled === true) {
    if (s.enabled === true) okReasons.push(`${who} is enabled`);
    else if (s.masked) masked('enabled');
    else step('enable', `enable ${who}${boot}`);
  } else if (args.enabled === false) {
    if (s.enabled === false) okReasons.push(`${who} is ${s.enabledText}`);
    else step('disable', `disable ${who}${boot}`);
  }
  return { steps, okReasons, effects };
}

function stateAfter(s: ServiceState, args: ServiceArgs): string {
  if (args.state === undefined) return s.running === true ? 'started' : s.running === false ? 'stopped' : 'unknown';
  return args.state === 'stopped' ? 'stopped' : 'started';
}

/** Pure: the plan for a service task. */
export function planService(current: ServiceState, args: ServiceArgs): Plan<ServiceState, ServiceAction> {
  const d = decideService(current, args);
  const data: Record<string, unknown> = { name: current.unit, backend: current.backend, state: stateAfter(current, args) };
  if (current.statusOutput !== undefined) data['status'] = current.statusOutput;
  if (args.enabled !== undefined) data['enabled'] = args.enabled;
  const plan: Plan<ServiceState, ServiceAction> = { steps: d.steps, effects: d.effects, current, data };
  if (d.steps.length === 0) plan.okReason = d.okReasons.join('; ');
  return plan;
}

/** The service module. */
export const service: Module<ServiceArgs, ServiceState, ServiceAction> = {
  name: 'service',

  async read(ctx, args) {
    checkName(args.name);
    const b = await serviceBackendFor(ctx, args.use);
    return withPlannedService(await b.read(ctx, b.unitOf(args.name)), ctx.planned);
  },

  plan: planService,

  /** Each action in turn; a failure stops there (the actions before it stay done). */
  async apply(ctx, _args, plan): Promise<Applied> {
    const s = plan.current;
    const b = BACKENDS[s.backend];
    const commands = plan.steps.flatMap((st) => b.commands(s, st.do).map((argv) => ({ argv, explain: st.do !== 'enable' && st.do !== 'disable' })));
    const { stdout, stderr } = await runServiceCommands(ctx, b, s, commands);
    return { rc: 0, stdout, stderr, data: plan.data };
  },
};

export default service;
