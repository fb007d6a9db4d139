import { strict as assert } from 'node:assert';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '../../../src/engine/errors.js';
import { loadInventory } from '../../../src/engine/inventory/load.js';
import { graph, listJson } from '../../../src/engine/inventory/render.js';
import { hostVars } from '../../../src/engine/inventory/vars.js';

const FIX = fileURLToPath(new URL('../../fixtures/inventory/', import.meta.url));

/** Write an inventory to a fresh temporary folder, run `fn` on its path, then remove the folder. */
async function withInventoryFile<T>(name: string, text: string, fn: (path: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(`${tmpdir()}/kiln-inv-`);
  try {
    writeFileSync(`${dir}/${name}`, text);
    return await fn(`${dir}/${name}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('loadInventory: formats', () => {
  it('reads the YAML and the INI format into the same structure', async () => {
    const yaml = await loadInventory([`${FIX}basic/hosts.yml`]);
    const ini = await loadInventory([`${FIX}basic/hosts.ini`]);
    assert.deepEqual([...ini.hosts.keys()], [...yaml.hosts.keys()]);
    // Groups are created as first mentioned (YAML nests web inside prod), so compare them as sets.
    assert.deepEqual([...ini.groups.keys()].sort(), [...yaml.groups.keys()].sort());
    for (const [name, g] of yaml.groups) assert.deepEqual({ ...ini.groups.get(name), vars: { ...ini.groups.get(name)?.vars } }, { ...g, vars: { ...g.vars } }, name);
    assert.deepEqual(JSON.parse(JSON.stringify(listJson(ini))), JSON.parse(JSON.stringify(listJson(yaml))));
    assert.equal(graph(ini), graph(yaml));
    for (const h of yaml.hosts.keys()) assert.deepEqual({ ...hostVars(ini, h) }, { ...hostVars(yaml, h) }, h);
  });

  it('builds groups, children, parents and ungrouped like Ansible', async () => {
    const inv = await loadInventory([`${FIX}basic/hosts.ini`]);
    assert.deepEqual([...inv.groups.keys()], ['all', 'ungrouped', 'web', 'db', 'prod']);
    assert.deepEqual(inv.groups.get('all')?.children, ['ungrouped', 'prod']);
    assert.deepEqual(inv.groups.get('prod')?.children, ['web', 'db']);
    assert.deepEqual(inv.groups.get('web')?.parents, ['prod']);
    assert.deepEqual(inv.groups.get('ungrouped')?.hosts, ['bastion.example.com']);
    assert.deepEqual(inv.hosts.get('db1.example.com')?.groups, ['db']);
    assert.deepEqual(inv.groups.get('web')?.hosts, ['web01.example.com', 'web02.example.com', 'web03.example.com', 'web04.example.com']);
  });

  it('parses INI values like Ansible: numbers, booleans, quoted strings', async () => {
    const text = [
      'h1 n=42 f=1.5 mode=0644 t=True fl=false s="two words" q="42" e= hash=a#b # trailing comment',
      '[all:vars]',
      'greeting = "hello # not a comment"',
      'list=[1, "a"]',
      'neg=-3',
      'plain=some text here',
    ].join('\n');
    const inv = await withInventoryFile('hosts', text, (path) => loadInventory([path]));
    const v = hostVars(inv, 'h1');
    assert.deepEqual(
      { ...v, list: [...(v['list'] as unknown[])] },
      { greeting: 'hello # not a comment', list: [1, 'a'], neg: -3, plain: 'some text here', n: 42, f: 1.5, mode: '0644', t: true, fl: false, s: 'two words', q: '42', e: '', hash: 'a#b' },
    );
  });

  it('detects YAML by content when the file has no extension', async () => {
    const inv = await withInventoryFile('inventory', 'all:\n  hosts:\n    a:\n      x: yes\n', (path) => loadInventory([path]));
    assert.deepEqual([...inv.hosts.keys()], ['a']);
    assert.equal(inv.hosts.get('a')?.vars['x'], true, 'YAML 1.1 booleans, as in Ansible');
    assert.deepEqual(inv.groups.get('ungrouped')?.hosts, ['a'], 'a host listed directly under all is ungrouped');
    assert.deepEqual(inv.groups.get('all')?.hosts, []);
  });

  it('reads a file with another extension as INI only, as Ansible does (hosts.ini is never YAML)', async () => {
    // Valid YAML with an inventory's shape: read as INI, "all:" is a host name and "hosts:" another.
    const text = 'all:\n  hosts:\n    a:\n';
    const bare = await withInventoryFile('hosts', text, (path) => loadInventory([path]));
    assert.deepEqual([...bare.hosts.keys()], ['a']);
    await assert.rejects(
      withInventoryFile('hosts.ini', text, (path) => loadInventory([path])),
      (e) =>
        e instanceof ValidationError &&
        /hosts\.ini:1:1: this file reads as a YAML inventory, but its extension \(\.ini\) makes it INI, as in Ansible\n {4}fix: rename it to hosts\.yml \(or give it no extension\)/.test(e.message) &&
        /hosts\.ini:1:1: port "" in host entry is not a port number \(got "all:"\)/.test(e.message),
    );
    // A broken INI file that does not read as YAML gets the INI problems alone.
    await assert.rejects(
      withInventoryFile('hosts.ini', '[web]\nweb1 a\n', (path) => loadInventory([path])),
      (e) => e instanceof ValidationError && !/reads as a YAML inventory/.test(e.message) && e.problems.length === 1,
    );
  });

  it('reads an executable file without "#!" as data, not as a script', async () => {
    const inv = await withInventoryFile('hosts', '[web]\nweb1\n', async (path) => {
      chmodSync(path, 0o755);
      return loadInventory([path]);
    });
    assert.deepEqual(inv.groups.get('web')?.hosts, ['web1']);
  });

  it('sets the port from host:port unless a port variable is given', async () => {
    const inv = await loadInventory([`${FIX}basic/hosts.yml`]);
    assert.equal(inv.hosts.get('web04.example.com')?.vars['kiln_port'], 2222);
    assert.equal(inv.hosts.get('web01.example.com')?.vars['kiln_port'], undefined);
    const explicit = await withInventoryFile('hosts', 'web1:2222 ansible_port=2200\n', (path) => loadInventory([path]));
    assert.deepEqual({ ...explicit.hosts.get('web1')?.vars }, { ansible_port: 2200 });
    const list = await loadInventory(['a:2201,b,']);
    assert.equal(list.hosts.get('a')?.vars['kiln_port'], 2201);
  });

  it('accepts a comma list of hosts, with a trailing comma for a single host', async () => {
    const one = await loadInventory(['web1,']);
    assert.deepEqual([...one.hosts.keys()], ['web1']);
    assert.deepEqual(one.groups.get('ungrouped')?.hosts, ['web1']);
    const many = await loadInventory([' a , b[1:2] ,']);
    assert.deepEqual([...many.hosts.keys()], ['a', 'b1', 'b2']);
  });

  it('has the implicit localhost, on the local connection, when there is no source', async () => {
    const inv = await loadInventory([]);
    assert.deepEqual([...inv.hosts.keys()], ['localhost']);
    assert.equal(inv.hosts.get('localhost')?.vars['kiln_connection'], 'local');
    assert.deepEqual(inv.groups.get('ungrouped')?.hosts, ['localhost']);
    assert.deepEqual([...inv.groups.keys()], ['all', 'ungrouped']);
  });

  it('reads every file of a folder in name order, skipping vars folders and docs', async () => {
    const inv = await loadInventory([`${FIX}dir`]);
    assert.deepEqual([...inv.hosts.keys()], ['web1', 'web2', 'db1', 'cache1']);
    assert.deepEqual(inv.groups.get('backend')?.children, ['web', 'db']);
    assert.deepEqual(
      inv.sources.map((s) => s.slice(FIX.length)),
      ['dir/01-web.ini', 'dir/02-db.yml', 'dir/03-links', 'dir/listing.json', 'dir/group_vars/all.yml', 'dir/host_vars/web1.yml'],
    );
    // A .json file in the dynamic-inventory format is read like a script's output.
    assert.equal(inv.hosts.get('cache1')?.vars['cache_size'], 512);
    assert.equal(hostVars(inv, 'db1')['from_dir'], true);
    assert.equal(hostVars(inv, 'web1')['web1_only'], 1);
  });

  it('merges several sources in order', async () => {
    const inv = await loadInventory([`${FIX}dir/01-web.ini`, 'extra1,']);
    assert.deepEqual([...inv.hosts.keys()], ['web1', 'web2', 'extra1']);
  });
});

describe('loadInventory: scripts', () => {
  it('runs an executable with --list and reads groups, children, vars and _meta', async () => {
    const inv = await loadInventory([`${FIX}script/inventory.sh`]);
    assert.deepEqual([...inv.hosts.keys()], ['w1', 'w2', 'd1']);
    assert.deepEqual(inv.groups.get('db')?.hosts, ['d1']);
    assert.deepEqual(inv.groups.get('prod')?.children, ['web', 'db']);
    assert.deepEqual({ ...hostVars(inv, 'w1') }, { env: 'prod', http_port: 80, kiln_host: '10.0.0.1' });
    assert.equal(inv.hosts.has('ghost'), false);
  });

  it('asks a script without _meta for each host with --host', async () => {
    const inv = await loadInventory([`${FIX}script/legacy.sh`]);
    assert.deepEqual({ ...inv.hosts.get('a1')?.vars }, { slot: 1 });
    assert.deepEqual({ ...inv.hosts.get('a2')?.vars }, {});
  });

  it("skips a script's .ini settings file in a folder", async () => {
    const inv = await loadInventory([`${FIX}script`]);
    assert.ok(inv.hosts.has('i-123'));
    assert.equal(inv.groups.has('ec2'), true);
    assert.ok(!inv.sources.some((s) => s.endsWith('ec2.ini')));
  });
});
