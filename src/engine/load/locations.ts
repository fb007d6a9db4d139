// Side tables that map loaded objects (and their keys) back to source positions.
import type { Loc } from '../errors.js';

export interface KeyLoc {
  /** Where the key itself stands (for maps) or the item (for sequences). */
  key: Loc;
  /** Where its value starts. */
  value: Loc;
}
export type KeyLocs = Map<string | number, KeyLoc>;

interface Entry {
  self?: Loc;
  keys: KeyLocs;
}

const table = new WeakMap<object, Entry>();

export function recordLocs(obj: object, self: Loc | undefined, keys: KeyLocs): void {
  table.set(obj, { self, keys });
}

/** Where an object (map or sequence) starts in its file. */
export function locOf(obj: unknown): Loc | undefined {
  return typeof obj === 'object' && obj !== null ? table.get(obj)?.self : undefined;
}

/** Where a key of an object (or an index of a sequence) stands. */
export function keyLocOf(obj: unknown, key: string | number): Loc | undefined {
  return typeof obj === 'object' && obj !== null ? table.get(obj)?.keys.get(key)?.key : undefined;
}

/** Where the value under a key starts. */
export function valueLocOf(obj: unknown, key: string | number): Loc | undefined {
  return typeof obj === 'object' && obj !== null ? table.get(obj)?.keys.get(key)?.value : undefined;
}

export function locsOfKeys(obj: object): KeyLocs | undefined {
  return table.get(obj)?.keys;
}

/** Copy the position record of one object to another (after a shallow copy or rewrite). */
export function copyLocs(from: object, to: object): void {
  const e = table.get(from);
  if (e) table.set(to, e);
}

/**
 * Resolve a JSON pointer path (as ajv reports it) to the closest known position:
 * the key's position when the last step is a key, else the nearest ancestor's.
 */
export function locAtPath(root: unknown, path: readonly (string | number)[], prefer: 'key' | 'value' = 'value'): Loc | undefined {
  let node: unknown = root;
  let best: Loc | undefined = locOf(root);
  for (const step of path) {
    if (typeof node !== 'object' || node === null) break;
    const k = Array.isArray(node) ? Number(step) : String(step);
    const here = prefer === 'key' ? keyLocOf(node, k) : valueLocOf(node, k);
    if (here) best = here;
    node = (node as Record<string | number, unknown>)[k];
  }
  return best;
}
