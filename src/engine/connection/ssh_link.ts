// One authenticated ssh2 client and the channels opened on it: the login (TCP, key exchange,
// host key check, authentication: ssh_auth.ts), shared by the direct connection (ssh.ts) and the
// connection broker (broker/server.ts), which holds links across runs.
import { connect as netConnect, type Socket } from 'node:net';
import type { Client, ClientChannel, ConnectConfig } from 'ssh2';
import { ConnectionError } from '../errors.js';
import { algorithmsForKeyType, checkHostKey, entriesFor, knownHostName, readKnownHosts } from './known_hosts.js';
import { quoteArgv } from './quote.js';
import { loadSsh2 } from './ssh2_lib.js';
import { authHandler, type LoginMethods, loginMethods, nothingToTry } from './ssh_auth.js';
import type { SshRunCache } from './ssh_cache.js';
import { ABANDONED, connectFailure, destination, type LinkTarget, loginFailure, type LoginTrace, noReconnect, type SshSecrets } from './ssh_target.js';
import { type ShellOpener, type ShellStream, streamOf } from './stream.js';

export interface LinkOptions {
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  signal?: AbortSignal;
  cache?: SshRunCache;
}

// ssh2's default host key algorithms, in its order (ssh-dss is supported but not offered).
const HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/** Host key algorithms for the types known_hosts already holds (so the check compares like with like), most preferred first. */
async function knownKeyTypes(t: LinkTarget, cache: SshRunCache | undefined): Promise<string[]> {
  if (t.policy === 'off') return [];
  const entries = entriesFor(await readKnownHosts([...t.knownHostsFiles, ...t.globalKnownHostsFiles], cache?.knownHosts), knownHostName(t.address, t.port));
  return [...new Set(entries.filter((e) => e.marker === undefined).flatMap((e) => algorithmsForKeyType(e.keyType)))];
}

/** ssh2's hostVerifier: the known_hosts check under the target's policy; a refusal's reason goes into `trace`. */
function hostVerifier(t: LinkTarget, cache: SshRunCache | undefined, trace: LoginTrace): (key: Buffer, verify: (ok: boolean) => void) => void {
  return (key, verify) => {
    checkHostKey(key, {
      host: t.address,
      port: t.port,
      files: t.knownHostsFiles,
      readOnlyFiles: t.globalKnownHostsFiles,
      policy: t.policy,
      hash: t.hashKnownHosts,
      cache: cache?.knownHosts,
    }).then(
      (v) => {
        if (!v.ok) trace.hostKeyProblem = v.message;
        verify(v.ok);
      },
      (e: Error) => {
        trace.hostKeyProblem = `host key check failed: ${e.message}`;
        verify(false);
      },
    );
  };
}

/** The TCP connection a login starts with, before ssh2 takes it over. */
interface Tcp {
  sock: Socket;
  /** The socket's first error while no one else listened. */
  early?: Error;
  /** ssh2 listens now: stop keeping the socket's errors here. */
  handOver(): void;
}

/**
 * Connect TCP at once: the server accepts, forks and greets while ssh2 loads and keys and
 * known_hosts are read. Until ssh2 takes the socket over, its first error is kept (no listener
 * would crash).
 */
function dial(t: LinkTarget, trace: LoginTrace): Tcp {
  const sock: Socket = netConnect({ host: t.address, port: t.port });
  // Every command is a small write that waits for its answer: never let Nagle hold one back.
  sock.setNoDelay(true);
  coalesceWrites(sock);
  sock.once('connect', () => (trace.tcpUp = true));
  const tcp: Tcp = { sock, handOver: () => sock.off('error', keep) };
  function keep(e: Error): void {
    tcp.early ??= e;
  }
  sock.on('error', keep);
  return tcp;
}

/** One authenticated ssh2 client and the channels opened on it. */
export class SshLink {
  private dead: string | undefined;
  private readonly ends = new Set<(reason: string) => void>();
  private readonly gone: Promise<void>;
  private readonly lostListeners: Array<(dead: string) => void> = [];

  private constructor(
    private readonly client: Client,
    private readonly name: string,
    private readonly dest: string,
  ) {
    this.gone = new Promise((resolve) => client.once('close', () => resolve()));
  }

  /**
   * Log in. Resolves once authenticated; throws ConnectionError (refused, timed out, host key
   * refused, authentication failed with what was tried) otherwise, leaving no socket open.
   * `name` is the inventory host the messages are about.
   */
  static async open(name: string, t: LinkTarget, secrets: SshSecrets, o: LinkOptions = {}): Promise<SshLink> {
    const fail = (msg: string): ConnectionError => connectFailure(name, t, msg);
    if (o.signal?.aborted) throw fail(ABANDONED);
    const trace: LoginTrace = { tcpUp: false, tried: [], keyNotes: [] };
    const tcp = dial(t, trace);
    let ssh2: typeof import('ssh2');
    let methods: LoginMethods;
    let knownTypes: string[];
    try {
      [ssh2, methods, knownTypes] = await Promise.all([loadSsh2(), loginMethods(t, secrets, o.cache), knownKeyTypes(t, o.cache).catch((e: Error) => Promise.reject(fail(e.message)))]);
    } catch (e) {
      tcp.sock.destroy();
      throw e;
    }
    if (!methods.attempts.length) {
      tcp.sock.destroy();
      throw fail(nothingToTry(t.user, methods.notes));
    }
    trace.keyNotes = methods.notes;
    const config: ConnectConfig = {
      sock: tcp.sock,
      username: t.user,
      readyTimeout: t.timeoutSec * 1000,
      keepaliveInterval: o.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: o.keepaliveCountMax ?? 3,
      hostVerifier: hostVerifier(t, o.cache, trace),
      authHandler: authHandler(methods.attempts, trace),
    };
    // An exact list: ssh2's {prepend} leaves algorithms that are already in its list where they are.
    if (knownTypes.length) config.algorithms = { serverHostKey: [...knownTypes, ...HOST_KEY_ALGORITHMS.filter((a) => !knownTypes.includes(a))] as never };
    const link = new SshLink(new ssh2.Client(), name, destination(t));
    await link.handshake(t, config, tcp, trace, o.signal);
    return link;
  }

  /**
   * Run ssh2's handshake on the socket: resolves once logged in; rejects with why (loginFailure)
   * when the connection closes first, or as abandoned when `signal` aborts meanwhile. Errors after
   * that mark the link lost.
   */
  private handshake(t: LinkTarget, config: ConnectConfig, tcp: Tcp, trace: LoginTrace, signal: AbortSignal | undefined): Promise<void> {
    const { client } = this;
    const { sock } = tcp;
    const fail = (msg: string): ConnectionError => connectFailure(this.name, t, msg);
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      client.on('error', (e: Error & { level?: string }) => {
        // The first error is the cause; tearing down the socket can add "Connection lost..." after it.
        trace.error ??= e;
        if (!settled) return; // close follows; the message is built then
        this.lost(e.message);
      });
      client.once('ready', () => {
        settled = true;
        signal?.removeEventListener('abort', abandon);
        resolve();
      });
      client.on('close', () => {
        if (!settled) {
          settled = true;
          sock.destroy();
          reject(fail(loginFailure(t, trace)));
          return;
        }
        this.lost(trace.error ? trace.error.message : 'the server closed the connection');
      });
      const abandon = (): void => {
        if (settled) return;
        settled = true;
        client.destroy();
        sock.destroy();
        reject(fail(ABANDONED));
      };
      if (signal?.aborted) return abandon();
      if (sock.destroyed) {
        // Refused or reset before ssh2 took the socket: ssh2 would never hear of it.
        settled = true;
        trace.error = tcp.early;
        reject(fail(loginFailure(t, trace)));
        return;
      }
      signal?.addEventListener('abort', abandon, { once: true });
      client.once('close', () => signal?.removeEventListener('abort', abandon));
      try {
        client.connect(config);
        tcp.handOver();
      } catch (e) {
        settled = true;
        sock.destroy();
        reject(fail((e as Error).message));
      }
    });
  }

  /** The connection is gone: end every channel's stream now, refuse new ones. */
  private lost(reason: string): void {
    if (this.dead !== undefined) return;
    this.dead = `SSH connection to ${this.dest} dropped (${reason})`;
    for (const end of [...this.ends]) end(this.dead);
    this.ends.clear();
    for (const f of this.lostListeners.splice(0)) f(this.dead);
  }

  /** Why the link cannot open channels any more (dropped or closed), or undefined while it can. */
  get deadReason(): string | undefined {
    return this.dead;
  }

  /** Call `f` with the reason once the connection drops (not when close() ends it). */
  onLost(f: (dead: string) => void): void {
    if (this.dead === undefined) this.lostListeners.push(f);
  }

  readonly opener: ShellOpener = (argv) =>
    new Promise<ShellStream>((resolve, reject) => {
      if (this.dead !== undefined) {
        reject(noReconnect(this.name, this.dead));
        return;
      }
      let command: string;
      try {
        command = quoteArgv(argv);
      } catch (e) {
        reject(e as Error);
        return;
      }
      this.client.exec(command, (err: Error | undefined, ch: ClientChannel) => {
        if (err) {
          reject(new ConnectionError(this.name, this.dead ?? `cannot open an SSH channel on ${this.dest}: ${err.message}`));
          return;
        }
        resolve(this.wrap(ch));
      });
    });

  private wrap(ch: ClientChannel): ShellStream {
    return streamOf({
      stdin: ch,
      stdout: ch,
      stderr: ch.stderr,
      onEnd: (cb) => {
        let status = 'the remote shell exited';
        const end = (reason: string): void => {
          this.ends.delete(end);
          cb(reason);
        };
        this.ends.add(end);
        ch.on('exit', (code: number | null, signal?: string) => {
          status = signal ? `the remote shell was killed by ${signal.startsWith('SIG') ? signal : `SIG${signal}`}` : `the remote shell exited with ${code}`;
        });
        ch.on('close', () => end(this.dead ?? status));
      },
      kill: () => {
        try {
          ch.close();
        } catch {
          // the connection is already gone
        }
      },
    });
  }

  async close(): Promise<void> {
    if (this.dead === undefined) this.dead = `the SSH connection to ${this.dest} was closed`;
    for (const end of [...this.ends]) end(this.dead);
    this.ends.clear();
    this.client.end();
    // A polite end normally closes at once; do not hang on a server that does not answer.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.gone, new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000)))]);
    clearTimeout(timer);
    this.client.destroy();
  }
}

/**
 * ssh2 writes each packet on its own; packets written in the same tick (version and KEXINIT,
 * NEWKEYS and the auth service request, the three of a close) leave as one writev instead. On
 * loopback every write also runs the server's side of TCP in the writer's time slice.
 */
function coalesceWrites(sock: Socket): void {
  const write = sock.write.bind(sock) as (...args: unknown[]) => boolean;
  let corked = false;
  sock.write = ((...args: unknown[]): boolean => {
    if (!corked) {
      corked = true;
      sock.cork();
      process.nextTick(() => {
        corked = false;
        sock.uncork();
      });
    }
    return write(...args);
  }) as Socket['write'];
}

