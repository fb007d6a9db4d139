import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadInventory } from '../../../src/engine/inventory/load.js';
import { graph, listJson } from '../../../src/engine/inventory/render.js';

const FIX = fileURLToPath(new URL('../../fixtures/inventory/', import.meta.url));

describe('inventory rendering', () => {
  it('lists like ansible-inventory --list: _meta.hostvars merged, all.children, groups with hosts/children/vars', async () => {
    const inv = await loadInventory([`${FIX}script/inventory.sh`]);
    assert.deepEqual(JSON.parse(JSON.stringify(listJson(inv))), {
      _meta: {
        hostvars: {
          w1: { env: 'prod', http_port: 80, kiln_host: '10.0.0.1' },
          w2: { env: 'prod', http_port: 80 },
          d1: { env: 'prod', ansible_port: 2200 },
        },
      },
      all: { children: ['ungrouped', 'prod'] },
      db: { hosts: ['d1'] },
      prod: { children: ['web', 'db'], vars: { env: 'prod' } },
      web: { hosts: ['w1', 'w2'], vars: { http_port: 80 } },
    });
  });

  it('round-trips: its own --list output loads back to the same inventory', async () => {
    const inv = await loadInventory([`${FIX}basic/hosts.yml`], { playbookDir: `${FIX}playbook` });
    const dir = mkdtempSync(`${tmpdir()}/kiln-inv-`);
    try {
      writeFileSync(`${dir}/listed.json`, JSON.stringify(listJson(inv)));
      const again = await loadInventory([`${dir}/listed.json`]);
      assert.deepEqual(JSON.parse(JSON.stringify(listJson(again))), JSON.parse(JSON.stringify(listJson(inv))));
      assert.equal(graph(again), graph(inv));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('draws the tree like ansible-inventory --graph', async () => {
    const inv = await loadInventory([`${FIX}basic/hosts.ini`]);
    assert.equal(
      graph(inv),
      [
        '@all:',
        '  |--@prod:',
        '  |  |--@db:',
        '  |  |  |--db1.example.com',
        '  |  |  |--db2.example.com',
        '  |  |--@web:',
        '  |  |  |--web01.example.com',
        '  |  |  |--web02.example.com',
        '  |  |  |--web03.example.com',
        '  |  |  |--web04.example.com',
        '  |--@ungrouped:',
        '  |  |--bastion.example.com',
      ].join('\n'),
    );
    assert.equal(graph(inv, 'web').split('\n')[0], '@web:');
  });

  it('shows the implicit localhost', async () => {
    const inv = await loadInventory([]);
    assert.equal(graph(inv), '@all:\n  |--@ungrouped:\n  |  |--localhost');
    assert.deepEqual(JSON.parse(JSON.stringify(listJson(inv))), {
      _meta: { hostvars: { localhost: { kiln_connection: 'local' } } },
      all: { children: ['ungrouped'] },
      ungrouped: { hosts: ['localhost'] },
    });
  });
});
