// The local connection: the same persistent-shell contract, over a child process.
import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import { ShellConnection } from './shell_connection.js';
import { type ShellStream, streamOf } from './stream.js';

/** Spawn argv as a long-lived child whose stdin carries our framed commands. */
export function spawnShell(argv: readonly string[]): Promise<ShellStream> {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('empty command');
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C.UTF-8' } });
  return Promise.resolve(
    streamOf({
      stdin: child.stdin,
      stdout: child.stdout,
      stderr: child.stderr,
      onEnd: (cb) => {
        child.on('exit', (code, signal) => cb(signal ? `killed by ${signal}` : `exited with ${code}`));
        child.on('error', (e) => cb(e.message));
      },
      kill: () => child.kill('SIGKILL'),
    }),
  );
}

export function localConnection(host = 'localhost', becomePassword?: string): ShellConnection {
  return new ShellConnection({ host, opener: spawnShell, loginUser: userInfo().username, becomePassword });
}
