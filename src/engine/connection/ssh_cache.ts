// What SSH set-up reads from the controller's disk, read once per run and shared by its hosts:
// the ssh client config, known_hosts files and private keys (read, parsed and decrypted once:
// an encrypted key's KDF costs tens of ms). Without a cache every connection reads them afresh.
import type { ParsedKey } from 'ssh2';
import { KnownHostsCache } from './known_hosts.js';
import type { SshConfigLine } from './ssh_config.js';

/** A private key file as kiln found it: usable, or why not (`unreadable`: it could not be read at all). */
export type KeyOutcome = { key: ParsedKey } | { problem: string; unreadable: boolean };

export class SshRunCache {
  readonly knownHosts = new KnownHostsCache();
  private readonly configs = new Map<string, SshConfigLine[]>();
  private readonly keys = new Map<string, Promise<KeyOutcome>>();

  /** The parsed config file (with its includes); a read error is not kept, it throws again. */
  config(file: string, home: string, load: () => SshConfigLine[]): SshConfigLine[] {
    const id = `${home}\0${file}`;
    let lines = this.configs.get(id);
    if (!lines) this.configs.set(id, (lines = load()));
    return lines;
  }

  /** A key file's outcome for one passphrase (another passphrase is another outcome). */
  key(file: string, passphrase: string | undefined, load: () => Promise<KeyOutcome>): Promise<KeyOutcome> {
    const id = JSON.stringify([file, passphrase ?? null]);
    let p = this.keys.get(id);
    if (!p) this.keys.set(id, (p = load()));
    return p;
  }
}
