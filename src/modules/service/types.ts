// What the service module and its backends (systemd, sysv) share.
import type { ModuleContext } from '../../engine/module.js';

export type ServiceBackendName = 'systemd' | 'sysv';

/** What the service module can ask a backend to do. */
export type ServiceAction = 'start' | 'stop' | 'restart' | 'reload' | 'enable' | 'disable';

/** One service as the host knows it (or, in check mode, as earlier tasks would leave it). */
export interface ServiceState {
  backend: ServiceBackendName;
  /** The name the backend uses: "nginx.service" (systemd), "nginx" (sysv). */
  unit: string;
  /** The name without ".service": the key in check mode's memory. */
  base: string;
  /** A unit file or init script exists. */
  exists: boolean;
  /** undefined: the backend could not tell (LSB status 4). */
  running?: boolean;
  /** How the backend put it: "active (running)", "not running (status rc 3)". */
  activeText: string;
  /** sysv: the first lines the status command printed. */
  statusOutput?: string;
  /** Starts at boot; undefined when that does not apply (static units) or is unknown. */
  enabled?: boolean;
  /** How the backend put it: "enabled", "static", "S links in rc2.d rc3.d". */
  enabledText: string;
  /** systemd: static, generated or transient: enable and disable do not apply to it. */
  noInstall?: boolean;
  /** systemd: masked, so it can be neither started nor enabled. */
  masked?: boolean;
  /** systemd: its unit file changed on disk since systemd loaded it (NeedDaemonReload=yes). */
  needsReload?: boolean;
  /** systemd: the unit file systemd loaded it from. */
  fragmentPath?: string;
  /** sysv: any /etc/rc?.d link exists (else enabling needs update-rc.d defaults first). */
  hasLinks?: boolean;
  /** sysv: the `service` command exists (else the init script is run directly). */
  serviceCmd?: boolean;
  /** Check mode: the state is a prediction from what an earlier task planned. */
  pending?: string;
}

/** An init system: how it reads one service, and the commands for each action. */
export interface ServiceBackend {
  readonly name: ServiceBackendName;
  /** The backend's name for what the user wrote ("nginx" → "nginx.service" for systemd). */
  unitOf(name: string): string;
  /** Everything about one service in one round trip. Changes nothing. */
  read(ctx: ModuleContext, name: string): Promise<ServiceState>;
  /** The commands for an action (pure). */
  commands(s: ServiceState, action: ServiceAction): string[][];
  /** Why a missing service fails the task, and what to do. */
  missing(s: ServiceState): string;
  /** Extra lines that explain a failed action (systemd: the unit's status and last log lines). */
  explain?(ctx: ModuleContext, s: ServiceState): Promise<string>;
}
