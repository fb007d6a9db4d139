// The SSH transport: one ssh2 Client per host, on which ShellConnection opens its persistent
// `sh` channels (one per become user). Connects eagerly so an unreachable host fails up front.
import { readFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { AnyAuthMethod, AuthenticationType, Client, ClientChannel, ConnectConfig, ParsedKey } from 'ssh2';
import { ConnectionError } from '../errors.js';
import type { ConnectionSettings } from '../inventory/connection_vars.js';
import { algorithmsForKeyType, checkHostKey, entriesFor, type HostKeyPolicy, knownHostName, readKnownHosts } from './known_hosts.js';
import { quoteArgv } from './quote.js';
import { type KeyOutcome, SshRunCache } from './ssh_cache.js';
import { ShellConnection } from './shell_connection.js';
import { expandTokens, loadSshConfig, resolveSshConfig, type SshHostConfig } from './ssh_config.js';
import { type ShellOpener, type ShellStream, streamOf } from './stream.js';
import type { Connection } from './types.js';

// Loaded on first use (40-50 ms of module loading), while the first TCP connect is under way.
let ssh2Loaded: Promise<typeof import('ssh2')> | undefined;
const loadSsh2 = (): Promise<typeof import('ssh2')> => (ssh2Loaded ??= import('ssh2').then((m) => m.default));

export { SshRunCache };

export interface SshOptions {
  /** Home directory for `~`, ~/.ssh/config, ~/.ssh/known_hosts and default keys (default: os.homedir()). */
  homeDir?: string;
  /** ssh client config to honour where the inventory is silent; false to read none (default ~/.ssh/config). */
  sshConfigFile?: string | false;
  /** A known_hosts file consulted first; accept-new records new keys here. */
  knownHostsFile?: string;
  /** Read-only known_hosts files (default /etc/ssh/ssh_known_hosts). */
  globalKnownHostsFiles?: readonly string[];
  /** Overrides ssh config's StrictHostKeyChecking. `off` needs settings.hostKeyChecking false instead. */
  hostKeyPolicy?: Exclude<HostKeyPolicy, 'off'>;
  /** ssh-agent socket (default $SSH_AUTH_SOCK); false to not use an agent. */
  agent?: string | false;
  /** Keepalive probe interval in ms (default 15000) and how many may go unanswered (default 3). */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Abandons the attempt while it is still connecting (rejects; a connection already up is not affected). */
  signal?: AbortSignal;
  /** Files already read in this run (ssh config, known_hosts, keys); none: read them for this connection. */
  cache?: SshRunCache;
  /** Told about ssh config lines kiln ignored (bad values, unsupported Match criteria). */
  onWarning?: (message: string) => void;
}

/** Where and as whom kiln connects, after ~/.ssh/config. */
export interface SshTarget {
  /** Address connected to (HostName if the config sets one). */
  address: string;
  port: number;
  user: string;
  identityFiles: string[];
  /** Whether identityFiles were named (inventory or config) rather than the ~/.ssh/id_* defaults. */
  explicitIdentities: boolean;
  knownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  policy: HostKeyPolicy;
  hashKnownHosts: boolean;
  useAgent: string | undefined;
  timeoutSec: number;
  config: SshHostConfig;
}

const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

// ssh2's default host key algorithms, in its order (ssh-dss is supported but not offered).
const HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/** Combine inventory settings, options and ssh config (inventory first, then config, then defaults). */
export function resolveTarget(s: ConnectionSettings, o: SshOptions = {}): SshTarget {
  const home = o.homeDir ?? homedir();
  const configFile = o.sshConfigFile === false ? undefined : (o.sshConfigFile ?? join(home, '.ssh', 'config'));
  const lines = configFile && (o.cache ? o.cache.config(configFile, home, () => loadSshConfig(configFile, home)) : loadSshConfig(configFile, home));
  const config: SshHostConfig = lines ? resolveSshConfig(lines, s.host) : { identityFiles: [], warnings: [] };
  const localUser = safeLocalUser();
  const address = config.hostName ? expandTokens(config.hostName, { home, host: s.host, localUser }) : s.host;
  // ConnectionSettings cannot tell "port 22" from "no port given": 22 lets the config decide.
  const port = s.port !== 22 ? s.port : (config.port ?? 22);
  const user = s.user ?? config.user ?? localUser;
  const ctx = { home, host: address, originalHost: s.host, user, port, localUser };
  const named = [...(s.privateKeyFile ? [s.privateKeyFile] : []), ...config.identityFiles.map((f) => expandTokens(f, ctx))];
  const identityFiles = named.length ? named : DEFAULT_IDENTITIES.map((n) => join(home, '.ssh', n));
  const userFiles = config.userKnownHostsFiles?.length
    ? config.userKnownHostsFiles.map((f) => expandTokens(f, ctx))
    : [join(home, '.ssh', 'known_hosts'), join(home, '.ssh', 'known_hosts2')];
  const knownHostsFiles = [...new Set([...(o.knownHostsFile ? [o.knownHostsFile] : []), ...userFiles])];
  let policy: HostKeyPolicy;
  if (!s.hostKeyChecking) policy = 'off';
  else if (o.hostKeyPolicy) policy = o.hostKeyPolicy;
  // kiln never asks; "no"/"off" in ssh config still refuse a changed key, so they mean accept-new.
  else if (config.strictHostKeyChecking === 'accept-new' || config.strictHostKeyChecking === 'no' || config.strictHostKeyChecking === 'off') policy = 'accept-new';
  else policy = 'strict';
  const agentSock = o.agent === false ? undefined : (o.agent ?? process.env.SSH_AUTH_SOCK);
  return {
    address,
    port,
    user,
    identityFiles,
    explicitIdentities: named.length > 0,
    knownHostsFiles,
    globalKnownHostsFiles: [...(o.globalKnownHostsFiles ?? ['/etc/ssh/ssh_known_hosts'])],
    policy,
    hashKnownHosts: config.hashKnownHosts ?? false,
    useAgent: agentSock && !config.identitiesOnly ? agentSock : undefined,
    // Like the port: the default 10 s lets the config's ConnectTimeout decide.
    timeoutSec: s.timeoutSec === 10 && config.connectTimeout ? config.connectTimeout : s.timeoutSec,
    config,
  };
}

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

async function loadKeys(t: SshTarget, passphrase: string | undefined, cache: SshRunCache | undefined): Promise<LoadedKeys> {
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

/**
 * Connect to a host over SSH. Resolves once logged in; throws ConnectionError (refused, timed out,
 * host key refused, authentication failed with what was tried) otherwise.
 */
export async function sshConnection(s: ConnectionSettings, o: SshOptions = {}): Promise<Connection> {
  let t: SshTarget;
  try {
    t = resolveTarget(s, o);
  } catch (e) {
    throw new ConnectionError(s.name, `cannot read the ssh client config: ${(e as Error).message}`);
  }
  for (const w of t.config.warnings) o.onWarning?.(w);
  const link = await SshLink.open(s, t, o);
  return new ShellConnection({
    host: s.name,
    opener: link.opener,
    loginUser: t.user,
    becomePassword: s.becomePassword,
    onClose: () => link.close(),
  });
}

/** Host key algorithms for the types known_hosts already holds (so the check compares like with like), most preferred first. */
async function knownKeyTypes(t: SshTarget, cache: SshRunCache | undefined): Promise<string[]> {
  if (t.policy === 'off') return [];
  const entries = entriesFor(await readKnownHosts([...t.knownHostsFiles, ...t.globalKnownHostsFiles], cache?.knownHosts), knownHostName(t.address, t.port));
  return [...new Set(entries.filter((e) => e.marker === undefined).flatMap((e) => algorithmsForKeyType(e.keyType)))];
}

const ABANDONED = 'the connection attempt was abandoned (the run no longer needs this host)';

/** One authenticated ssh2 client and the channels opened on it. */
class SshLink {
  private dead: string | undefined;
  private readonly ends = new Set<(reason: string) => void>();
  private readonly gone: Promise<void>;

  private constructor(
    private readonly client: Client,
    private readonly name: string,
    private readonly dest: string,
  ) {
    this.gone = new Promise((resolve) => client.once('close', () => resolve()));
  }

  static async open(s: ConnectionSettings, t: SshTarget, o: SshOptions): Promise<SshLink> {
    const dest = `${t.user}@${knownHostName(t.address, t.port)}`;
    const fail = (msg: string): ConnectionError => new ConnectionError(s.name, `cannot connect to ${dest}: ${msg}`);

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
      [ssh2, keys, knownTypes] = await Promise.all([loadSsh2(), loadKeys(t, s.privateKeyPassphrase, o.cache), knownKeyTypes(t, o.cache).catch((e: Error) => Promise.reject(fail(e.message)))]);
    } catch (e) {
      sock.destroy();
      throw e;
    }
    const attempts = [...keys.attempts];
    if (t.useAgent) attempts.push({ method: { type: 'agent', username: t.user, agent: t.useAgent }, label: `ssh-agent (${t.useAgent})`, needs: 'publickey' });
    if (s.password !== undefined) {
      const password = s.password;
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

    const link = new SshLink(client, s.name, dest);
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
  }

  readonly opener: ShellOpener = (argv) =>
    new Promise<ShellStream>((resolve, reject) => {
      if (this.dead !== undefined) {
        reject(new ConnectionError(this.name, `${this.dead}; kiln does not reconnect in the middle of a run`));
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

function safeLocalUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'root';
  }
}
