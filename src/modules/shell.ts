// shell: like command, but cmd runs through `sh -c` (pipes, redirections, variables work).
import { ModuleError } from '../engine/errors.js';
import { type CommandOptions, defineCommand } from './command.js';

/** shell's arguments: command's options plus the shell text. */
export interface ShellArgs extends CommandOptions {
  /** Shell text, passed verbatim as the one argument of `sh -c`. */
  cmd: string;
  /** The shell to run it with instead of sh (it must accept -c). */
  executable?: string;
}

function shellArgv(args: ShellArgs): string[] {
  if (typeof args.cmd !== 'string' || args.cmd.trim() === '') throw new ModuleError('shell needs cmd: the shell text to run');
  return [args.executable ?? 'sh', '-c', args.cmd];
}

/** The shell module. */
export const shell = defineCommand<ShellArgs>({
  name: 'shell',
  argv: shellArgv,
  display: (args) => args.cmd,
});

export default shell;
