// How kiln starts its SSH broker: the same kiln that runs (the built bin, or the sources under
// tsx), with a hidden subcommand, detached so that it outlives the run that started it.
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BIN, packagePath } from '../../paths.js';

/** The hidden subcommand: `kiln __ssh-broker SOCKET`. */
export const BROKER_COMMAND = '__ssh-broker';

/** node's arguments that run a broker on `socketPath`. */
export function brokerArgv(socketPath: string): string[] {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    return ['--import', tsx, packagePath('src', 'cli', 'main.ts'), BROKER_COMMAND, socketPath];
  }
  // The engine bundle (dist/cli/engine-HASH.cjs) sits beside the bin, which loads it with its code cache.
  const bin = here.endsWith('.cjs') ? join(dirname(here), BIN) : packagePath('dist', 'cli', BIN);
  return [bin, BROKER_COMMAND, socketPath];
}

/** Start a broker in the background; nothing of it keeps this process alive. */
export function startBroker(socketPath: string): ChildProcess {
  // cwd /: the broker only uses absolute paths, and must not keep a run's directory busy. A
  // minimal environment: it outlives the run, and needs nothing of it (requests carry the agent socket).
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  if (process.env.HOME) env.HOME = process.env.HOME;
  const child = spawn(process.execPath, brokerArgv(socketPath), { detached: true, stdio: 'ignore', cwd: '/', env });
  child.on('error', () => undefined);
  child.unref();
  return child;
}
