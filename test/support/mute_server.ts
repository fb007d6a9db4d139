// A TCP server on a loopback port that accepts connections and never says a word: an SSH host
// that hangs after the TCP handshake.
import { createServer, type Socket } from 'node:net';

export interface MuteServer {
  port: number;
  /** The connections it accepted so far. */
  readonly sockets: readonly Socket[];
  close(): Promise<void>;
}

export async function muteServer(): Promise<MuteServer> {
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    sockets,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
