// The module contract: read the current state, plan the changes (pure), apply them.
// The runner owns check mode: it stops after planning. A module never branches on it.
import type { Connection } from './connection/types.js';
import type { Effect, PlannedState } from './planned.js';
import type { Change } from './result.js';
import type { PathQuery } from '../modules/facts/path.js';
import type { PathReads } from '../modules/facts/path_cache.js';

/** What a module sees of the host and the controller while it reads and applies. */
export interface ModuleContext {
  readonly host: string;
  readonly conn: Connection;
  /** Set when the task has `become`: pass it to every conn call. */
  readonly becomeUser?: string;
  /**
   * What earlier tasks only planned (check mode). Empty in a real run. `read` folds it into the
   * state it returns, e.g. "the parent directory is missing but task X would create it".
   */
  readonly planned: PlannedState;
  /** --diff: read the before/after content a diff needs. */
  readonly diff: boolean;
  /** The task's name, for messages. */
  readonly task: string;
  /** Resolve a controller-side source file: role files/ or templates/ first, then the playbook's. */
  findFile(kind: 'files' | 'templates', path: string): string;
  /** Render Handlebars text with the task's variables (strict, no HTML escaping). */
  render(text: string, sourceName: string): string;
  /** The task's variables, for the modules that work on them (debug, assert, set_fact). */
  readonly vars: Readonly<Record<string, unknown>>;
  /** Path facts the runner read ahead; `readPaths` answers from them while nothing was applied. */
  readonly reads?: PathReads;
  /** How many -v the run was given (debug's `verbosity`). */
  readonly verbosity?: number;
}

export interface Plan<S = unknown> {
  /** Empty means nothing to do. */
  changes: Change[];
  /** Why nothing changes; shown with "ok". Required when `changes` is empty. */
  okReason?: string;
  /**
   * Set when nothing can predict what applying would do (command without creates/removes).
   * Check mode then reports the task as skipped with this reason.
   */
  unpredictable?: string;
  /** Set when the task must not run at all here, in any mode: it is skipped with this reason. */
  skip?: string;
  /** What applying leaves behind, so check mode can follow later tasks. */
  effects?: Effect[];
  /** Values exposed to `register`, in check mode too. */
  data?: Record<string, unknown>;
  /** Values a human always sees, whatever -v says (debug's message), as Ansible prints them. */
  show?: Record<string, unknown>;
  /** The state read, for apply. */
  current: S;
}

export interface Applied {
  rc?: number;
  stdout?: string;
  stderr?: string;
  data?: Record<string, unknown>;
  /** apply may find that it changed nothing after all (e.g. command with changed_when). */
  changed?: boolean;
}

export interface Module<A = unknown, S = unknown> {
  /** The YAML key, also the file name under src/modules and schemas/modules. */
  readonly name: string;
  /** Other keys that mean the same (ansible.builtin.copy, ...). */
  readonly aliases?: readonly string[];
  /** The argument a free-form string becomes (command: ls → {cmd: "ls"}); else k=v parsing. */
  readonly freeForm?: string;
  /** Does this module touch the host at all (debug, set_fact, assert do not). */
  readonly local?: boolean;
  /**
   * The path facts `read` will ask for (the same query it passes to readPaths), so the runner can
   * read those of several consecutive tasks in one round trip. Pure; undefined when none.
   */
  query?(args: A): PathQuery | undefined;
  /** Read the current state. Must not change anything. */
  read(ctx: ModuleContext, args: A): Promise<S>;
  /** Pure: the changes that take `current` to what `args` ask for. Throws ModuleError to fail. */
  plan(current: S, args: A): Plan<S>;
  /**
   * Make the planned changes. Called only when the plan has changes and not in check mode.
   * Throws ModuleError on failure; writes are atomic, so a failure leaves no half-written file.
   */
  apply(ctx: ModuleContext, args: A, plan: Plan<S>): Promise<Applied>;
}
