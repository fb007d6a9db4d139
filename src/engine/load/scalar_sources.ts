// Side table that maps loaded objects (and their keys) to how their scalars were written.

/** How a scalar value was written: its text before YAML resolved it, and its quoting style. */
export interface ScalarSource {
  /** The text as written, without quotes (0644 for the number 420, yes for true). */
  text: string;
  /** yaml's scalar type: PLAIN, QUOTE_SINGLE, QUOTE_DOUBLE, BLOCK_LITERAL, BLOCK_FOLDED. */
  style: string;
  /** Written on a single line (so a character offset is a column offset). */
  oneLine: boolean;
}
export type ScalarSources = Map<string | number, ScalarSource>;

const table = new WeakMap<object, ScalarSources>();

export function recordScalarSources(owner: object, sources: ScalarSources): void {
  table.set(owner, sources);
}

/** Every scalar source recorded for a loaded map or sequence. */
export function scalarSourcesOf(owner: object): ScalarSources | undefined {
  return table.get(owner);
}

/** How the scalar under `key` of a loaded map (or index of a sequence) was written. */
export function scalarSourceOf(owner: unknown, key: string | number): ScalarSource | undefined {
  return typeof owner === 'object' && owner !== null ? table.get(owner)?.get(key) : undefined;
}
