// kiln's SSH broker (kiln_ssh_control_persist, src/engine/connection/broker/) outlives each run,
// as Ansible's ControlMaster does: the bench gives it its own control dir, reports its memory
// (it is not in the process tree of the runs that use it) and stops it at the end.
import { readdirSync, readFileSync } from 'node:fs';

/** PIDs of the brokers whose socket is in `dir`. */
export function brokerPids(dir) {
  const pids = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let argv;
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone, or not ours to read
    }
    const at = argv.indexOf('__ssh-broker');
    if (at >= 0 && (argv[at + 1] ?? '').startsWith(`${dir}/`)) pids.push(Number(name));
  }
  return pids;
}

/** Peak RSS (VmHWM) of the brokers of `dir` so far, in MB, summed; 0 when none runs. */
export function brokerPeakMb(dir) {
  let kb = 0;
  for (const pid of brokerPids(dir)) {
    try {
      kb += Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // exited meanwhile
    }
  }
  return Math.round(kb / 1024);
}

/** Stop the brokers of `dir`: SIGTERM, then SIGKILL after 2 s. */
export async function stopBrokers(dir) {
  const pids = brokerPids(dir);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline && brokerPids(dir).length) await new Promise((r) => setTimeout(r, 50));
  for (const pid of brokerPids(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
