// The targets, checked against one run's results; and which kiln command to profile
// when a target is missed.
import { fmtMs } from './report.mjs';

const MB = 1024;

function find(list, id) {
  return list.find((x) => x.id === id);
}

function speedup(results, id, min) {
  const p = find(results.pairs, id);
  if (!p) return { measured: 'not run', met: null };
  const r = p.ratio.median;
  return { measured: `${r.toFixed(1)}× (kiln ${fmtMs(p.kiln.wallMs.median)}, Ansible ${fmtMs(p.ansible.wallMs.median)})`, met: r >= min, value: r };
}

function nearFloor(results, id, floorId, max) {
  const p = find(results.pairs, id);
  const f = find(results.singles, floorId);
  if (!p || !f) return { measured: 'not run (needs the floor too)', met: null };
  const r = p.kiln.wallMs.median / f.wallMs.median;
  return { measured: `${r.toFixed(1)}× the floor (kiln ${fmtMs(p.kiln.wallMs.median)}, floor ${fmtMs(f.wallMs.median)})`, met: r <= max, value: r };
}

/** [{ id, name, measured, met (true/false/null when not measured) }] */
export function evaluateTargets(results) {
  const t = [];
  const add = (id, name, v) => t.push({ id, name, ...v });
  add('W1-speedup', 'W1 no-op: kiln ≥ 50× faster than ansible-core', speedup(results, 'W1-noop', 50));
  add('W2-speedup', 'W2 no-op: kiln ≥ 50× faster', speedup(results, 'W2-noop', 50));
  add('W3-speedup', 'W3: kiln ≥ 30× faster', speedup(results, 'W3-noop', 30));
  add('W4-local-speedup', 'W4 local: kiln ≥ 10× faster', speedup(results, 'W4-local', 10));
  add('W4-ssh-speedup', 'W4 SSH: kiln ≥ 10× faster', speedup(results, 'W4-ssh', 10));
  add('W1-floor', 'W1 no-op within 3× of the floor (50 `sh -c` from bash)', nearFloor(results, 'W1-noop', 'floor-local-each', 3));
  add('W2-floor', 'W2 no-op within 3× of the floor (50 `ssh` over one ControlMaster)', nearFloor(results, 'W2-noop', 'floor-ssh-each', 3));
  const v = find(results.pairs, 'validate');
  add('validate', '`kiln validate` of the 50-task playbook < 150 ms', v ? { measured: fmtMs(v.kiln.wallMs.median), met: v.kiln.wallMs.median < 150, value: v.kiln.wallMs.median } : { measured: 'not run', met: null });
  const w3 = find(results.pairs, 'W3-noop');
  if (w3) {
    const peak = Math.max(w3.kiln.maxRssKb.max ?? 0, w3.kiln.treeRssKb.max ?? 0);
    add('W3-memory', 'kiln peak memory in W3 < 150 MB', { measured: `${Math.round(peak / MB)} MB (largest of the runs; whole tree, RSS)`, met: peak < 150 * MB, value: peak });
  } else add('W3-memory', 'kiln peak memory in W3 < 150 MB', { measured: 'not run', met: null });
  return t;
}

/** The kiln commands to profile once: one per workload behind a missed target. */
export function profilesFor(targets, ctx) {
  const { f } = ctx;
  const missed = new Set(targets.filter((t) => t.met === false).map((t) => t.id));
  const want = [];
  if (missed.has('W1-speedup') || missed.has('W1-floor')) want.push({ id: 'W1-noop', title: 'W1 no-op (local, 50 tasks)', args: ['play', f.site50, '-i', f.kilnLocal] });
  if (missed.has('W2-speedup') || missed.has('W2-floor')) want.push({ id: 'W2-noop', title: 'W2 no-op (SSH, 50 tasks)', args: ['play', f.site50, '-i', f.kilnSsh] });
  if (missed.has('W3-speedup') || missed.has('W3-memory')) want.push({ id: 'W3-noop', title: 'W3 no-op (20 hosts × 10 tasks)', args: ['play', f.site10, '-i', f.kilnFleet, '--forks', '10'] });
  if (missed.has('W4-local-speedup')) want.push({ id: 'W4-local', title: 'W4 facts, local', args: ['play', f.facts, '-i', f.kilnLocal] });
  if (missed.has('W4-ssh-speedup')) want.push({ id: 'W4-ssh', title: 'W4 facts, SSH', args: ['play', f.facts, '-i', f.kilnSsh] });
  if (missed.has('validate')) want.push({ id: 'validate', title: 'kiln validate (50 tasks)', args: ['validate', f.site50, '-i', f.kilnLocal] });
  return want;
}
