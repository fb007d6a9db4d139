// kiln's SSH broker (kiln_ssh_control_persist, src/engine/connection/broker/) outlives each run,
// as Ansible's ControlMaster does: the bench gives it its own control dir, reports its memory
// (it is not in the process tree of the runs that use it) and stops it at the end, through
// `kiln ssh-broker status|stop` as a user would.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

function brokerCommand(cli, dir, action) {
  return spawnSync(cli, ['ssh-broker', action], { env: { ...process.env, KILN_CONTROL_DIR: dir, NO_COLOR: '1' }, encoding: 'utf8' });
}

/** PIDs of the brokers whose socket is in `dir` (`kiln ssh-broker status`). */
export function brokerPids(cli, dir) {
  const r = brokerCommand(cli, dir, 'status');
  return [...(r.stdout ?? '').matchAll(/\(pid (\d+),/g)].map((m) => Number(m[1]));
}

/** Peak RSS (VmHWM) of the brokers of `dir` so far, in MB, summed; 0 when none runs. */
export function brokerPeakMb(cli, dir) {
  let kb = 0;
  for (const pid of brokerPids(cli, dir)) {
    try {
      kb += Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // exited meanwhile
    }
  }
  return Math.round(kb / 1024);
}

/** Stop the brokers of `dir` (`kiln ssh-broker stop`: SIGTERM, SIGKILL after 5 s). */
export async function stopBrokers(cli, dir) {
  const r = brokerCommand(cli, dir, 'stop');
  if (r.status !== 0) throw new Error(`kiln ssh-broker stop failed (exit ${r.status}): ${r.stderr}`);
}
