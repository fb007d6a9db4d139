// key=value arguments are typed by the module's schema, as Ansible's argument spec types them.
import { strict as assert } from 'node:assert';
import { normalizeTask, typedArg } from '../../../src/engine/playbook/normalize.js';
import { validateAgainst } from '../../../src/engine/schema/validate.js';

function kv(module: string, text: string): Record<string, unknown> {
  const task: Record<string, unknown> = { [module]: text };
  normalizeTask(task);
  return { ...(task[module] as Record<string, unknown>) };
}

describe('playbook: key=value arguments', () => {
  it('types booleans, integers and lists by the module schema; strings stay strings', () => {
    assert.deepEqual(kv('service', 'name=cron state=started enabled=yes'), { name: 'cron', state: 'started', enabled: true });
    assert.deepEqual(kv('apt', 'update_cache=true cache_valid_time=86400'), { update_cache: true, cache_valid_time: 86400 });
    assert.deepEqual(kv('file', 'path=/x state=directory mode=0750 recurse=YES'), { path: '/x', state: 'directory', mode: '0750', recurse: true });
    assert.deepEqual(kv('package', 'name=curl,wget'), { name: ['curl', 'wget'] });
    assert.deepEqual(kv('package', 'name=curl'), { name: 'curl' });
    assert.deepEqual(kv('copy', 'content=0644 dest=/x force=no'), { content: '0644', dest: '/x', force: false });
  });

  it('keeps templated values and values that fit no type as text, for the schema to judge', () => {
    assert.equal(typedArg('service', 'enabled', '{{ on_boot }}'), '{{ on_boot }}');
    assert.equal(typedArg('service', 'enabled', 'perhaps'), 'perhaps');
    assert.equal(typedArg('package', 'cache_valid_time', '1d'), '1d');
    assert.equal(typedArg('no_such_module_key', 'x', 'yes'), 'yes');
    const problems = validateAgainst('modules/service.schema.json', kv('service', 'name=cron enabled=perhaps')).map((p) => p.format());
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /enabled must be a boolean.*got "perhaps"/);
  });

  it('a key=value task passes the playbook schema as its mapping form does', () => {
    const play = [{ hosts: 'all', tasks: [{ service: kv('service', 'name=cron state=started enabled=yes') }, { apt: kv('apt', 'update_cache=true cache_valid_time=86400') }] }];
    assert.deepEqual(validateAgainst('playbook.schema.json', play), []);
  });
});
