// One result shape for every task on every host, in every mode.

export type Status = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable';

/** A file's before/after, as data; rendered into a unified diff in one place (output/diff.ts). */
export interface FileDiff {
  path: string;
  /** null: the file does not exist on that side. */
  before: string | null;
  after: string | null;
  /** Binary or oversized content: the renderer prints a one-line note instead of lines. */
  binary?: boolean;
  beforeHeader?: string;
  afterHeader?: string;
}

export interface Change {
  /** One line a human reads: "create directory /srv/app", "mode 0644 -> 0600". */
  summary: string;
  diff?: FileDiff;
  /** Check mode only: the change depends on what an earlier task only planned. */
  pending?: string;
}

export interface TaskResult {
  host: string;
  task: string;
  status: Status;
  changes: Change[];
  /** For ok, the reason nothing changed; for failed, what went wrong; for skipped, why. */
  msg: string;
  durationMs: number;
  /** A failure that ignore_errors turned into a recap "ignored". */
  ignored?: boolean;
  /** A failure that a rescue section handled. */
  rescued?: boolean;
  /** Loop runs: the item's label, and the per-item results. */
  itemLabel?: string;
  results?: TaskResult[];
  rc?: number;
  stdout?: string;
  stderr?: string;
  /** Module outputs exposed to `register` (dest, checksum, ansible_facts, ...). */
  data?: Record<string, unknown>;
  /** The result's details were hidden by no_log. */
  censored?: boolean;
  /** Shown as `=> {...}` at every verbosity (debug). */
  show?: Record<string, unknown>;
}

export interface RecapCounts {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

export function emptyCounts(): RecapCounts {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
}
