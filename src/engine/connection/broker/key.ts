// Which requests may share a connection: the same key means the same login, verified the same way.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { ConnectRequest } from './protocol.js';

/** Keys connections for one broker; secrets enter the key only as HMACs under a salt of its own. */
export class ConnectionKeys {
  private readonly salt = randomBytes(32);

  /**
   * Everything that decides what the connection is and how it was verified: where, as whom, with
   * which keys, agent and secrets, checked against which known_hosts files under which policy,
   * with which keepalive. Not the connect timeout (it no longer matters once connected) nor the
   * persist time (the latest request sets it).
   */
  key(r: ConnectRequest): string {
    const t = r.target;
    const secret = (s: string | undefined): string | null => (s === undefined ? null : createHmac('sha256', this.salt).update(s, 'utf8').digest('hex'));
    const parts = [
      t.address,
      t.port,
      t.user,
      t.identityFiles,
      t.explicitIdentities,
      t.knownHostsFiles,
      t.globalKnownHostsFiles,
      t.policy,
      t.hashKnownHosts,
      t.useAgent ?? null,
      r.keepaliveIntervalMs ?? null,
      r.keepaliveCountMax ?? null,
      secret(r.secrets.password),
      secret(r.secrets.privateKeyPassphrase),
    ];
    return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  }
}
