// kiln's side of the SSH connection broker: ask it for a logged-in connection (starting it if no
// broker answers), then open the persistent `sh` channels through it. Implements ShellOpener, so
// ShellConnection works the same over the broker as over a direct ssh2 connection.
import { unlinkSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { ConnectionError } from '../../errors.js';
import type { ConnectionSettings } from '../../inventory/connection_vars.js';
import { ShellConnection } from '../shell_connection.js';
import type { SshOptions, SshTarget } from '../ssh.js';
import { ABANDONED, connectFailure, destination, type LinkTarget, noReconnect } from '../ssh_link.js';
import type { ShellOpener, ShellStream, StreamHandlers } from '../stream.js';
import type { Connection } from '../types.js';
import { controlDir, controlSocket } from './control_dir.js';
import { type ConnectReady, type ConnectRequest, type ExecRequest, type Failure, FRAME, FrameReader, PROTOCOL } from './protocol.js';
import { startBroker } from './start.js';

/** How long a broker may take to start listening before kiln connects directly. */
const START_DEADLINE_MS = 10_000;
const POLL_MS = 5;
/** Starts of a broker per connection attempt (a broker can exit just as it is asked). */
const MAX_STARTS = 3;

/** The broker cannot serve this connection (not an SSH failure): kiln connects directly. */
class BrokerUnavailable extends Error {}

const warned = new Set<string>();

/**
 * The connection to `t` through the broker (reusing one it holds, or logging in), or undefined
 * when the broker cannot be used (then it warned once, and the caller connects directly).
 * Throws the same ConnectionError a direct login gives when the login fails.
 */
export async function brokerConnection(s: ConnectionSettings, t: SshTarget, o: SshOptions): Promise<Connection | undefined> {
  const dir = controlDir();
  const where = controlSocket(dir);
  const unavailable = (problem: string): undefined => {
    const message = `SSH connection broker not used, connecting directly: ${problem}`;
    if (!warned.has(message)) {
      warned.add(message);
      o.onWarning?.(message);
    }
    return undefined;
  };
  if ('problem' in where) return unavailable(where.problem);
  const req: ConnectRequest = {
    v: PROTOCOL,
    op: 'connect',
    name: s.name,
    target: absoluteTarget(t),
    secrets: { password: s.password, privateKeyPassphrase: s.privateKeyPassphrase },
    keepaliveIntervalMs: o.keepaliveIntervalMs,
    keepaliveCountMax: o.keepaliveCountMax,
    persistSec: s.controlPersistSec,
  };
  let link: BrokerLink;
  try {
    link = await BrokerLink.open(where.path, req, o.signal);
  } catch (e) {
    if (e instanceof BrokerUnavailable) return unavailable(e.message);
    throw e;
  }
  return new ShellConnection({
    host: s.name,
    opener: link.opener,
    loginUser: t.user,
    becomePassword: s.becomePassword,
    onClose: () => link.close(),
  });
}

/** The broker runs elsewhere (cwd /): it gets absolute paths, without the ssh config. */
function absoluteTarget(t: SshTarget): LinkTarget {
  return {
    address: t.address,
    port: t.port,
    user: t.user,
    identityFiles: t.identityFiles.map((f) => resolve(f)),
    explicitIdentities: t.explicitIdentities,
    knownHostsFiles: t.knownHostsFiles.map((f) => resolve(f)),
    globalKnownHostsFiles: t.globalKnownHostsFiles.map((f) => resolve(f)),
    policy: t.policy,
    hashKnownHosts: t.hashKnownHosts,
    useAgent: t.useAgent === undefined ? undefined : resolve(t.useAgent),
    timeoutSec: t.timeoutSec,
  };
}

function dial(path: string): Promise<Socket> {
  return new Promise((ok, fail) => {
    const sock = connect(path);
    sock.once('connect', () => {
      sock.off('error', fail);
      ok(sock);
    });
    sock.once('error', fail);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The first frame on a fresh socket after our request line, or undefined if the socket closed first. */
function ask(sock: Socket, line: string, signal?: AbortSignal): Promise<{ type: number; data: Buffer; reader: FrameReader; rest: Array<[number, Buffer]> } | undefined> {
  return new Promise((ok, fail) => {
    let first: { type: number; data: Buffer } | undefined;
    const rest: Array<[number, Buffer]> = [];
    const reader = new FrameReader((type, data) => {
      if (!first) first = { type, data };
      else rest.push([type, data]);
    });
    const onData = (c: Buffer): void => {
      reader.push(c);
      if (first) done(() => ok({ ...(first as { type: number; data: Buffer }), reader, rest }));
    };
    const onClose = (): void => done(() => ok(undefined));
    const onAbort = (): void => done(() => fail(new DOMException('aborted', 'AbortError')));
    const done = (f: () => void): void => {
      sock.off('data', onData);
      sock.off('close', onClose);
      signal?.removeEventListener('abort', onAbort);
      sock.pause();
      f();
    };
    sock.on('error', () => undefined);
    sock.on('data', onData);
    sock.once('close', onClose);
    signal?.addEventListener('abort', onAbort, { once: true });
    sock.write(`${line}\n`);
  });
}

function failure(data: Buffer): Failure {
  try {
    return JSON.parse(data.toString('utf8')) as Failure;
  } catch {
    return { kind: 'broker', message: 'the broker sent an unreadable failure' };
  }
}

/** A connection the broker holds for us: our lease on it, and the way to open channels on it. */
class BrokerLink {
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
    if (!reply) throw new ConnectionError(this.name, this.dead ?? `cannot open an SSH channel on ${this.dest}: the kiln SSH broker closed the connection`);
    throw new ConnectionError(this.name, failure(reply.data).message);
  };

  /** End our lease; the broker keeps the connection for its persist time. */
  close(): void {
    this.closed = true;
    this.dead ??= `the SSH connection to ${this.dest} was closed`;
    this.lease.end();
  }
}

/** A ShellStream over an exec socket, after READY. */
function channelStream(sock: Socket, reader: FrameReader, pending: Array<[number, Buffer]>, dead: () => string | undefined): ShellStream {
  let h: StreamHandlers | undefined;
  const early: Array<() => void> = [];
  const dispatch = (f: (x: StreamHandlers) => void): void => {
    if (h) f(h);
    else early.push(() => h && f(h));
  };
  let ended = false;
  let reason: string | undefined;
  const onFrame = (type: number, data: Buffer): void => {
    if (type === FRAME.STDOUT) dispatch((x) => x.stdout(data));
    else if (type === FRAME.STDERR) dispatch((x) => x.stderr(data));
    else if (type === FRAME.CLOSE) reason = data.toString('utf8');
  };
  for (const [type, data] of pending) onFrame(type, data);
  reader.onFrame = onFrame;
  sock.on('data', (c: Buffer) => reader.push(c));
  sock.once('close', () => {
    if (ended) return;
    ended = true;
    const why = reason ?? dead() ?? 'the kiln SSH broker closed the channel';
    dispatch((x) => x.close(why));
  });
  sock.resume();
  return {
    write: (d) => {
      if (!ended) sock.write(d);
    },
    setHandlers: (next) => {
      h = next;
      for (const f of early.splice(0)) f();
    },
    kill: () => {
      // Ending our side kills the channel; what the broker still sends need not keep kiln running.
      sock.end();
      sock.unref();
    },
  };
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // another client removed it first
  }
}
