// An SSH target for unit tests of the connection's pure parts (auth order, failure wording, broker requests).
import type { LinkTarget } from '../../src/engine/connection/ssh_target.js';

/** A plain target (h:22 as deploy, strict host keys, no keys or agent), with the fields a test sets. */
export function linkTarget(over: Partial<LinkTarget> = {}): LinkTarget {
  return {
    address: 'h',
    port: 22,
    user: 'deploy',
    identityFiles: [],
    explicitIdentities: false,
    knownHostsFiles: [],
    globalKnownHostsFiles: [],
    policy: 'strict',
    hashKnownHosts: false,
    useAgent: undefined,
    timeoutSec: 10,
    ...over,
  };
}
