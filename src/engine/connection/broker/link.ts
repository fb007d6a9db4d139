// A connection the broker holds, as a kiln run sees it: the lease that keeps it, and the opener
// of its channels. Opening it starts a broker when none answers.
import { unlinkSync } from 'node:fs';
import type { Socket } from 'node:net';
import { ConnectionError } from '../../errors.js';
import { ABANDONED, connectFailure, destination, noReconnect } from '../ssh_target.js';
import type { ShellOpener } from '../stream.js';
import { channelStream } from './channel.js';
import { type ConnectReady, type ConnectRequest, type ExecRequest, FRAME, type FrameReader, PROTOCOL } from './protocol.js';
import { startBroker } from './start.js';
import { ask, dial, failure } from './wire.js';

/** How long a broker may take to start listening before kiln connects directly. */
const START_DEADLINE_MS = 10_000;
const POLL_MS = 5;
/** Starts of a broker per connection attempt (a broker can exit just as it is asked). */
const MAX_STARTS = 3;

/** The broker cannot serve this connection (not an SSH failure): kiln connects directly. */
export class BrokerUnavailable extends Error {}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A connection the broker holds for us: our lease on it, and the way to open channels on it. */
export class BrokerLink {
  private dead: string | undefined;
  private closed = false;

  private constructor(
    private readonly socketPath: string,
    private readonly lease: Socket,
    private readonly id: string,
    private readonly name: string,
    private readonly dest: string,
    pending: Array<[number, Buffer]>,
    reader: FrameReader,
  ) {
    const onFrame = (type: number, data: Buffer): void => {
      if (type === FRAME.DROPPED) this.dead ??= data.toString('utf8');
    };
    for (const [type, data] of pending) onFrame(type, data);
    reader.onFrame = onFrame;
    lease.on('data', (c: Buffer) => reader.push(c));
    lease.once('close', () => {
      if (!this.closed) this.dead ??= `SSH connection to ${dest} dropped (the kiln SSH broker holding it exited)`;
    });
    lease.resume();
    // The lease itself has no work pending: it must not keep kiln running.
    lease.unref();
  }

  /** Ask the broker (starting one if none answers) for the connection; resolves once logged in. */
  static async open(socketPath: string, req: ConnectRequest, signal?: AbortSignal): Promise<BrokerLink> {
    const abandoned = (): ConnectionError => connectFailure(req.name, req.target, ABANDONED);
    const line = JSON.stringify(req);
    const deadline = Date.now() + START_DEADLINE_MS;
    let starts = 0;
    let exited: number | null | undefined;
    for (;;) {
      if (signal?.aborted) throw abandoned();
      let sock: Socket;
      try {
        sock = await dial(socketPath);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ECONNREFUSED') throw new BrokerUnavailable(`cannot reach the broker at ${socketPath}: ${(e as Error).message}`);
        if (Date.now() > deadline) throw new BrokerUnavailable(`no broker listened on ${socketPath} within ${START_DEADLINE_MS / 1000} s`);
        // Refused: a broker died and left its socket. Gone: none runs, or ours is still starting.
        if (code === 'ECONNREFUSED') unlinkQuietly(socketPath);
        if (starts === 0 || code === 'ECONNREFUSED' || exited !== undefined) {
          if (starts >= MAX_STARTS) throw new BrokerUnavailable(`the broker did not start${exited !== undefined ? ` (it exited with ${exited})` : ''}`);
          starts++;
          exited = undefined;
          startBroker(socketPath).once('exit', (c) => (exited = c));
        }
        await sleep(POLL_MS);
        continue;
      }
      let reply;
      try {
        reply = await ask(sock, line, signal);
      } catch {
        sock.destroy();
        throw abandoned();
      }
      if (!reply) {
        // The broker was exiting as we asked: ask again (a new one starts if needed).
        sock.destroy();
        if (Date.now() > deadline) throw new BrokerUnavailable('the broker closed the connection without answering');
        await sleep(POLL_MS);
        continue;
      }
      if (reply.type === FRAME.READY) {
        const ready = JSON.parse(reply.data.toString('utf8')) as ConnectReady;
        return new BrokerLink(socketPath, sock, ready.id, req.name, destination(req.target), reply.rest, reply.reader);
      }
      sock.destroy();
      const f = reply.type === FRAME.FAIL ? failure(reply.data) : { kind: 'broker', message: `unexpected frame ${reply.type}` };
      if (f.kind === 'ssh') throw new ConnectionError(req.name, f.message);
      throw new BrokerUnavailable(`the broker refused the request: ${f.message}`);
    }
  }

  readonly opener: ShellOpener = async (argv) => {
    if (this.dead !== undefined) throw noReconnect(this.name, this.dead);
    let sock: Socket;
    try {
      sock = await dial(this.socketPath);
    } catch (e) {
      this.dead ??= `SSH connection to ${this.dest} dropped (the kiln SSH broker is unreachable: ${(e as Error).message})`;
      throw noReconnect(this.name, this.dead);
    }
    const req: ExecRequest = { v: PROTOCOL, op: 'exec', id: this.id, argv: [...argv] };
    const reply = await ask(sock, JSON.stringify(req));
    if (reply?.type === FRAME.READY) return channelStream(sock, reply.reader, reply.rest, () => this.dead);
    sock.destroy();
    if (!reply) {
      // We hold a lease, so the broker was not exiting: it died.
      this.dead ??= `SSH connection to ${this.dest} dropped (the kiln SSH broker holding it exited)`;
      throw noReconnect(this.name, this.dead);
    }
    throw new ConnectionError(this.name, failure(reply.data).message);
  };

  /** End our lease; the broker keeps the connection for its persist time. */
  close(): void {
    this.closed = true;
    this.dead ??= `the SSH connection to ${this.dest} was closed`;
    this.lease.end();
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // another client removed it first
  }
}
