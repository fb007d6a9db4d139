// kiln __ssh-broker SOCKET (hidden): the SSH connection broker that sshConnection starts in the
// background (src/engine/connection/broker/). It exits once it holds no connection and serves no
// client, or at once when another broker already listens on SOCKET.
// kiln ssh-broker [status|stop]: what `ssh -O check` / `ssh -O exit` are to a ControlMaster, for
// every login the user's broker holds.
import { controlDir } from '../engine/connection/broker/control_dir.js';
import { type BrokerProcess, exited, findBrokers } from '../engine/connection/broker/find.js';
import { runBroker } from '../engine/connection/broker/server.js';
import { EXIT } from '../engine/exit_codes.js';

export async function sshBrokerCommand(socketPath: string): Promise<number> {
  await runBroker(socketPath);
  return EXIT.OK;
}

/** How long `stop` waits for a broker to close its logins and exit before it kills it. */
const STOP_WAIT_MS = 5_000;

/**
 * status: exit 0 and one line per broker when one runs for this control directory, else exit 1.
 * stop: SIGTERM (the broker closes every login and removes its socket), SIGKILL after 5 s.
 */
export async function sshBrokerControl(action: 'status' | 'stop', out = process.stdout): Promise<number> {
  const dir = controlDir();
  const found = findBrokers(dir);
  if (!found.length) {
    out.write(`kiln: no SSH broker is running for ${dir}\n`);
    return action === 'status' ? EXIT.ERROR : EXIT.OK;
  }
  if (action === 'status') {
    for (const b of found) out.write(`kiln: SSH broker running (pid ${b.pid}, socket ${b.socket})\n`);
    return EXIT.OK;
  }
  await Promise.all(found.map((b) => stop(b)));
  for (const b of found) out.write(`kiln: stopped the SSH broker (pid ${b.pid}); the logins it held are closed\n`);
  return EXIT.OK;
}

async function stop(b: BrokerProcess): Promise<void> {
  const signal = (s: NodeJS.Signals): void => {
    try {
      process.kill(b.pid, s);
    } catch {
      // exited meanwhile
    }
  };
  signal('SIGTERM');
  const end = Date.now() + STOP_WAIT_MS;
  while (!exited(b.pid)) {
    if (Date.now() > end) {
      signal('SIGKILL');
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
