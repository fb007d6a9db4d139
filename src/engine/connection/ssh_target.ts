// The SSH vocabulary the direct login (ssh_link.ts) and the connection broker (broker/) share:
// where and as whom kiln logs in, with what options and secrets, and how a failed login reads.
// A leaf of the SSH code, so that ssh.ts, ssh_link.ts and broker/ need not import one another for it.
import { ConnectionError } from '../errors.js';
import { type HostKeyPolicy, knownHostName } from './known_hosts.js';
import type { SshRunCache } from './ssh_cache.js';
import type { SshHostConfig } from './ssh_config.js';

/** How sshConnection (ssh.ts) connects; the broker client takes the keepalive and the abort signal from it. */
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
  /** Told about ssh config lines kiln ignored (bad values, unsupported Match criteria), and why the connection broker could not be used. */
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

/** What a link is made from: the resolved target without the ssh config it came from. */
export type LinkTarget = Omit<SshTarget, 'config'>;

/** The secrets a login may use. Never logged, never part of a message. */
export interface SshSecrets {
  password?: string;
  privateKeyPassphrase?: string;
}

/** `user@host` or `user@[host]:port`, as connection messages name the destination. */
export function destination(t: LinkTarget): string {
  return `${t.user}@${knownHostName(t.address, t.port)}`;
}

export const ABANDONED = 'the connection attempt was abandoned (the run no longer needs this host)';

/** The message for a connect that failed with `msg` (the same whichever path connected). */
export function connectFailure(name: string, t: LinkTarget, msg: string): ConnectionError {
  return new ConnectionError(name, `cannot connect to ${destination(t)}: ${msg}`);
}

/** How a dead link refuses a new channel. */
export function noReconnect(name: string, dead: string): ConnectionError {
  return new ConnectionError(name, `${dead}; kiln does not reconnect in the middle of a run`);
}

/** What a login gathers as it goes, to explain a failure. */
export interface LoginTrace {
  /** TCP connected: a timeout is then the SSH handshake's, not the connect's. */
  tcpUp: boolean;
  /** Why the host key check refused the server's key. */
  hostKeyProblem?: string;
  /** The first error ssh2 or the socket reported (ssh2 sets `level`, the socket `code`). */
  error?: Error & { level?: string; code?: string };
  /** The authentication attempts made, as labels ("publickey /root/.ssh/id_ed25519"). */
  tried: string[];
  /** The methods the server said it accepts. */
  serverMethods?: readonly string[];
  /** Keys that could not be used, and why. */
  keyNotes: readonly string[];
}

/** Why a login failed, in words, from what it gathered (pure). */
export function loginFailure(t: LinkTarget, trace: LoginTrace): string {
  const e = trace.error;
  if (trace.hostKeyProblem) return trace.hostKeyProblem;
  if (e?.level === 'client-authentication') {
    const offered = trace.serverMethods?.length ? `; the server accepts ${trace.serverMethods.join(', ')}` : '';
    const notes = trace.keyNotes.length ? `; ${trace.keyNotes.join('; ')}` : '';
    return `authentication failed for user ${t.user} (tried ${trace.tried.length ? trace.tried.join(', ') : 'nothing the server accepts'}${offered})${notes}`;
  }
  if (e?.level === 'client-timeout') {
    return trace.tcpUp
      ? `timed out after ${t.timeoutSec} s waiting for the SSH handshake (is an SSH server on port ${t.port}?)`
      : `timed out after ${t.timeoutSec} s connecting (host down or port filtered?)`;
  }
  switch (e?.code) {
    case 'ECONNREFUSED':
      return `connection refused (is sshd running and listening on port ${t.port}?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve host name ${t.address}`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to host';
    case 'ETIMEDOUT':
      return 'timed out connecting';
    case 'ECONNRESET':
      return 'the server reset the connection during the handshake';
  }
  if (e) return e.message;
  return 'the server closed the connection during the handshake';
}
