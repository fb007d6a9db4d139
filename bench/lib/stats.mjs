// Summaries of repeated measurements: median and range, nothing fancier on 5 samples.

/** The median of `xs` (mean of the middle two for an even count); null when empty. */
export function median(xs) {
  const v = xs.filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** { median, min, max, n } of the numbers in `xs` (nulls ignored); nulls when there are none. */
export function summary(xs) {
  const v = xs.filter((x) => x !== null && x !== undefined);
  return { median: median(v), min: v.length ? Math.min(...v) : null, max: v.length ? Math.max(...v) : null, n: v.length };
}

/** Ratios a[i]/b[i] of paired runs (run i of one tool and run i of the other), summarised. */
export function pairRatios(a, b) {
  const r = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (b[i] > 0) r.push(a[i] / b[i]);
  return { ...summary(r), values: r };
}
