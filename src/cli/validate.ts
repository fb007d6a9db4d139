// kiln validate: playbooks and roles checked exactly as `play` checks them, without running.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { EXIT } from '../engine/exit_codes.js';
import { Problem, ValidationError } from '../engine/errors.js';
import { parseExtraVars } from './extra_vars.js';
import { prepare } from './prepare.js';
import { loadInventory } from '../engine/inventory/load.js';
import { Loader } from '../engine/playbook/load.js';
import { checkPlays } from '../engine/playbook/check.js';
import type { Inherited, Play } from '../engine/playbook/model.js';

/** Validate each path; prints every problem, returns the exit code. */
export async function validateCommand(paths: string[], o: { inventory: string[]; extraVars: string[] }): Promise<number> {
  const extra = parseExtraVars(o.extraVars);
  const problems: Problem[] = [];
  let count = 0;
  for (const p of paths) {
    try {
      if (existsSync(p) && statSync(p).isDirectory()) await validateRole(p, o.inventory, extra);
      else await prepare(p, o.inventory, extra);
      count++;
    } catch (e) {
      if (e instanceof ValidationError) problems.push(...e.problems);
      else throw e;
    }
  }
  if (problems.length) {
    process.stderr.write(`${problems.map((p) => p.format()).join('\n')}\n`);
    process.stderr.write(`kiln: ${problems.length} problem${problems.length === 1 ? '' : 's'} found; nothing was run\n`);
    return EXIT.INVALID;
  }
  process.stdout.write(`kiln: ${count} file${count === 1 ? '' : 's'} valid\n`);
  return EXIT.OK;
}

/** A role on its own: load it as a play with one role entry and its defaults as parameters. */
async function validateRole(dir: string, inventory: string[], extra: Record<string, unknown>): Promise<void> {
  const abs = resolve(dir);
  if (!existsSync(join(abs, 'tasks')) && !existsSync(join(abs, 'meta')) && !existsSync(join(abs, 'handlers'))) {
    throw new ValidationError(new Problem(`${dir} is not a role (it has no tasks/, handlers/ or meta/ folder)`, { fix: 'give a playbook file or a role folder' }));
  }
  const inv = await loadInventory(inventory, { playbookDir: dirname(abs) });
  const loader = new Loader({ rolesPath: [dirname(abs)], standaloneRole: true });
  const base: Inherited = { when: [], tags: [], blockVars: [] };
  const handlers: Play['handlers'] = [];
  const loc = { file: join(abs, 'tasks', 'main.yml'), line: 1, col: 1 };
  const nodes = loader.roleRef({ role: abs }, dirname(abs), base, handlers, new Map(), loc);
  if (loader.problems.length) throw new ValidationError(loader.problems);
  const play: Play = {
    name: basename(abs),
    hosts: 'all',
    loc,
    file: loc.file,
    vars: {},
    varsFiles: [],
    gatherFacts: false,
    serial: [],
    anyErrorsFatal: false,
    forceHandlers: false,
    sections: [nodes],
    handlers,
    importVars: {},
  };
  const names = new Set<string>(Object.keys(extra));
  for (const h of inv.hosts.keys()) names.add(h);
  const found = checkPlays([play], { global: names });
  if (found.length) throw new ValidationError(found);
}
