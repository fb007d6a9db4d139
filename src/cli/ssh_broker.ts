// kiln __ssh-broker SOCKET (hidden): the SSH connection broker that sshConnection starts in the
// background (src/engine/connection/broker/). It exits once it holds no connection and serves no
// client, or at once when another broker already listens on SOCKET.
import { runBroker } from '../engine/connection/broker/server.js';
import { EXIT } from '../engine/exit_codes.js';

export async function sshBrokerCommand(socketPath: string): Promise<number> {
  await runBroker(socketPath);
  return EXIT.OK;
}
