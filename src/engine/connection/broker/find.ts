// The brokers serving a control directory, found in /proc by their command line
// (`kiln __ssh-broker SOCKET`, SOCKET in the directory) and their owner: `kiln ssh-broker`
// reports and stops them as `ssh -O check` / `ssh -O exit` do a ControlMaster.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { BROKER_COMMAND } from './start.js';

export interface BrokerProcess {
  pid: number;
  /** The socket it serves. */
  socket: string;
}

/** Live brokers of `dir` (zombies excepted), owned by `uid` (default: this process's user). */
export function findBrokers(dir: string, uid = process.getuid?.()): BrokerProcess[] {
  const out: BrokerProcess[] = [];
  const prefix = `${dir.replace(/\/+$/, '')}/`;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      const at = argv.indexOf(BROKER_COMMAND);
      const socket = at === -1 ? undefined : argv[at + 1];
      if (!socket?.startsWith(prefix)) continue;
      if (uid !== undefined && statSync(`/proc/${name}`).uid !== uid) continue;
      if (exited(Number(name))) continue;
      out.push({ pid: Number(name), socket });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}

/** Whether process `pid` is gone, or a zombie its parent has not reaped yet (it serves nothing). */
export function exited(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') === true;
  } catch {
    return true;
  }
}
