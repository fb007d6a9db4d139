// command: run a program (argv, never a shell). Always "changed" unless creates/removes decide.
// The core is shared with shell, which only builds a different argv.
import { posix } from 'node:path';
import { join, split } from 'shlex';
import { ModuleError } from '../engine/errors.js';
import type { Applied, Module, Plan } from '../engine/module.js';
import { type PathQuery, type PathState, readPaths, withPlanned } from '../engine/facts/path.js';

/** What command and shell share. */
export interface CommandOptions {
  /** Skip when this path exists (relative to chdir). */
  creates?: string;
  /** Skip when this path does not exist (relative to chdir). */
  removes?: string;
  chdir?: string;
  stdin?: string;
  /** Default true, like Ansible. */
  stdin_add_newline?: boolean;
  /** Remove trailing newlines from stdout and stderr. Default true. */
  strip_empty_ends?: boolean;
}

/** command's arguments: exactly one of cmd and argv. */
export interface CommandArgs extends CommandOptions {
  /** Split like a POSIX shell would (quotes, backslashes), but no shell runs it. */
  cmd?: string;
  argv?: string[];
}

/** The creates/removes paths as read (absent when not given). */
export interface CommandState {
  creates?: PathState;
  removes?: PathState;
}

/** What makes a command-like module: its name and how it builds argv. */
export interface CommandSpec<A> {
  name: string;
  /** Pure: the argv to run. Throws ModuleError for an unusable command. */
  argv(args: A): string[];
  /** The command as a human reads it in a change summary. */
  display(args: A, argv: readonly string[]): string;
}

/** Why check mode skips a command. */
export const UNPREDICTABLE = 'command would run; kiln cannot predict its effect';

function resolveIn(chdir: string | undefined, path: string): string {
  return chdir === undefined || path.startsWith('/') ? path : posix.join(chdir, path);
}

/** What read stats: creates and removes, resolved in chdir. */
function commandQuery(args: CommandOptions): PathQuery | undefined {
  const paths: string[] = [];
  if (typeof args.creates === 'string') paths.push(resolveIn(args.chdir, args.creates));
  if (typeof args.removes === 'string') paths.push(resolveIn(args.chdir, args.removes));
  return paths.length ? { paths } : undefined;
}

/** One line of at most 120 characters, newlines shown as ⏎. */
function oneLine(text: string): string {
  const flat = text.replace(/\r?\n/g, '⏎');
  return flat.length > 120 ? `${flat.slice(0, 119)}…` : flat;
}

function stripEnds(text: string, strip: boolean): string {
  return strip ? text.replace(/[\r\n]+$/, '') : text;
}

function lines(text: string): string[] {
  return text === '' ? [] : text.replace(/\r?\n$/, '').split(/\r?\n/);
}

/** The creates/removes decision, when one applies. */
function skipReason(cur: CommandState): string | undefined {
  const c = cur.creates;
  if (c?.exists) return `${c.path} exists (creates)${c.pending ? `: ${c.pending}` : ''}`;
  const r = cur.removes;
  if (r && !r.exists) return `${r.path} does not exist (removes)${r.pending ? `: ${r.pending}` : ''}`;
  return undefined;
}

/** A command-like module: plan is pure, read stats creates/removes (one round trip, none without them). */
/** What a command step runs. */
export interface CommandDo {
  argv: string[];
  cwd?: string;
  stdin?: string;
}

export function defineCommand<A extends CommandOptions>(spec: CommandSpec<A>): Module<A, CommandState, CommandDo> {
  return {
    name: spec.name,

    query: commandQuery,

    async read(ctx, args) {
      const q = commandQuery(args);
      if (!q) return {};
      const facts = await readPaths(ctx, q.paths);
      const states = facts.paths.map((p) => withPlanned(p, ctx.planned));
      const state: CommandState = {};
      if (args.creates !== undefined) state.creates = states.shift();
      if (args.removes !== undefined) state.removes = states.shift();
      return state;
    },

    plan(current, args): Plan<CommandState, CommandDo> {
      const argv = spec.argv(args);
      const skip = skipReason(current);
      if (skip !== undefined) {
        const stdout = `skipped, since ${skip}`;
        return { steps: [], okReason: skip, current, data: { cmd: argv, rc: 0, stdout, stderr: '', stdout_lines: [stdout], stderr_lines: [] } };
      }
      const run: CommandDo = { argv };
      if (args.chdir !== undefined) run.cwd = args.chdir;
      if (args.stdin !== undefined) run.stdin = args.stdin_add_newline === false ? args.stdin : `${args.stdin}\n`;
      return { steps: [{ change: { summary: `run ${oneLine(spec.display(args, argv))}` }, do: run }], unpredictable: UNPREDICTABLE, current, data: { cmd: argv } };
    },

    /** Runs the command once. A non-zero rc fails the task; whatever the command did stays done. */
    async apply(ctx, args, plan): Promise<Applied> {
      const step = plan.steps[0];
      if (!step) return {};
      const { argv, cwd, stdin } = step.do;
      const r = await ctx.conn.run(argv, { cwd, stdin, becomeUser: ctx.becomeUser });
      const strip = args.strip_empty_ends !== false;
      const stdout = stripEnds(r.stdout, strip);
      const stderr = stripEnds(r.stderr, strip);
      if (r.rc !== 0) {
        const first = lines(stderr)[0] ?? lines(stdout)[0] ?? 'no output';
        throw new ModuleError(`${spec.name} failed with rc ${r.rc}: ${first}`, { rc: r.rc, stdout, stderr });
      }
      return { rc: r.rc, stdout, stderr, data: { cmd: argv, rc: r.rc, stdout, stderr, stdout_lines: lines(stdout), stderr_lines: lines(stderr) } };
    },
  };
}

function commandArgv(args: CommandArgs): string[] {
  if ((args.cmd === undefined) === (args.argv === undefined)) throw new ModuleError('command needs exactly one of cmd: (a string) and argv: (a list)');
  let argv: string[];
  if (args.argv !== undefined) argv = [...args.argv];
  else {
    try {
      argv = split(args.cmd ?? '');
    } catch (e) {
      throw new ModuleError(`command ${JSON.stringify(args.cmd)} cannot be split into arguments (${(e as Error).message}); check its quotes, or give argv: as a list`);
    }
  }
  if (argv.length === 0 || argv[0] === '') throw new ModuleError('command is empty; give the program to run and its arguments');
  return argv;
}

/** The command module. */
export const command = defineCommand<CommandArgs>({
  name: 'command',
  argv: commandArgv,
  display: (_args, argv) => join(argv),
});

export default command;
