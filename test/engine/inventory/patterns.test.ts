import { strict as assert } from 'node:assert';
import { fileURLToPath } from 'node:url';
import { UsageError, ValidationError } from '../../../src/engine/errors.js';
import { loadInventory } from '../../../src/engine/inventory/load.js';
import { selectHosts, splitPattern, unmatchedNames } from '../../../src/engine/inventory/patterns.js';
import type { Inventory } from '../../../src/engine/inventory/types.js';

const FIX = fileURLToPath(new URL('../../fixtures/inventory/', import.meta.url));

const WEB = ['web01.example.com', 'web02.example.com', 'web03.example.com', 'web04.example.com'];
const DB = ['db1.example.com', 'db2.example.com'];

describe('host patterns', () => {
  let inv: Inventory;
  before(async () => {
    inv = await loadInventory([`${FIX}basic/hosts.yml`]);
  });
  const sel = (p: string, limit?: string): string[] => selectHosts(inv, p, limit);

  it('selects all hosts with all or *', () => {
    assert.deepEqual(sel('all'), ['bastion.example.com', ...WEB, ...DB]);
    assert.deepEqual(sel('*'), sel('all'));
  });

  it('selects a group (with its children) or a single host', () => {
    assert.deepEqual(sel('web'), WEB);
    assert.deepEqual(sel('prod'), [...WEB, ...DB]);
    assert.deepEqual(sel('db2.example.com'), ['db2.example.com']);
    assert.deepEqual(sel('ungrouped'), ['bastion.example.com']);
  });

  it('unions with ":" and ",", keeping inventory order without duplicates', () => {
    assert.deepEqual(sel('db:web'), [...WEB, ...DB]);
    assert.deepEqual(sel('db, web, web01.example.com'), [...WEB, ...DB]);
    assert.deepEqual(sel('bastion.example.com,prod:!web'), ['bastion.example.com', ...DB]);
  });

  it('intersects with :&', () => {
    assert.deepEqual(sel('prod:&db'), DB);
    assert.deepEqual(sel('web:&db'), []);
  });

  it('excludes with :!', () => {
    assert.deepEqual(sel('prod:!db'), WEB);
    assert.deepEqual(sel('all:!prod'), ['bastion.example.com']);
  });

  it('applies unions first, then intersections, then exclusions, whatever the written order', () => {
    assert.deepEqual(sel('!web02.example.com:&web:prod'), ['web01.example.com', 'web03.example.com', 'web04.example.com']);
    // Only exclusions: they apply to all, as in Ansible.
    assert.deepEqual(sel('!prod'), ['bastion.example.com']);
  });

  it('matches wildcards against hosts and groups', () => {
    assert.deepEqual(sel('web0[12]*'), ['web01.example.com', 'web02.example.com']);
    assert.deepEqual(sel('*.example.com:!web*'), ['bastion.example.com', ...DB]);
    assert.deepEqual(sel('d?'), DB, 'd? matches the group db');
    assert.deepEqual(sel('WEB*'), [], 'case-sensitive');
  });

  it('matches ~regex from the start of the name', () => {
    assert.deepEqual(sel('~web0[34]'), ['web03.example.com', 'web04.example.com']);
    assert.deepEqual(sel('~db\\d\\.'), DB);
    assert.deepEqual(sel('~example'), [], 'anchored at the start like Python re.match');
    assert.throws(() => sel('~web(('), ValidationError);
  });

  it('takes subscripts of a group', () => {
    assert.deepEqual(sel('web[0]'), ['web01.example.com']);
    assert.deepEqual(sel('web[-1]'), ['web04.example.com']);
    assert.deepEqual(sel('web[1:2]'), ['web02.example.com', 'web03.example.com']);
    assert.deepEqual(sel('web[2:]'), ['web03.example.com', 'web04.example.com']);
  });

  it('narrows with --limit using the same syntax', () => {
    assert.deepEqual(sel('all', 'db'), DB);
    assert.deepEqual(sel('prod', 'web:!web01.example.com'), ['web02.example.com', 'web03.example.com', 'web04.example.com']);
    assert.deepEqual(sel('db', 'web'), []);
    assert.deepEqual(sel('all', '!prod'), ['bastion.example.com']);
  });

  it('reads a --limit @file with one pattern per line', () => {
    assert.deepEqual(sel('all', `@${FIX}limit.txt`), ['web01.example.com', 'db1.example.com']);
    assert.deepEqual(sel('web', `@${FIX}limit.txt`), ['web01.example.com']);
    assert.throws(() => sel('all', `@${FIX}missing.txt`), UsageError);
    assert.throws(() => sel('all', `@${FIX}basic`), UsageError);
  });

  it('returns nothing for an unknown name and reports it for a warning', () => {
    assert.deepEqual(sel('nosuch'), []);
    assert.deepEqual(sel('web:nosuch'), WEB);
    assert.deepEqual(unmatchedNames(inv, 'web:nosuch:&other:!~zz.*:db1.example.com:all'), ['nosuch', 'other', '~zz.*']);
    // An empty group exists: not a typo.
    assert.deepEqual(unmatchedNames(inv, 'ungrouped'), []);
  });

  it('splits patterns like Ansible, keeping brackets and IPv6 addresses whole', () => {
    assert.deepEqual(splitPattern('a:b:&c:!d'), ['a', 'b', '&c', '!d']);
    assert.deepEqual(splitPattern('web[1:2]:db'), ['web[1:2]', 'db']);
    assert.deepEqual(splitPattern('a, b:&c,'), ['a', 'b', '&c']);
    assert.deepEqual(splitPattern('fe80::1'), ['fe80::1']);
  });
});
