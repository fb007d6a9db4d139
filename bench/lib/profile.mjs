// Where kiln's time goes: run one command under `node --cpu-prof` and boil the profile down to a
// few buckets (module loading, waiting, GC, each package, each area of kiln) and the top functions.
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure } from './proc.mjs';

// kiln's dist/ is a bundle: a frame's file and line say only which chunk. Its source map says
// which source (src/engine/..., node_modules/yaml/...) the code came from.
const maps = new Map();
function sourceOf(frame) {
  // ES modules show as file:// URLs; the bundles compiled through node:vm as plain paths.
  if (!frame.url.includes('/dist/') || !(frame.url.startsWith('file://') || frame.url.startsWith('/'))) return undefined;
  const file = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url;
  if (!maps.has(file)) maps.set(file, existsSync(`${file}.map`) ? new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))) : null);
  const entry = maps.get(file)?.findEntry(frame.lineNumber, frame.columnNumber);
  if (!entry?.originalSource) return undefined;
  return { path: entry.originalSource.replace(/^(\.\.\/)+/, ''), line: (entry.originalLine ?? 0) + 1 };
}

/** The frame's file as a source path (src/..., node_modules/...) where a source map says it. */
function urlOf(frame) {
  const src = sourceOf(frame);
  return src ? `/${src.path}` : frame.url;
}

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
  const u = urlOf(leaf);
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (nm) return `package ${nm[1]}`;
  const own = /\/(?:dist|src)\/(engine\/[^/]+|modules|cli)\//.exec(u);
  if (own) return `kiln ${own[1]}`;
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
      const src = sourceOf(leaf);
      const where = src ? `${src.path.replace(/^node_modules\//, '')}:${src.line}` : `${shortUrl(leaf.url)}:${leaf.lineNumber + 1}`;
      const name = `${leaf.functionName || '(top level)'} ${where}`;
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

/**
 * Run `node --cpu-prof <cli> ...args` once in `dir`; returns the wall time and the summary. node
 * starts without NODE_EXTRA_CA_CERTS, as the bin's first line starts it.
 */
export async function profileKiln(cli, args, { env, cwd, dir, tag }) {
  const profDir = join(dir, `${tag}.prof`);
  mkdirSync(profDir, { recursive: true });
  const { NODE_EXTRA_CA_CERTS: held, ...rest } = env;
  const r = await measure(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, cli, ...args], { env: { ...rest, KILN_EXTRA_CA_CERTS: held ?? '' }, cwd, dir, tag: `${tag}.profiled` });
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile written for ${tag} (exit ${r.code}): ${r.stderr.slice(-500)}`);
  return { wallMs: Math.round(r.wallMs), code: r.code, profile: join(profDir, file), ...summariseProfile(join(profDir, file)) };
}
