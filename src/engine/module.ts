// The module contract: read the current state, plan the changes (pure), apply them.
// The plan is decided once: it carries typed steps, check mode shows them, and apply runs exactly
// those steps and nothing it works out again. The runner owns check mode: it stops after planning.
// A module never branches on check mode itself.
import type { Connection } from './connection/types.js';
import type { Effect, PlannedState } from './planned.js';
import type { Change } from './result.js';
import type { PathQuery } from './facts/path.js';
import type { PathReads } from './facts/path_cache.js';

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

/**
 * One thing apply will do, decided by `plan`: the change a human is shown, and the module's own
 * data for doing it (an argv, a file's content, SQL). Apply runs steps as they are, in order.
 */
export interface Step<D = unknown> {
  readonly change: Change;
  readonly do: D;
}

export interface Plan<S = unknown, D = unknown> {
  /** What apply will do, in order. Empty means nothing to do. */
  steps: Step<D>[];
  /** Why nothing changes; shown with "ok". Required when `steps` is empty. */
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
  /** Host facts the task sets (set_fact, include_vars): the runner merges them into the host's variables. */
  facts?: Record<string, unknown>;
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

/**
 * What the engine must know of a module before it runs it, so that it never names one. Written in
 * the module's schema as `x-free-form`, `x-raw-string`, `x-conditions`, `x-sets-facts`,
 * `x-play-control` and `x-local`; read by schema/traits.ts.
 */
export interface ModuleTraits {
  /** The argument a free-form string becomes (command: ls → {cmd: "ls"}); else k=v parsing. */
  readonly freeForm?: string;
  /** A string argument stays the whole value (meta: flush_handlers): no k=v parsing. */
  readonly rawString?: boolean;
  /** Arguments that hold bare conditions (assert's `that`): parsed as expressions, never rendered. */
  readonly conditions?: readonly string[];
  /** The argument names are the names of facts it sets (set_fact); `cacheable` and the like excluded. */
  readonly setsFacts?: { readonly except: readonly string[] };
  /** The engine runs it between tasks (meta: flush_handlers, end_play…): it has no read/plan/apply of its own. */
  readonly playControl?: boolean;
  /** It never touches the host (debug, set_fact, assert). */
  readonly local?: boolean;
}

export interface Module<A = unknown, S = unknown, D = unknown> {
  /** The YAML key, also the file name under src/modules and schemas/modules (whose x-aliases are its other keys). */
  readonly name: string;
  /**
   * The path facts `read` will ask for (the same query it passes to readPaths), so the runner can
   * read those of several consecutive tasks in one round trip. Pure; undefined when none.
   */
  query?(args: A): PathQuery | undefined;
  /** Read the current state. Must not change anything. */
  read(ctx: ModuleContext, args: A): Promise<S>;
  /** Pure: the steps that take `current` to what `args` ask for. Throws ModuleError to fail. */
  plan(current: S, args: A): Plan<S, D>;
  /**
   * Run `plan.steps`, in order, and nothing else: what check mode showed is what happens. Called
   * only when there are steps and not in check mode. Throws ModuleError on failure; writes are
   * atomic, so a failure leaves no half-written file, and the steps before it stay applied.
   */
  apply(ctx: ModuleContext, args: A, plan: Plan<S, D>): Promise<Applied>;
}
