// Running service commands (service and systemd share it): in order, stopping at the first failure,
// whose message quotes the command's last lines and, where the backend can, the unit's status.
import { ModuleError } from '../../engine/errors.js';
import type { ModuleContext } from '../../engine/module.js';
import type { ServiceBackend, ServiceState } from './types.js';

/** One command, and whether a failure is worth explaining with the unit's status (not for enable/disable). */
export interface ServiceCommand {
  argv: string[];
  explain: boolean;
}

/** Run the commands in turn; the first failure throws (the commands before it stay done). */
export async function runServiceCommands(ctx: ModuleContext, b: ServiceBackend, s: ServiceState | undefined, commands: Iterable<ServiceCommand>): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  for (const c of commands) {
    const r = await ctx.conn.run(c.argv, { env: { LC_ALL: 'C' }, becomeUser: ctx.becomeUser });
    stdout += r.stdout;
    stderr += r.stderr;
    if (r.rc !== 0) {
      const said = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-6).join('\n') || 'no output';
      const status = s && c.explain && b.explain ? await b.explain(ctx, s).catch(() => '') : '';
      throw new ModuleError(`${c.argv.join(' ')} failed (rc ${r.rc}):\n${said}${status ? `\n${status}` : ''}`, { rc: r.rc, stdout, stderr });
    }
  }
  return { stdout, stderr };
}
