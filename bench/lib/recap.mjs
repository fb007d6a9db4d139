// The bench's correctness check: a fast engine that does the wrong thing proves nothing.
// Both tools print Ansible's recap line, `HOST : ok=N changed=N unreachable=N failed=N ...`.

const RECAP = /^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm;

/** Recap lines of a run's output: Map host -> { ok, changed, unreachable, failed }. */
export function parseRecap(stdout) {
  const hosts = new Map();
  for (const m of stdout.matchAll(RECAP)) {
    hosts.set(m[1], { ok: Number(m[2]), changed: Number(m[3]), unreachable: Number(m[4]), failed: Number(m[5]) });
  }
  return hosts;
}

/**
 * Why a run does not count, or undefined when it does: exit 0, a recap line for each of
 * `hosts` hosts, none failed or unreachable, and `changed` changes on each (0 for a no-op re-run;
 * 'any' for a first converge whose count is not the point).
 */
export function recapProblem(result, { hosts, changed }) {
  if (result.code !== 0) return `exit ${result.code ?? result.signal}`;
  const recap = parseRecap(result.stdout);
  if (recap.size !== hosts) return `expected a recap line for ${hosts} host(s), found ${recap.size}`;
  for (const [host, r] of recap) {
    if (r.failed || r.unreachable) return `${host}: failed=${r.failed} unreachable=${r.unreachable}`;
    if (changed !== 'any' && r.changed !== changed) return `${host}: changed=${r.changed}, expected changed=${changed}`;
  }
  return undefined;
}

/** Sum of changed over all hosts (for the JSON). */
export function totalChanged(stdout) {
  let n = 0;
  for (const r of parseRecap(stdout).values()) n += r.changed;
  return n;
}
