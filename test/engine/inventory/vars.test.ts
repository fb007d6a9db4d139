import { strict as assert } from 'node:assert';
import { fileURLToPath } from 'node:url';
import { loadInventory } from '../../../src/engine/inventory/load.js';
import { groupsInMergeOrder, hostVars, magicVars } from '../../../src/engine/inventory/vars.js';

const FIX = fileURLToPath(new URL('../../fixtures/inventory/', import.meta.url));

describe('inventory variables', () => {
  it('merges all < parent < child (deeper wins) < host', async () => {
    const inv = await loadInventory([`${FIX}precedence/hosts.yml`]);
    const v = hostVars(inv, 'h1');
    assert.equal(v['level'], 'zone');
    assert.equal(v['who'], 'host');
    assert.deepEqual(groupsInMergeOrder(inv, 'h1'), ['all', 'alpha', 'beta', 'region', 'zone']);
  });

  it('orders groups at the same depth by name, the later winning', async () => {
    const inv = await loadInventory([`${FIX}precedence/hosts.yml`]);
    assert.equal(hostVars(inv, 'h1')['sibling'], 'beta');
  });

  it('lets ansible_group_priority reorder groups at the same depth', async () => {
    const inv = await loadInventory([`${FIX}precedence/hosts.yml`]);
    // prio_high would win by name; priority 10 makes prio_low merge last.
    assert.equal(hostVars(inv, 'h2')['priority_winner'], 'prio_low');
  });

  it('uses the deepest path for a group reachable at several depths', async () => {
    const inv = await loadInventory([`${FIX}basic/hosts.yml`]);
    // web is under prod (depth 2), so web's role beats prod's, and host vars beat both.
    assert.equal(hostVars(inv, 'web02.example.com')['role'], 'web');
    assert.equal(hostVars(inv, 'db1.example.com')['role'], 'primary-db');
    assert.equal(hostVars(inv, 'bastion.example.com')['role'], 'generic');
  });

  it('merges group_vars/ and host_vars/ files over inline variables, in every file form', async () => {
    const inv = await loadInventory([`${FIX}basic/hosts.ini`]);
    const web = hostVars(inv, 'web01.example.com');
    assert.equal(web['http_port'], 8080, 'group_vars/web.yml beats [web:vars]');
    assert.equal(web['timezone'], 'UTC', 'group_vars/all.yml');
    const db1 = hostVars(inv, 'db1.example.com');
    assert.equal(db1['db_engine'], 'postgres', 'group_vars/db/10-main.yml');
    assert.equal(db1['db_port'], 5433, 'group_vars/db/20-override.yaml wins, by name order');
    assert.equal(hostVars(inv, 'db2.example.com')['role'], 'replica-db', 'host_vars file without extension');
    assert.ok(inv.sources.some((s) => s.endsWith('group_vars/db/10-main.yml')));
    assert.ok(!inv.sources.some((s) => s.endsWith('notes.md')));
  });

  it("lets the playbook folder's group_vars/host_vars win over the inventory's", async () => {
    const without = await loadInventory([`${FIX}basic/hosts.ini`]);
    assert.equal(hostVars(without, 'web01.example.com')['doc_root'], '/srv/www');
    const inv = await loadInventory([`${FIX}basic/hosts.ini`], { playbookDir: `${FIX}playbook` });
    assert.equal(hostVars(inv, 'web01.example.com')['doc_root'], '/var/www');
    assert.equal(hostVars(inv, 'web01.example.com')['maintenance'], true);
    assert.equal(hostVars(inv, 'web02.example.com')['maintenance'], undefined);
  });

  it('applies the playbook group_vars to the implicit localhost', async () => {
    const inv = await loadInventory([], { playbookDir: `${FIX}basic` });
    assert.equal(hostVars(inv, 'localhost')['timezone'], 'UTC');
    assert.equal(hostVars(inv, 'localhost')['kiln_connection'], 'local');
  });

  it('returns no variables for an unknown host', async () => {
    const inv = await loadInventory([`${FIX}basic/hosts.ini`]);
    assert.deepEqual(Object.keys(hostVars(inv, 'nope')), []);
  });
});

describe('magic variables', () => {
  it('gives inventory_hostname, the short name and sorted group_names without all/ungrouped', async () => {
    const inv = await loadInventory([`${FIX}basic/hosts.yml`]);
    const m = magicVars(inv, 'web01.example.com');
    assert.equal(m['inventory_hostname'], 'web01.example.com');
    assert.equal(m['inventory_hostname_short'], 'web01');
    assert.deepEqual(m['group_names'], ['prod', 'web']);
    assert.deepEqual(magicVars(inv, 'bastion.example.com')['group_names'], []);
  });

  it('gives groups with every host of each group, children included', async () => {
    const inv = await loadInventory([`${FIX}basic/hosts.yml`]);
    const groups = magicVars(inv, 'db1.example.com')['groups'] as Record<string, string[]>;
    assert.deepEqual(groups['db'], ['db1.example.com', 'db2.example.com']);
    assert.equal(groups['prod']?.length, 6);
    assert.equal(groups['all']?.length, 7);
    assert.deepEqual(groups['ungrouped'], ['bastion.example.com']);
  });

  it('gives hostvars for every host, computed on use and JSON-serialisable', async () => {
    const inv = await loadInventory([`${FIX}basic/hosts.yml`]);
    const hv = magicVars(inv, 'web01.example.com')['hostvars'] as Record<string, Record<string, unknown>>;
    assert.equal(hv['db1.example.com']?.['role'], 'primary-db');
    assert.equal(hv['db1.example.com']?.['inventory_hostname'], 'db1.example.com');
    assert.equal('nope' in hv, false);
    assert.equal(hv['nope'], undefined);
    const dumped = JSON.parse(JSON.stringify(hv)) as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(dumped), [...inv.hosts.keys()]);
    assert.equal(dumped['web04.example.com']?.['kiln_port'], 2222);
    assert.deepEqual(dumped['web04.example.com']?.['group_names'], ['prod', 'web']);
  });
});
