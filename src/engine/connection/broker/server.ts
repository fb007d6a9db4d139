// The SSH connection broker: one background process per user and control directory that keeps
// logged-in ssh2 connections for the kiln runs that follow (OpenSSH's ControlMaster with
// ControlPersist). It serves protocol.ts on a unix socket; client.ts starts it and talks to it.
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { ConnectionError } from '../../errors.js';
import { SshRunCache } from '../ssh_cache.js';
import { SshLink } from '../ssh_link.js';
import { noReconnect } from '../ssh_target.js';
import type { ShellStream } from '../stream.js';
import { ConnectionKeys } from './key.js';
import { type ConnectRequest, type ExecRequest, type Failure, FRAME, frame, type FrameType, MAX_REQUEST } from './protocol.js';
import { parseRequest } from './request.js';

/** How long a new broker waits for its first client before it exits. */
const FIRST_CLIENT_MS = 5_000;

/**
 * A channel opened ahead of the run that will ask for it: kiln asks every held connection for the
 * same `sh` (session.ts) run after run, and the next run then skips opening a channel and starting
 * the remote shell. Until taken, it is not counted as a channel (it keeps no connection alive).
 */
interface Spare {
  argv: string;
  stream: Promise<ShellStream>;
  /** Why it ended before it was taken (the remote shell exited, the connection dropped). */
  dead?: string;
  /** Output before it was taken: none is expected, but none is lost. */
  early: Array<[FrameType, Buffer]>;
}

/** One SSH connection the broker holds, and who uses it. */
interface Held {
  id: string;
  key: string;
  link: Promise<SshLink>;
  /** Set once logged in. */
  up?: SshLink;
  leases: Set<Socket>;
  channels: number;
  persistMs: number;
  idle?: NodeJS.Timeout;
  spare?: Spare;
}

export class Broker {
  private readonly server: Server;
  private readonly keys = new ConnectionKeys();
  private readonly held = new Map<string, Held>();
  private readonly byId = new Map<string, Held>();
  /** Why a connection that dropped is gone, by id: what a late channel request is told. */
  private readonly gone = new Map<string, string>();
  private readonly clients = new Set<Socket>();
  /** Files read for logins under way (known_hosts, keys): shared by a burst of logins, then dropped. */
  private cache: SshRunCache | undefined;
  private connecting = 0;
  private inode: number | undefined;
  private firstClient: NodeJS.Timeout | undefined;
  private stopped = false;
  private waitingForFirst = true;
  private readonly done: Promise<void>;
  private finish!: () => void;

  constructor(private readonly socketPath: string) {
    this.server = createServer((s) => this.accept(s));
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  /**
   * Listen; 'taken' when the socket path is already there (another broker's, or a dead one's that
   * the client removes before it starts a broker again). The socket is bound under a temporary
   * name and linked into place once listening, so a client never finds a socket that refuses
   * because its broker is still starting, and two brokers starting at once cannot both win.
   */
  async listen(): Promise<'listening' | 'taken'> {
    const bound = join(dirname(this.socketPath), `.broker-${process.pid}`);
    rmSync(bound, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(bound, () => resolve());
    });
    try {
      chmodSync(bound, 0o600);
      linkSync(bound, this.socketPath);
    } catch (e) {
      this.server.close();
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return 'taken';
      throw e;
    } finally {
      // The server removes its bound name when it closes; the linked name stays ours until stop().
      rmSync(bound, { force: true });
    }
    this.inode = statSync(this.socketPath).ino;
    this.firstClient = setTimeout(() => {
      this.waitingForFirst = false;
      this.settle();
    }, FIRST_CLIENT_MS);
    return 'listening';
  }

  /** Resolves once the broker has stopped: nothing held, no client, socket removed. */
  stoppedPromise(): Promise<void> {
    return this.done;
  }

  /** Close every connection and stop now (SIGTERM). */
  async shutdown(): Promise<void> {
    for (const s of this.clients) s.destroy();
    const links = [...this.held.values()].map((h) => h.link.then((l) => l.close(), () => undefined));
    for (const h of [...this.held.values()]) this.forget(h);
    await Promise.all(links);
    this.stop();
  }

  private accept(sock: Socket): void {
    clearTimeout(this.firstClient);
    this.waitingForFirst = false;
    this.clients.add(sock);
    sock.on('error', () => undefined);
    sock.once('close', () => {
      this.clients.delete(sock);
      this.settle();
    });
    let buf: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      const nl = buf.indexOf(0x0a);
      if (nl === -1) {
        if (buf.length > MAX_REQUEST) fail(sock, { kind: 'broker', message: 'the request line is too long' });
        return;
      }
      sock.off('data', onData);
      sock.pause();
      const r = parseRequest(buf.subarray(0, nl).toString('utf8'));
      if ('problem' in r) return fail(sock, { kind: 'broker', message: r.problem });
      if (r.op === 'connect') void this.connect(sock, r);
      else void this.exec(sock, r, buf.subarray(nl + 1));
    };
    sock.on('data', onData);
  }

  private async connect(sock: Socket, r: ConnectRequest): Promise<void> {
    const key = this.keys.key(r);
    let h = this.held.get(key);
    if (h?.up?.deadReason !== undefined) {
      this.forget(h);
      h = undefined;
    }
    const reused = h !== undefined;
    const held = h ?? this.open(key, r);
    held.persistMs = r.persistSec * 1000;
    clearTimeout(held.idle);
    held.leases.add(sock);
    sock.once('close', () => {
      held.leases.delete(sock);
      this.release(held);
    });
    sock.on('data', () => undefined); // nothing is expected; reading lets the close be seen
    sock.resume();
    try {
      await held.link;
    } catch (e) {
      return fail(sock, e instanceof ConnectionError ? { kind: 'ssh', message: e.message } : { kind: 'broker', message: (e as Error).message });
    }
    if (!sock.destroyed) sock.write(frame(FRAME.READY, JSON.stringify({ id: held.id, reused })));
  }

  private open(key: string, r: ConnectRequest): Held {
    this.cache ??= new SshRunCache();
    this.connecting++;
    const h: Held = {
      id: randomBytes(16).toString('hex'),
      key,
      link: SshLink.open(r.name, r.target, r.secrets, { keepaliveIntervalMs: r.keepaliveIntervalMs, keepaliveCountMax: r.keepaliveCountMax, cache: this.cache }),
      leases: new Set(),
      channels: 0,
      persistMs: r.persistSec * 1000,
    };
    h.link
      .then(
        (link) => {
          h.up = link;
          link.onLost((dead) => this.lost(h, dead));
        },
        () => this.forget(h),
      )
      .finally(() => {
        if (--this.connecting === 0) this.cache = undefined;
      });
    this.held.set(key, h);
    this.byId.set(h.id, h);
    return h;
  }

  private async exec(sock: Socket, r: ExecRequest, early: Buffer): Promise<void> {
    const h = this.byId.get(r.id);
    const link = h?.up;
    if (!h || !link) {
      const dead = this.gone.get(r.id) ?? 'the SSH connection is no longer held by the kiln broker';
      return fail(sock, { kind: 'ssh', message: noReconnect('', dead).message });
    }
    h.channels++;
    clearTimeout(h.idle);
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      h.channels--;
      this.release(h);
    };
    const argv = JSON.stringify(r.argv);
    const spare = this.takeSpare(h, argv);
    let stream: ShellStream;
    try {
      stream = await (spare?.stream ?? link.opener(r.argv));
    } catch (e) {
      end();
      return fail(sock, { kind: 'ssh', message: (e as Error).message });
    }
    // The next run gets a channel opened while this one works.
    this.openSpare(h, link, argv, r.argv);
    if (sock.destroyed) {
      stream.kill();
      return end();
    }
    sock.write(frame(FRAME.READY));
    for (const [type, data] of spare?.early ?? []) sock.write(frame(type, data));
    stream.setHandlers({
      stdout: (c) => void sock.write(frame(FRAME.STDOUT, c)),
      stderr: (c) => void sock.write(frame(FRAME.STDERR, c)),
      close: (reason) => {
        sock.end(frame(FRAME.CLOSE, reason));
        end();
      },
    });
    // Commands are text; a chunk may end inside a UTF-8 character.
    const text = new StringDecoder('utf8');
    if (early.length) stream.write(text.write(early));
    sock.on('data', (c: Buffer) => stream.write(text.write(c)));
    sock.once('end', () => stream.kill());
    sock.once('close', () => {
      stream.kill();
      end();
    });
    sock.resume();
  }

  /** The spare for `argv`, if one is open and alive; it is the caller's from now on. */
  private takeSpare(h: Held, argv: string): Spare | undefined {
    const spare = h.spare;
    if (!spare || spare.argv !== argv) return undefined;
    h.spare = undefined;
    if (spare.dead === undefined) return spare;
    killSpare(spare);
    return undefined;
  }

  private openSpare(h: Held, link: SshLink, argv: string, raw: readonly string[]): void {
    // Only the plain shell (session.ts): a become session's argv carries a one-time sudo prompt.
    if (raw[0] !== 'sh' || h.spare || this.held.get(h.key) !== h) return;
    const spare: Spare = { argv, stream: link.opener(raw), early: [] };
    h.spare = spare;
    spare.stream.then(
      (st) =>
        st.setHandlers({
          stdout: (c) => void spare.early.push([FRAME.STDOUT, c]),
          stderr: (c) => void spare.early.push([FRAME.STDERR, c]),
          close: (reason) => {
            spare.dead = reason || 'closed';
            if (h.spare === spare) h.spare = undefined;
          },
        }),
      (e: Error) => {
        spare.dead = e.message;
        if (h.spare === spare) h.spare = undefined;
      },
    );
  }

  private dropSpare(h: Held): void {
    if (h.spare) killSpare(h.spare);
    h.spare = undefined;
  }

  /** The connection dropped: tell its leases, and make the next request log in afresh. */
  private lost(h: Held, dead: string): void {
    this.gone.set(h.id, dead);
    for (const s of h.leases) s.write(frame(FRAME.DROPPED, dead));
    this.forget(h);
  }

  /** Nobody uses the connection: keep it persistMs more, then close it. */
  private release(h: Held): void {
    if (h.leases.size || h.channels || this.held.get(h.key) !== h) return;
    clearTimeout(h.idle);
    h.idle = setTimeout(() => {
      this.forget(h);
      void h.link.then((l) => l.close(), () => undefined);
    }, h.persistMs);
  }

  private forget(h: Held): void {
    clearTimeout(h.idle);
    this.dropSpare(h);
    if (this.held.get(h.key) === h) this.held.delete(h.key);
    this.byId.delete(h.id);
    this.settle();
  }

  /** Stop once nothing is held and no client is connected. */
  private settle(): void {
    if (this.held.size || this.clients.size || this.stopped) return;
    // A new broker waits for its first client (the kiln that started it), or FIRST_CLIENT_MS.
    if (this.inode === undefined || this.waitingForFirst) return;
    this.stop();
  }

  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.firstClient);
    this.server.close();
    // Only our own socket: a client may have replaced a socket it found dead by a new broker's.
    try {
      if (statSync(this.socketPath).ino === this.inode) unlinkSync(this.socketPath);
    } catch {
      // already gone
    }
    this.finish();
  }
}

/** End a spare's channel, once it is open (or never, if opening it failed). */
function killSpare(spare: Spare): void {
  void spare.stream.then((st) => st.kill(), () => undefined);
}

function fail(sock: Socket, f: Failure): void {
  sock.end(frame(FRAME.FAIL, JSON.stringify(f)));
}

/**
 * Run a broker on `socketPath` until it holds nothing and serves nobody. Resolves 'taken' at once
 * when another broker already listens there.
 */
export async function runBroker(socketPath: string): Promise<'done' | 'taken'> {
  const b = new Broker(socketPath);
  if ((await b.listen()) === 'taken') return 'taken';
  const term = (): void => void b.shutdown();
  process.once('SIGTERM', term);
  process.once('SIGINT', term);
  process.on('SIGHUP', () => undefined);
  await b.stoppedPromise();
  process.off('SIGTERM', term);
  process.off('SIGINT', term);
  return 'done';
}
