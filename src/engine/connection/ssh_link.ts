// One authenticated ssh2 client and the channels opened on it: the login (TCP, key exchange,
// host key check, authentication) and its failure messages, shared by the direct connection
// (ssh.ts) and the connection broker (broker/server.ts), which holds links across runs.
import { readFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import type { AnyAuthMethod, AuthenticationType, Client, ClientChannel, ConnectConfig, ParsedKey } from 'ssh2';
import { ConnectionError } from '../errors.js';
import { algorithmsForKeyType, checkHostKey, entriesFor, knownHostName, readKnownHosts } from './known_hosts.js';
import { quoteArgv } from './quote.js';
import type { KeyOutcome, SshRunCache } from './ssh_cache.js';
import { type ShellOpener, type ShellStream, streamOf } from './stream.js';
import { ABANDONED, connectFailure, destination, type LinkTarget, noReconnect, type SshSecrets } from './ssh_target.js';

// Loaded on first use (40-50 ms of module loading), while the first TCP connect is under way.
let ssh2Loaded: Promise<typeof import('ssh2')> | undefined;
const loadSsh2 = (): Promise<typeof import('ssh2')> => (ssh2Loaded ??= import('ssh2').then((m) => m.default));

export interface LinkOptions {
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  signal?: AbortSignal;
  cache?: SshRunCache;
}

// ssh2's default host key algorithms, in its order (ssh-dss is supported but not offered).
const HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

interface Attempt {
  method: AnyAuthMethod;
  /** For the failure message: what was tried ("publickey /root/.ssh/id_ed25519"). */
  label: string;
  /** The server's method name this needs. */
  needs: AuthenticationType;
}

interface LoadedKeys {
  attempts: Attempt[];
  /** Keys that could not be used, and why. Never includes a passphrase. */
  notes: string[];
}

async function loadKeys(t: LinkTarget, passphrase: string | undefined, cache: SshRunCache | undefined): Promise<LoadedKeys> {
  const attempts: Attempt[] = [];
  const notes: string[] = [];
  const outcomes = await Promise.all(t.identityFiles.map((f) => (cache ? cache.key(f, passphrase, () => readKey(f, passphrase)) : readKey(f, passphrase))));
  t.identityFiles.forEach((file, i) => {
    const o = outcomes[i] as KeyOutcome;
    if ('key' in o) attempts.push({ method: { type: 'publickey', username: t.user, key: o.key }, label: `publickey ${file}`, needs: 'publickey' });
    // The ~/.ssh/id_* defaults are only tried when they exist, as ssh does.
    else if (!o.unreadable || t.explicitIdentities) notes.push(o.problem);
  });
  return { attempts, notes };
}

async function readKey(file: string, passphrase: string | undefined): Promise<KeyOutcome> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (e) {
    return { problem: `key ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, unreadable: true };
  }
  const { utils } = await loadSsh2();
  let parsed = utils.parseKey(data, passphrase);
  if (parsed instanceof Error && passphrase !== undefined && !isEncrypted(data)) parsed = utils.parseKey(data);
  if (parsed instanceof Error) {
    const m = parsed.message;
    if (/no passphrase given/i.test(m)) return { problem: `key ${file} is encrypted and no passphrase is set (kiln_private_key_passphrase)`, unreadable: false };
    if (/passphrase|integrity|decrypt/i.test(m)) return { problem: `key ${file}: wrong passphrase (kiln_private_key_passphrase)`, unreadable: false };
    return { problem: `key ${file} is not a private key kiln can read (${m})`, unreadable: false };
  }
  const key: ParsedKey | undefined = Array.isArray(parsed) ? (parsed[0] as ParsedKey | undefined) : parsed;
  if (!key || !key.isPrivateKey()) return { problem: `key ${file} holds no private key`, unreadable: false };
  return { key };
}

function isEncrypted(data: Buffer): boolean {
  const text = data.toString('latin1');
  if (text.includes('ENCRYPTED')) return true;
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END/.exec(text);
  if (!m) return false;
  // openssh-key-v1\0, then the cipher name: "none" when unencrypted.
  const blob = Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64');
  const len = blob.length >= 19 ? blob.readUInt32BE(15) : 0;
  return blob.subarray(19, 19 + len).toString('latin1') !== 'none';
}

/** Host key algorithms for the types known_hosts already holds (so the check compares like with like), most preferred first. */
async function knownKeyTypes(t: LinkTarget, cache: SshRunCache | undefined): Promise<string[]> {
  if (t.policy === 'off') return [];
  const entries = entriesFor(await readKnownHosts([...t.knownHostsFiles, ...t.globalKnownHostsFiles], cache?.knownHosts), knownHostName(t.address, t.port));
  return [...new Set(entries.filter((e) => e.marker === undefined).flatMap((e) => algorithmsForKeyType(e.keyType)))];
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
    const dest = destination(t);
    const fail = (msg: string): ConnectionError => connectFailure(name, t, msg);

    if (o.signal?.aborted) throw fail(ABANDONED);
    // TCP first: the server accepts, forks and greets while ssh2 loads and keys and known_hosts are
    // read. Until ssh2 takes the socket over, its first error is kept here (no listener would crash).
    const sock: Socket = netConnect({ host: t.address, port: t.port });
    // Every command is a small write that waits for its answer: never let Nagle hold one back.
    sock.setNoDelay(true);
    coalesceWrites(sock);
    let tcpUp = false;
    sock.once('connect', () => (tcpUp = true));
    let early: Error | undefined;
    const onEarly = (e: Error): void => void (early ??= e);
    sock.on('error', onEarly);

    let ssh2: typeof import('ssh2');
    let keys: LoadedKeys;
    let knownTypes: string[];
    try {
      [ssh2, keys, knownTypes] = await Promise.all([loadSsh2(), loadKeys(t, secrets.privateKeyPassphrase, o.cache), knownKeyTypes(t, o.cache).catch((e: Error) => Promise.reject(fail(e.message)))]);
    } catch (e) {
      sock.destroy();
      throw e;
    }
    const attempts = [...keys.attempts];
    if (t.useAgent) attempts.push({ method: { type: 'agent', username: t.user, agent: t.useAgent }, label: `ssh-agent (${t.useAgent})`, needs: 'publickey' });
    if (secrets.password !== undefined) {
      const password = secrets.password;
      attempts.push({ method: { type: 'password', username: t.user, password }, label: 'password', needs: 'password' });
      attempts.push({
        method: {
          type: 'keyboard-interactive',
          username: t.user,
          prompt: (_name, _instr, _lang, prompts, finish) => finish(prompts.map((p) => (p.echo ? '' : password))),
        },
        label: 'keyboard-interactive (password)',
        needs: 'keyboard-interactive',
      });
    }
    if (!attempts.length) {
      sock.destroy();
      throw fail(
        keys.notes.length
          ? `no usable way to authenticate as ${t.user}: ${keys.notes.join('; ')}`
          : `no way to authenticate as ${t.user}: set kiln_private_key_file (or IdentityFile in ~/.ssh/config), run an ssh-agent, or set kiln_password`,
      );
    }
    const client = new ssh2.Client();

    let hostKeyProblem: string | undefined;
    const tried: string[] = [];
    let serverMethods: AuthenticationType[] | undefined;
    const pending = [...attempts];

    const config: ConnectConfig = {
      sock,
      username: t.user,
      readyTimeout: t.timeoutSec * 1000,
      keepaliveInterval: o.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: o.keepaliveCountMax ?? 3,
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        checkHostKey(key, {
          host: t.address,
          port: t.port,
          files: t.knownHostsFiles,
          readOnlyFiles: t.globalKnownHostsFiles,
          policy: t.policy,
          hash: t.hashKnownHosts,
          cache: o.cache?.knownHosts,
        }).then(
          (v) => {
            if (!v.ok) hostKeyProblem = v.message;
            verify(v.ok);
          },
          (e: Error) => {
            hostKeyProblem = `host key check failed: ${e.message}`;
            verify(false);
          },
        );
      },
      authHandler: (methodsLeft, _partial, next) => {
        if (methodsLeft) serverMethods = methodsLeft;
        while (pending.length) {
          const a = pending.shift() as Attempt;
          if (methodsLeft && !methodsLeft.includes(a.needs)) continue;
          tried.push(a.label);
          return next(a.method);
        }
        return next(false as unknown as AnyAuthMethod);
      },
    };
    // An exact list: ssh2's {prepend} leaves algorithms that are already in its list where they are.
    if (knownTypes.length) config.algorithms = { serverHostKey: [...knownTypes, ...HOST_KEY_ALGORITHMS.filter((a) => !knownTypes.includes(a))] as never };

    const link = new SshLink(client, name, dest);
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      let lastError: (Error & { level?: string; code?: string }) | undefined;
      const explain = (): ConnectionError => {
        const e = lastError;
        if (hostKeyProblem) return fail(hostKeyProblem);
        if (e?.level === 'client-authentication') {
          const offered = serverMethods?.length ? `; the server accepts ${serverMethods.join(', ')}` : '';
          const notes = keys.notes.length ? `; ${keys.notes.join('; ')}` : '';
          return fail(`authentication failed for user ${t.user} (tried ${tried.length ? tried.join(', ') : 'nothing the server accepts'}${offered})${notes}`);
        }
        if (e?.level === 'client-timeout') {
          return fail(
            tcpUp
              ? `timed out after ${t.timeoutSec} s waiting for the SSH handshake (is an SSH server on port ${t.port}?)`
              : `timed out after ${t.timeoutSec} s connecting (host down or port filtered?)`,
          );
        }
        switch (e?.code) {
          case 'ECONNREFUSED':
            return fail(`connection refused (is sshd running and listening on port ${t.port}?)`);
          case 'ENOTFOUND':
          case 'EAI_AGAIN':
            return fail(`cannot resolve host name ${t.address}`);
          case 'EHOSTUNREACH':
          case 'ENETUNREACH':
            return fail('no route to host');
          case 'ETIMEDOUT':
            return fail('timed out connecting');
          case 'ECONNRESET':
            return fail('the server reset the connection during the handshake');
        }
        if (e) return fail(e.message);
        return fail('the server closed the connection during the handshake');
      };
      client.on('error', (e: Error & { level?: string }) => {
        // The first error is the cause; tearing down the socket can add "Connection lost..." after it.
        lastError ??= e;
        if (!settled) return; // close follows; the message is built then
        link.lost(e.message);
      });
      client.once('ready', () => {
        settled = true;
        o.signal?.removeEventListener('abort', abandon);
        resolve();
      });
      client.on('close', () => {
        if (!settled) {
          settled = true;
          sock.destroy();
          reject(explain());
          return;
        }
        link.lost(lastError ? lastError.message : 'the server closed the connection');
      });
      const abandon = (): void => {
        if (settled) return;
        settled = true;
        client.destroy();
        sock.destroy();
        reject(fail(ABANDONED));
      };
      if (o.signal?.aborted) return abandon();
      if (sock.destroyed) {
        // Refused or reset before ssh2 took the socket: ssh2 would never hear of it.
        settled = true;
        lastError = early;
        reject(explain());
        return;
      }
      o.signal?.addEventListener('abort', abandon, { once: true });
      client.once('close', () => o.signal?.removeEventListener('abort', abandon));
      try {
        client.connect(config);
        sock.off('error', onEarly);
      } catch (e) {
        settled = true;
        sock.destroy();
        reject(fail((e as Error).message));
      }
    });
    return link;
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

