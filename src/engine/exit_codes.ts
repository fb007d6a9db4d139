// Exit codes: distinct, documented in the README, stable for scripts.
export const EXIT = Object.freeze({
  /** Every host converged (or would, in check mode). */
  OK: 0,
  /** An error that is none of the below (e.g. a file could not be read at run time). */
  ERROR: 1,
  /** At least one host failed a task. */
  HOST_FAILED: 2,
  /** Invalid input: a playbook, role, inventory or variable file. No host was contacted. */
  INVALID: 3,
  /** At least one host was unreachable (and none failed). */
  UNREACHABLE: 4,
  /** Bad command-line options. */
  USAGE: 5,
  /** --detailed-exitcodes: the run succeeded and changed something (or would have). */
  CHANGED: 8,
  /** Interrupted by SIGINT/SIGTERM. In-flight writes finished; nothing half-written. */
  INTERRUPTED: 99,
  /** A bug in kiln. Please report it. */
  BUG: 250,
});
