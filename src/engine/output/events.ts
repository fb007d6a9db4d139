// What the runner tells reporters. Human and NDJSON output both render these events.
import type { RecapCounts, TaskResult } from '../result.js';

export type RunEvent =
  | { type: 'playbook_start'; playbook: string; check: boolean; diff: boolean }
  | { type: 'play_start'; play: string; hosts: string[]; batch?: { index: number; count: number; hosts: string[] } }
  | { type: 'task_start'; play: string; task: string; loc?: string; handler?: boolean; includedFrom?: string }
  /** One host's result for a task (loops: one event with `results`, after per-item events). */
  | { type: 'task_result'; play: string; result: TaskResult; handler?: boolean }
  /** A loop item's result, as it arrives. */
  | { type: 'item_result'; play: string; result: TaskResult }
  | { type: 'warning'; message: string }
  | { type: 'no_hosts'; play: string; pattern: string }
  | { type: 'recap'; hosts: Record<string, RecapCounts>; durationMs: number; interrupted?: boolean };

export interface Reporter {
  event(e: RunEvent): void;
  /** Flush buffered output. */
  close(): Promise<void> | void;
}

export interface ReporterOptions {
  out: NodeJS.WritableStream;
  /** Show diffs of changed files (--diff). */
  diff: boolean;
  /** -v count. */
  verbosity: number;
  /** Colour: only on a TTY and when NO_COLOR is unset (decided by the CLI). */
  color: boolean;
  check: boolean;
}
