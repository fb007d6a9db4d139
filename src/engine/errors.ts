// Typed errors: each says where, what, the bad value and how to fix it.
import { EXIT } from './exit_codes.js';

/** A position in a source file, 1-based. */
export interface Loc {
  file: string;
  line: number;
  col: number;
}

export function formatLoc(loc: Loc | undefined): string {
  return loc ? `${loc.file}:${loc.line}:${loc.col}` : '<unknown>';
}

export interface ProblemInit {
  loc?: Loc;
  /** The key or argument at fault, as a dotted path ("copy.mode"). */
  key?: string;
  /** The value found, already rendered for humans (never a secret). */
  value?: string;
  /** What to do instead. */
  fix?: string;
  /** The task or play the problem belongs to, for context. */
  context?: string;
}

/** How much of a bad value an error quotes: enough to recognise it, never a whole file. */
const MAX_QUOTED = 200;

/** One validation finding. Many are collected and reported together. */
export class Problem {
  constructor(
    readonly message: string,
    readonly init: ProblemInit = {},
  ) {}

  get loc(): Loc | undefined {
    return this.init.loc;
  }

  /** `site.yml:14:7: task "install nginx": package.state must be ... (got "x"); fix: ...` */
  format(): string {
    const { loc, context, value, fix } = this.init;
    let out = loc ? `${formatLoc(loc)}: ` : '';
    if (context) out += `${context}: `;
    out += this.message;
    if (value !== undefined) out += ` (got ${value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED)}… (${value.length} characters)` : value})`;
    if (fix) out += `\n    fix: ${fix}`;
    return out;
  }
}

const hidden = new Set<string>();

/**
 * A secret that kiln learned while running (decrypted vault data): masked in every KilnError from
 * now on, and in every task result (task_result.ts scrubs with hiddenTexts()).
 */
export function hideSecretText(value: string): void {
  if (value.length >= 3) hidden.add(value);
}

/** Every text hideSecretText was given. */
export function hiddenTexts(): ReadonlySet<string> {
  return hidden;
}

/** secret.ts's scrub, written here: this file is shared by the cli bundle, which must not hold secret.ts (bundle.ts). */
function masked(text: string | undefined): string | undefined {
  if (text === undefined || hidden.size === 0) return text;
  let out = text;
  for (const s of hidden) out = out.split(s).join('********');
  return out;
}

/** Base class: carries the exit code the CLI should use. */
export class KilnError extends Error {
  readonly exitCode: number = EXIT.ERROR;
  constructor(message?: string) {
    super(masked(message));
    // "ConnectionError", "ModuleError", ...: readable in logs and NDJSON.
    this.name = new.target.name;
  }
}

/** Bad input files: playbooks, roles, inventories, variables. Nothing was touched. */
export class ValidationError extends KilnError {
  override readonly exitCode = EXIT.INVALID;
  readonly problems: Problem[];
  constructor(problems: Problem[] | Problem) {
    const list = Array.isArray(problems) ? problems : [problems];
    super(list.map((p) => p.format()).join('\n'));
    this.problems = list;
  }
}

/** Bad command-line usage. */
export class UsageError extends KilnError {
  override readonly exitCode = EXIT.USAGE;
}

/** A host could not be reached, or dropped. */
export class ConnectionError extends KilnError {
  override readonly exitCode = EXIT.UNREACHABLE;
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(message);
  }
}

/** A module could not do its work on a host. The task fails; the run goes on for other hosts. */
export class ModuleError extends KilnError {
  override readonly exitCode = EXIT.HOST_FAILED;
  constructor(
    message: string,
    readonly details: { rc?: number; stdout?: string; stderr?: string } = {},
  ) {
    super(message);
  }
}

/** A template or condition could not be evaluated at run time. */
export class TemplateError extends KilnError {
  override readonly exitCode = EXIT.HOST_FAILED;
  constructor(
    message: string,
    readonly variable?: string,
  ) {
    super(message);
  }
}
