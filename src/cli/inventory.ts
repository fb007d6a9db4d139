// kiln inventory --list | --graph
import { EXIT } from '../engine/exit_codes.js';
import { UsageError } from '../engine/errors.js';
import { loadInventory } from '../engine/inventory/load.js';
import { graph, listJson } from '../engine/inventory/render.js';

export async function inventoryCommand(o: { inventory: string[]; list: boolean; graph: boolean }): Promise<number> {
  if (o.list === o.graph) throw new UsageError('kiln inventory needs exactly one of --list or --graph');
  const inv = await loadInventory(o.inventory);
  process.stdout.write(o.list ? `${JSON.stringify(listJson(inv), null, 2)}\n` : `${graph(inv)}\n`);
  return EXIT.OK;
}
