// Where kiln's time goes: run one command under `node --cpu-prof` and boil the profile down to a
// few buckets (module loading, waiting, GC, each package, each area of kiln) and the top functions.
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { measure } from './proc.mjs';

/** The bucket of one stack: module loading wins over whatever code the loader was running. */
function bucketOf(stack) {
  for (const f of stack) {
    const u = f.url;
    if (u.startsWith('node:internal/modules/') || u.startsWith('node:internal/deps/cjs-module-lexer')) return 'start-up: resolving, reading, compiling and evaluating modules';
  }
  const leaf = stack[0];
  switch (leaf.functionName) {
    case '(idle)':
      return 'idle: waiting for child processes, sockets, files';
    case '(garbage collector)':
      return 'garbage collection';
    case '(program)':
      return 'V8/native, not attributed';
    default:
      break;
  }
  const u = leaf.url;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (nm) return `package ${nm[1]}`;
  const dist = /\/dist\/(engine\/[^/]+|modules|cli)\//.exec(u);
  if (dist) return `kiln ${dist[1]}`;
  if (u.startsWith('node:')) return 'node core (fs, streams, child_process, net)';
  return 'native (fs, crypto, zlib calls)';
}

function shortUrl(u) {
  const path = u.replace(/^file:\/\//, '');
  return path.includes('/node_modules/') ? path.replace(/.*node_modules\//, '') : path.replace(/.*\/dist\//, 'dist/');
}

/** Summarise a .cpuprofile: { durationMs, buckets: [{ name, ms }], functions: [{ name, ms }] }. */
export function summariseProfile(file) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const buckets = new Map();
  const functions = new Map();
  p.samples.forEach((id, i) => {
    const ms = (p.timeDeltas[i] ?? 0) / 1000;
    const stack = [];
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) stack.push(byId.get(cur).callFrame);
    const b = bucketOf(stack);
    buckets.set(b, (buckets.get(b) ?? 0) + ms);
    const leaf = stack[0];
    if (!leaf.functionName.startsWith('(')) {
      const name = `${leaf.functionName || '(top level)'} ${shortUrl(leaf.url)}:${leaf.lineNumber + 1}`;
      functions.set(name, (functions.get(name) ?? 0) + ms);
    }
  });
  const sorted = (m, n) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, ms]) => ({ name, ms: Math.round(ms * 10) / 10 }));
  return { durationMs: Math.round((p.endTime - p.startTime) / 100) / 10, buckets: sorted(buckets, 12), functions: sorted(functions, 12) };
}

/** Run `node --cpu-prof <cli> ...args` once in `dir`; returns the wall time and the summary. */
export async function profileKiln(cli, args, { env, cwd, dir, tag }) {
  const profDir = join(dir, `${tag}.prof`);
  mkdirSync(profDir, { recursive: true });
  const r = await measure(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, cli, ...args], { env, cwd, dir, tag: `${tag}.profiled` });
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile written for ${tag} (exit ${r.code}): ${r.stderr.slice(-500)}`);
  return { wallMs: Math.round(r.wallMs), code: r.code, profile: join(profDir, file), ...summariseProfile(join(profDir, file)) };
}
