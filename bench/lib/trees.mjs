// Equivalence check: after their first runs, kiln's and Ansible's targets must hold the same tree
// (types, modes, contents, link targets), or the two tools did not do the same work.
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Map relpath -> "type mode digest" of everything under `root`; `root` itself reads as <root>. */
export function describeTree(root) {
  const out = new Map();
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = lstatSync(p);
      const mode = (st.mode & 0o7777).toString(8);
      const rel = relative(root, p);
      if (st.isSymbolicLink()) out.set(rel, `link -> ${readlinkSync(p).split(root).join('<root>')}`);
      else if (st.isDirectory()) {
        out.set(rel, `dir ${mode}`);
        walk(p);
      } else {
        const text = readFileSync(p, 'utf8').split(root).join('<root>');
        out.set(rel, `file ${mode} ${createHash('sha256').update(text).digest('hex').slice(0, 16)}`);
      }
    }
  };
  walk(root);
  return out;
}

/** Differences between two targets, as readable lines (empty when equivalent). */
export function treeDifferences(kilnRoot, ansibleRoot) {
  const a = describeTree(kilnRoot);
  const b = describeTree(ansibleRoot);
  const diffs = [];
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    if (a.get(k) !== b.get(k)) diffs.push(`${k}: kiln ${a.get(k) ?? 'missing'}, ansible ${b.get(k) ?? 'missing'}`);
  }
  return diffs;
}
