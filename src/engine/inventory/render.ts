// `kiln inventory --list` and `--graph`, in the shapes ansible-inventory prints.
import { dict, type Inventory } from './types.js';
import { hostVars } from './vars.js';

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The dynamic-inventory JSON of `ansible-inventory --list`: _meta.hostvars (merged), then each group's hosts/children/vars. */
export function listJson(inv: Inventory): object {
  const out = dict();
  const hostvars = dict();
  for (const h of inv.hosts.keys()) {
    const vars = hostVars(inv, h);
    // Like Ansible, hosts without variables are left out of _meta.
    if (Object.keys(vars).length) hostvars[h] = vars;
  }
  out['_meta'] = { hostvars };
  const names = ['all', ...[...inv.groups.keys()].filter((n) => n !== 'all').sort(byName)];
  for (const name of names) {
    const g = inv.groups.get(name);
    if (!g) continue;
    const entry = dict();
    // 'all' holds every host implicitly; listing them would repeat the whole inventory.
    if (name !== 'all' && g.hosts.length) entry['hosts'] = [...g.hosts];
    if (g.children.length) entry['children'] = [...g.children];
    if (Object.keys(g.vars).length) entry['vars'] = Object.assign(dict(), g.vars);
    // Ansible drops empty groups from the listing, except 'all'.
    if (name === 'all' || Object.keys(entry).length) out[name] = entry;
  }
  return out;
}

/** The tree of `ansible-inventory --graph`: "@all:", then "  |--@group:" and "  |  |--host" lines, children first. */
export function graph(inv: Inventory, root = 'all'): string {
  const lines: string[] = [];
  const line = (text: string, depth: number): void => {
    lines.push(depth === 0 ? text : `${'  |'.repeat(depth)}--${text}`);
  };
  const walk = (name: string, depth: number, path: Set<string>): void => {
    const g = inv.groups.get(name);
    if (!g || path.has(name)) return;
    line(`@${name}:`, depth);
    const inner = new Set(path).add(name);
    for (const child of [...g.children].sort(byName)) walk(child, depth + 1, inner);
    if (name !== 'all') for (const h of [...g.hosts].sort(byName)) line(h, depth + 1);
  };
  walk(root, 0, new Set());
  return lines.join('\n');
}
