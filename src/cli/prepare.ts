// Everything that happens before a host is contacted: inventory, extra vars, playbook, checks.
import { dirname, resolve } from 'node:path';
import { ValidationError } from '../engine/errors.js';
import { loadInventory } from '../engine/inventory/load.js';
import type { Inventory } from '../engine/inventory/types.js';
import { hostVars } from '../engine/inventory/vars.js';
import { checkPlays } from '../engine/playbook/check.js';
import { loadPlaybook } from '../engine/playbook/load.js';
import type { Playbook } from '../engine/playbook/model.js';

export interface Prepared {
  inventory: Inventory;
  playbook: Playbook;
}

/** Names defined outside the playbook: every inventory variable, extra vars, connection vars. */
function globalNames(inv: Inventory, extra: Record<string, unknown>): Set<string> {
  const names = new Set<string>(Object.keys(extra));
  for (const h of inv.hosts.keys()) for (const k of Object.keys(hostVars(inv, h))) names.add(k);
  return names;
}

/** Load and validate; throws ValidationError listing every problem. No host is contacted. */
export async function prepare(playbookFile: string, inventorySources: string[], extra: Record<string, unknown>): Promise<Prepared> {
  const inventory = await loadInventory(inventorySources, { playbookDir: dirname(resolve(playbookFile)) });
  const { playbook } = loadPlaybook(playbookFile);
  const problems = checkPlays(playbook.plays, { global: globalNames(inventory, extra) });
  if (problems.length) throw new ValidationError(problems);
  return { inventory, playbook };
}
