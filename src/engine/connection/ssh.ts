// The SSH transport: one ssh2 Client per host, on which ShellConnection opens its persistent
// `sh` channels (one per become user). Connects eagerly so an unreachable host fails up front.
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { ConnectionError } from '../errors.js';
import type { ConnectionSettings } from '../inventory/connection_vars.js';
import type { HostKeyPolicy } from './known_hosts.js';
import { SshRunCache } from './ssh_cache.js';
import { ShellConnection } from './shell_connection.js';
import { expandTokens, loadSshConfig, resolveSshConfig, type SshHostConfig } from './ssh_config.js';
import { SshLink } from './ssh_link.js';
import type { SshOptions, SshTarget } from './ssh_target.js';
import { brokerConnection } from './broker/client.js';
import type { Connection } from './types.js';

export { SshRunCache };

const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

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

/**
 * Connect to a host over SSH. Resolves once logged in; throws ConnectionError (refused, timed out,
 * host key refused, authentication failed with what was tried) otherwise. With
 * s.controlPersistSec > 0 the login is the broker's (broker/), reused by the runs that follow
 * within that time; when the broker cannot be used, kiln warns and connects directly.
 */
export async function sshConnection(s: ConnectionSettings, o: SshOptions = {}): Promise<Connection> {
  let t: SshTarget;
  try {
    t = resolveTarget(s, o);
  } catch (e) {
    throw new ConnectionError(s.name, `cannot read the ssh client config: ${(e as Error).message}`);
  }
  for (const w of t.config.warnings) o.onWarning?.(`ssh client config: ${w}`);
  // The broker's lease or a direct login: either gives the channels ShellConnection opens.
  const link = (s.controlPersistSec > 0 ? await brokerConnection(s, t, o) : undefined) ?? (await SshLink.open(s.name, t, s, o));
  return new ShellConnection({
    host: s.name,
    opener: link.opener,
    loginUser: t.user,
    becomePassword: s.becomePassword,
    onClose: () => link.close(),
  });
}

function safeLocalUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'root';
  }
}
