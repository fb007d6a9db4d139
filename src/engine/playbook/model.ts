// The playbook after loading and validation: plays, blocks and tasks with their keywords resolved.
import type { Condition } from '../expr/parse.js';
import type { Loc } from '../errors.js';

/** A condition with the text the user wrote and where. */
export interface Cond {
  text: string;
  parsed: Condition | boolean;
  loc?: Loc;
}

/** Variables as one level of the scope, with where they came from (for messages). */
export type VarLayer = Readonly<Record<string, unknown>>;

/** A role as used at one place in a play (same role + same params = same instance). */
export interface RoleInstance {
  name: string;
  dir: string;
  defaults: VarLayer;
  vars: VarLayer;
  params: VarLayer;
  /** meta/argument_specs.yml as JSON Schema, when templated parameters must be checked at run time. */
  paramSchema?: VarLayer;
}

/** Keywords a task inherits from its blocks, role and play, already merged. */
export interface Inherited {
  when: Cond[];
  tags: string[];
  /** Block vars, outermost first. */
  blockVars: VarLayer[];
  become?: boolean;
  becomeUser?: string;
  ignoreErrors?: boolean | string;
  checkMode?: boolean;
  diff?: boolean;
  noLog?: boolean;
  environment?: Record<string, unknown>;
  delegateTo?: string;
  runOnce?: boolean;
  anyErrorsFatal?: boolean;
  role?: RoleInstance;
}

export interface TaskNode {
  kind: 'task';
  /** Unique within the playbook; used to key per-task state. */
  id: number;
  name: string;
  /** Canonical module name (the file under src/modules). */
  module: string;
  args: unknown;
  loc: Loc;
  /** The folder relative paths (copy src, template src) resolve from. */
  baseDir: string;
  inherited: Inherited;
  vars: VarLayer;
  loop?: unknown;
  loopVar: string;
  indexVar?: string;
  loopLabel?: string;
  register?: string;
  notify: string[];
  listen: string[];
  changedWhen?: Cond[];
  failedWhen?: Cond[];
  until?: Cond[];
  retries?: number;
  delay?: number;
  timeout?: number;
}

export interface BlockNode {
  kind: 'block';
  id: number;
  name?: string;
  loc: Loc;
  block: Node[];
  rescue: Node[];
  always: Node[];
}

/** include_tasks / include_role: resolved when reached, with the host's variables. */
export interface IncludeNode {
  kind: 'include';
  id: number;
  name: string;
  loc: Loc;
  what: 'tasks' | 'role';
  /** tasks: the file (may be templated); role: the role name. */
  target: string;
  tasksFrom?: string;
  baseDir: string;
  /** The include's own keywords (when, tags, ...): they apply to the include only, as in Ansible. */
  inherited: Inherited;
  /** What the included tasks inherit: the include's block, role and play, not the include itself. */
  parent: Inherited;
  vars: VarLayer;
  /** A loop includes the file once per item, with the loop variable set in it. */
  loop?: unknown;
  loopVar: string;
  indexVar?: string;
  /**
   * Names the included tasks register or set_fact, read ahead when the file name is not
   * templated, so later tasks may use them without an "undefined variable" problem.
   */
  defines: string[];
}

export type Node = TaskNode | BlockNode | IncludeNode;

export interface Play {
  name: string;
  hosts: string;
  loc: Loc;
  file: string;
  vars: VarLayer;
  /** vars_files, already read, in order. */
  varsFiles: VarLayer[];
  gatherFacts: boolean;
  serial: (number | string)[];
  maxFailPercentage?: number;
  anyErrorsFatal: boolean;
  forceHandlers: boolean;
  remoteUser?: string;
  connection?: 'local' | 'ssh';
  checkMode?: boolean;
  diff?: boolean;
  /** pre_tasks, roles then tasks, and post_tasks, in run order; handlers flush after each section. */
  sections: Node[][];
  handlers: TaskNode[];
  /** Extra vars given to import_playbook. */
  importVars: VarLayer;
}

export interface Playbook {
  file: string;
  dir: string;
  plays: Play[];
}
