// What running a task needs from the play around it.
import type { Connection } from '../connection/types.js';
import type { Reporter } from '../output/events.js';
import type { PathReads } from '../facts/path_cache.js';
import type { Play } from '../playbook/model.js';
import type { HostState } from './host.js';
import type { RunOptions } from './options.js';

export interface PlayEnv {
  play: Play;
  playbookDir: string;
  options: RunOptions;
  reporter: Reporter;
  /** The host's connection, opened on first use (throws ConnectionError when unreachable). */
  connect(host: HostState): Promise<Connection>;
  /** A connection to the controller itself, for delegate_to: localhost. */
  local(): Connection;
  /** Every host of the run, by name (delegate_to an inventory host, hostvars). */
  hosts: ReadonlyMap<string, HostState>;
  /** Handler notifications: handler name or listen topic → hosts. */
  notify(host: HostState, names: readonly string[]): void;
  /** Path facts read ahead (set by the play runner when absent). */
  reads?: PathReads;
}
