// The inventory model (hosts, groups and their direct links) and the primitive operations on it.
import type { Loc } from '../errors.js';

export interface Host {
  name: string;
  /** The host's own variables only (inline and host_vars/); group variables stay on the groups. */
  vars: Record<string, unknown>;
  /** Groups the host is listed in directly (ancestors are derived; 'all' is implicit and never listed). */
  groups: string[];
}

export interface Group {
  name: string;
  vars: Record<string, unknown>;
  /** Hosts listed directly in this group (always empty for 'all', which holds every host implicitly). */
  hosts: string[];
  children: string[];
  parents: string[];
}

export interface Inventory {
  /** Insertion order = inventory order. */
  hosts: Map<string, Host>;
  /** Always has 'all' and 'ungrouped'. */
  groups: Map<string, Group>;
  /** Files read: inventory sources, then group_vars/host_vars files. */
  sources: string[];
}

/** Names Ansible treats as the control machine itself. */
export const LOCALHOST_NAMES: readonly string[] = ['localhost', '127.0.0.1', '::1'];

/** Group names accepted in every inventory format (Ansible's rule, with '-' tolerated). */
export const GROUP_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Variable names accepted in inventories: Python/Jinja identifiers, as templates must reach them. */
export const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A null-prototype map, for anything keyed by user input. */
export function dict<T = unknown>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** An empty inventory with the two groups every inventory has. */
export function newInventory(): Inventory {
  const inv: Inventory = { hosts: new Map(), groups: new Map(), sources: [] };
  ensureGroup(inv, 'all');
  ensureGroup(inv, 'ungrouped');
  addChildGroup(inv, 'all', 'ungrouped');
  return inv;
}

/** The group of that name, created empty when new. */
export function ensureGroup(inv: Inventory, name: string): Group {
  let g = inv.groups.get(name);
  if (!g) {
    g = { name, vars: dict(), hosts: [], children: [], parents: [] };
    inv.groups.set(name, g);
  }
  return g;
}

/** The host of that name, created with no variables when new. */
export function ensureHost(inv: Inventory, name: string): Host {
  let h = inv.hosts.get(name);
  if (!h) {
    h = { name, vars: dict(), groups: [] };
    inv.hosts.set(name, h);
  }
  return h;
}

/** List a host directly in a group (both created when missing); idempotent. */
export function addHostToGroup(inv: Inventory, group: string, host: string): void {
  const g = ensureGroup(inv, group);
  const h = ensureHost(inv, host);
  if (!g.hosts.includes(host)) g.hosts.push(host);
  if (!h.groups.includes(group)) h.groups.push(group);
}

// Where each parent→child link was declared, so a cycle can be reported at the line that closes it.
const linkLocs = new WeakMap<Group, Map<string, Loc>>();

/** Make `child` a child group of `parent` (both created when missing); idempotent. */
export function addChildGroup(inv: Inventory, parent: string, child: string, loc?: Loc): void {
  const p = ensureGroup(inv, parent);
  const c = ensureGroup(inv, child);
  if (!p.children.includes(child)) p.children.push(child);
  if (!c.parents.includes(parent)) c.parents.push(parent);
  if (loc) {
    const m = linkLocs.get(p) ?? new Map<string, Loc>();
    if (!m.has(child)) m.set(child, loc);
    linkLocs.set(p, m);
  }
}

/** Where `parent` was given `child` as a child, when known. */
export function childLinkLoc(parent: Group, child: string): Loc | undefined {
  return linkLocs.get(parent)?.get(child);
}

/** Set variables on a map, later values winning (Ansible's default "replace" hash behaviour). */
export function assignVars(target: Record<string, unknown>, vars: Record<string, unknown> | null | undefined): void {
  if (!vars) return;
  for (const k of Object.keys(vars)) target[k] = vars[k];
}

/** Every group containing the host: its direct groups and all their ancestors (always includes 'all'). */
export function hostGroupNames(inv: Inventory, host: string): string[] {
  const h = inv.hosts.get(host);
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const p of inv.groups.get(name)?.parents ?? []) visit(p);
  };
  for (const g of h?.groups ?? []) visit(g);
  if (h) seen.add('all');
  return [...seen];
}

/** Hosts of a group and of all its descendants, in inventory order ('all' = every host). */
export function groupHostNames(inv: Inventory, group: string): string[] {
  if (group === 'all') return [...inv.hosts.keys()];
  const members = new Set<string>();
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const g = inv.groups.get(name);
    if (!g) return;
    for (const h of g.hosts) members.add(h);
    for (const c of g.children) visit(c);
  };
  visit(group);
  return [...inv.hosts.keys()].filter((h) => members.has(h));
}
