// [fleet] cost per host must not grow with the fleet: a task's variable scope does not merge
// every other host's variables (hostvars is computed on use, once per inventory, each host's
// templates rendered in its own context).
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadInventory } from '../../src/engine/inventory/load.js';
import { hostVars, magicVars } from '../../src/engine/inventory/vars.js';
import type { Inherited, Play } from '../../src/engine/playbook/model.js';
import { resolveScope } from '../../src/engine/vars/scope.js';

describe('fleet: per-host cost does not grow with the fleet', function () {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'kiln-scale-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('resolving a scope for each of 2000 hosts merges each host once, and hostvars still answers', async () => {
    const file = join(dir, 'hosts.ini');
    writeFileSync(file, '[fleet]\nh[0001:2000]\n\n[fleet:vars]\nsite=eu\nurl="http://{{ inventory_hostname }}"\n');
    const inv = await loadInventory([file]);
    // Count how often the group's variables are merged into some host's variables.
    let merges = 0;
    Object.defineProperty(inv.groups.get('fleet')?.vars ?? {}, 'probe', {
      enumerable: true,
      get: () => ++merges,
    });
    const play = { vars: {}, varsFiles: [], importVars: {} } as unknown as Play;
    const inherited = { blockVars: [] } as unknown as Inherited;
    const scopes = [...inv.hosts.keys()].map((h) =>
      resolveScope({ inventory: hostVars(inv, h), facts: {}, magic: magicVars(inv, h), runtime: {}, extra: {} }, { play, inherited, taskVars: {} }),
    );
    assert.equal(merges, 2000, 'each host merged once (its own inventory layer), not once per other host');
    const s = scopes[41] as Record<string, unknown>;
    assert.equal(s['url'], 'http://h0042');
    const hv = s['hostvars'] as Record<string, Record<string, unknown>>;
    assert.equal(hv['h1999']?.['site'], 'eu');
    assert.equal(hv['h1999']?.['inventory_hostname'], 'h1999');
    // Another host's templated variable is rendered in that host's context, not the reader's.
    assert.equal(hv['h1999']?.['url'], 'http://h1999');
    assert.equal(merges, 2001, 'hostvars merged the one host asked for');
    assert.equal(Object.keys(hv).length, 2000);
  });
});
