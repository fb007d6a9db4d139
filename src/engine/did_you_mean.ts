// "Did you mean ...?": the one rule by which every error message guesses what a misspelt name
// (a key, a value, a variable, a handler, a filter, a group) meant.

/**
 * The candidate `typed` most likely meant, or undefined when none is close enough to suggest.
 * Letter case never counts. In order:
 * - a candidate equal but for case;
 * - the nearest candidate (the first of equals) when it is at most a third of `typed` away (at
 *   least one edit), and fewer edits than `typed` has characters (no "b" for "a"). An edit
 *   inserts, deletes or replaces a character, or swaps two neighbours (lenght → length);
 * - a candidate that `typed` abbreviates, from 3 characters on (dir → directory);
 * - the longest candidate that `typed` extends, of 3 characters or more and at least half of
 *   `typed` (uppercase → upper, but not restart for "restarter : config changed").
 */
export function didYouMean(typed: string, candidates: Iterable<string>): string | undefined {
  const list = [...candidates];
  const t = typed.toLowerCase();
  const same = list.find((c) => c.toLowerCase() === t);
  if (same !== undefined) return same;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of list) {
    const d = editDistance(t, c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  if (best !== undefined && bestDistance <= Math.max(1, Math.floor(t.length / 3)) && bestDistance < t.length) return best;
  if (t.length >= 3) {
    const abbreviated = list.find((c) => c.toLowerCase().startsWith(t));
    if (abbreviated !== undefined) return abbreviated;
  }
  const extended = list.filter((c) => c.length >= 3 && c.length * 2 >= t.length && t.startsWith(c.toLowerCase()));
  return extended.sort((a, b) => b.length - a.length)[0];
}

/** Edits from a to b: insert, delete or replace a character, or swap two neighbours (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  // Three rows of the classic table: two back (for swaps), the previous one, the current one.
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const replace = (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      let d = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, replace);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (before[j - 2] as number) + 1);
      row.push(d);
    }
    [before, prev] = [prev, row];
  }
  return prev[b.length] as number;
}
