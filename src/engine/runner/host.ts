// Per-host state for one run: connection, facts, registered variables, failures, notifications.
import type { Connection } from '../connection/types.js';
import { PlannedState } from '../planned.js';
import type { RecapCounts } from '../result.js';
import { emptyCounts } from '../result.js';

export class HostState {
  conn?: Connection;
  connecting?: Promise<Connection>;
  facts?: Record<string, unknown>;
  /** register and set_fact values. */
  readonly runtime: Record<string, unknown> = Object.create(null);
  failed = false;
  /** A batch with this host started: only such hosts appear in the recap, as in Ansible. */
  reached = false;
  unreachable = false;
  /** meta: end_host, or any_errors_fatal elsewhere. */
  ended = false;
  /** Set while a block runs: the failure rescue will see. */
  lastFailure?: { task: Record<string, unknown>; result: Record<string, unknown> };
  readonly counts: RecapCounts = emptyCounts();
  /** Check mode: what earlier tasks only planned. */
  readonly planned = new PlannedState();
  /** Check mode: variables registered by tasks that did not run (name → that task, as announced). */
  readonly unrun = new Map<string, string>();
  /** Secret values seen for this host (passwords), scrubbed from every output. */
  readonly secrets = new Set<string>();

  constructor(
    readonly name: string,
    readonly inventoryVars: Record<string, unknown>,
    readonly magic: Record<string, unknown>,
  ) {}

  get active(): boolean {
    return !this.failed && !this.unreachable && !this.ended;
  }
}
