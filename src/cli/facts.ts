// kiln facts HOST: gather and print one host's facts as JSON.
import { localConnection } from '../engine/connection/local.js';
import { EXIT } from '../engine/exit_codes.js';
import { UsageError } from '../engine/errors.js';
import { gatherFacts } from '../engine/facts/gather.js';
import { connectionSettings } from '../engine/inventory/connection_vars.js';
import { loadInventory } from '../engine/inventory/load.js';
import { hostVars } from '../engine/inventory/vars.js';

export async function factsCommand(host: string, o: { inventory: string[] }): Promise<number> {
  const inv = await loadInventory(o.inventory);
  if (!inv.hosts.has(host)) throw new UsageError(`host ${JSON.stringify(host)} is not in the inventory`);
  const s = connectionSettings(host, hostVars(inv, host));
  const conn = s.connection === 'local' ? localConnection(host) : await (await import('../engine/connection/ssh.js')).sshConnection(s, { knownHostsFile: s.knownHostsFile, onWarning: (m) => process.stderr.write(`[WARNING]: ${m}\n`) });
  try {
    process.stdout.write(`${JSON.stringify({ ansible_facts: await gatherFacts(conn) }, null, 2)}\n`);
  } finally {
    await conn.close();
  }
  return EXIT.OK;
}
