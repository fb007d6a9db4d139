// Inventory variables for a host, merged in Ansible's order, and the magic variables derived from the inventory.
import { lazilyRendered } from '../vars/lazy.js';
import { dict, groupHostNames, hostGroupNames, type Inventory } from './types.js';

/** Ansible's default priority for groups at the same depth; `ansible_group_priority` overrides it. */
const DEFAULT_PRIORITY = 1;

/** Merged inventory variables: 'all' < parent groups < child groups (same depth: priority, then name) < host vars. */
export function hostVars(inv: Inventory, host: string): Record<string, unknown> {
  const out = dict();
  const h = inv.hosts.get(host);
  if (!h) return out;
  for (const name of groupsInMergeOrder(inv, host)) {
    const vars = inv.groups.get(name)?.vars ?? {};
    for (const k of Object.keys(vars)) out[k] = vars[k];
  }
  for (const k of Object.keys(h.vars)) out[k] = h.vars[k];
  return out;
}

/** The host's groups sorted the way Ansible's sort_groups does: by depth, priority, then name; later ones win. */
export function groupsInMergeOrder(inv: Inventory, host: string): string[] {
  const depth = groupDepths(inv);
  const priority = (name: string): number => {
    const p = inv.groups.get(name)?.vars['ansible_group_priority'];
    const n = typeof p === 'number' ? p : typeof p === 'string' && /^-?\d+$/.test(p) ? Number(p) : DEFAULT_PRIORITY;
    return n;
  };
  const key = (n: string): [number, number, string] => [depth.get(n) ?? 0, priority(n), n];
  return hostGroupNames(inv, host).sort((a, b) => {
    const [da, pa, na] = key(a);
    const [db, pb, nb] = key(b);
    return da - db || pa - pb || (na < nb ? -1 : na > nb ? 1 : 0);
  });
}

/** Each group's depth below 'all': the longest path, so a group nested deeper anywhere counts as deeper. */
function groupDepths(inv: Inventory): Map<string, number> {
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const of = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (name === 'all' || visiting.has(name)) return 0;
    visiting.add(name);
    const parents = inv.groups.get(name)?.parents ?? [];
    const d = parents.length ? Math.max(...parents.map((p) => of(p) + 1)) : 1;
    visiting.delete(name);
    depth.set(name, d);
    return d;
  };
  depth.set('all', 0);
  for (const name of inv.groups.keys()) of(name);
  return depth;
}

/** The groups a host belongs to, sorted, without 'all' and 'ungrouped' (Ansible's group_names). */
export function groupNames(inv: Inventory, host: string): string[] {
  return hostGroupNames(inv, host)
    .filter((g) => g !== 'all' && g !== 'ungrouped')
    .sort();
}

// The prototype of the fleet-sized values kiln makes (groups, hostvars): neither null nor
// Object.prototype, so the variable scope treats them as kiln's values, not as user data to walk
// for templates on every task of every host (n hosts × n names, or n merged hosts).
const KILN_MADE: object = Object.freeze(Object.create(null));

// The `groups` map is the same for every host; rebuild it only when the inventory's shape changed.
const groupsCache = new WeakMap<Inventory, { sig: string; groups: Record<string, readonly string[]> }>();

function shape(inv: Inventory): string {
  let sig = `${inv.hosts.size}`;
  for (const g of inv.groups.values()) sig += `|${g.name}:${g.hosts.length}:${g.children.length}`;
  return sig;
}

/** Group name → every host in it (children included), in inventory order; 'all' and 'ungrouped' included. */
export function groupsMap(inv: Inventory): Record<string, readonly string[]> {
  const sig = shape(inv);
  const cached = groupsCache.get(inv);
  if (cached && cached.sig === sig) return cached.groups;
  const groups = Object.create(KILN_MADE) as Record<string, readonly string[]>;
  for (const name of inv.groups.keys()) groups[name] = Object.freeze(groupHostNames(inv, name));
  Object.freeze(groups);
  groupsCache.set(inv, { sig, groups });
  return groups;
}

/** Variables every task sees about the inventory: inventory_hostname(_short), group_names, groups, hostvars. */
export function magicVars(inv: Inventory, host: string): Record<string, unknown> {
  const out = dict();
  out['inventory_hostname'] = host;
  out['inventory_hostname_short'] = host.split('.')[0] ?? host;
  out['group_names'] = groupNames(inv, host);
  out['groups'] = groupsMap(inv);
  out['hostvars'] = hostvarsView(inv);
  return out;
}

// One hostvars view per inventory: every host's scope shares it, so a play over n hosts merges each
// host's variables once (not n times) and holds n entries (not n²).
const hostvarsCache = new WeakMap<Inventory, Record<string, Record<string, unknown>>>();

/**
 * hostvars: host name → that host's merged inventory variables plus its own magic names.
 * A Proxy computes each entry on first use and keeps it for the inventory's lifetime;
 * JSON.stringify still sees every host as an ordinary enumerable key.
 */
export function hostvarsView(inv: Inventory): Record<string, Record<string, unknown>> {
  const cached = hostvarsCache.get(inv);
  if (cached) return cached;
  const memo = new Map<string, Record<string, unknown>>();
  const entry = (host: string): Record<string, unknown> => {
    let v = memo.get(host);
    if (!v) {
      const raw = hostVars(inv, host);
      raw['inventory_hostname'] = host;
      raw['inventory_hostname_short'] = host.split('.')[0] ?? host;
      raw['group_names'] = groupNames(inv, host);
      // Rendered on read in that host's own context, as Ansible does, never in the reader's.
      v = lazilyRendered(raw, (key) => `hostvars['${host}'].${key}`);
      memo.set(host, v);
    }
    return v;
  };
  const target = Object.create(KILN_MADE) as Record<string, Record<string, unknown>>;
  const view = new Proxy(target, {
    get: (_t, key) => (typeof key === 'string' && inv.hosts.has(key) ? entry(key) : undefined),
    has: (_t, key) => typeof key === 'string' && inv.hosts.has(key),
    ownKeys: () => [...inv.hosts.keys()],
    getOwnPropertyDescriptor: (_t, key) =>
      typeof key === 'string' && inv.hosts.has(key) ? { value: entry(key), enumerable: true, configurable: true, writable: false } : undefined,
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
  hostvarsCache.set(inv, view);
  return view;
}

