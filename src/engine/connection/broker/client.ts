// kiln's side of the SSH connection broker: ask it for a logged-in connection (link.ts starts it
// if no broker answers) and run ShellConnection on it, with the channels opened through the broker
// (the same ShellOpener contract as a direct ssh2 connection), or say why it cannot be used.
import { resolve } from 'node:path';
import type { ConnectionSettings } from '../../inventory/connection_vars.js';
import type { LinkTarget, SshOptions, SshTarget } from '../ssh_target.js';
import { controlDir, controlSocket } from './control_dir.js';
import { BrokerLink, BrokerUnavailable } from './link.js';
import { type ConnectRequest, PROTOCOL } from './protocol.js';

const warned = new Set<string>();

/**
 * The connection to `t` through the broker (reusing one it holds, or logging in), or undefined
 * when the broker cannot be used (then it warned once, and the caller connects directly).
 * Throws the same ConnectionError a direct login gives when the login fails.
 */
export async function brokerConnection(s: ConnectionSettings, t: SshTarget, o: SshOptions): Promise<BrokerLink | undefined> {
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
  return link;
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
