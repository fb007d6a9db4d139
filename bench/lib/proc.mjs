// Processes: run a program to completion, time it, and sample the memory of its whole tree.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { onCleanup } from './cleanup.mjs';

const GNU_TIME = '/usr/bin/time';

/** Run a program (no shell) and collect its output; never rejects for a non-zero exit. */
export function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Like run(), but throws with the program's stderr when it exits non-zero. */
export async function must(cmd, args, opts = {}) {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.code ?? r.signal}): ${(r.stderr || r.stdout).trim().slice(-2000)}`);
  return r.stdout;
}

/** PIDs of every live descendant of `pid` (from /proc), children before grandchildren. */
export function descendants(pid) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = readPpid(name);
    if (ppid === undefined) continue;
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  const out = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift();
    for (const c of children.get(p) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

function readPpid(pid) {
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // exited meanwhile
  }
  // "pid (comm) state ppid ..." — comm may hold spaces and parentheses.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** SIGKILL `pid` and all its descendants (collected first: orphans get re-parented). */
export function killTree(pid) {
  for (const p of [pid, ...descendants(pid)]) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * Samples the summed memory of a process tree: RSS (what `ps` shows, shared pages counted in
 * every process) and PSS (shared pages split between their users, so forked workers are not
 * counted ten times). Parent links are cached, so a sample reads /proc/<pid>/stat only for
 * processes it has not seen yet.
 */
class TreeSampler {
  constructor(root, exclude) {
    this.root = root;
    this.exclude = exclude;
    this.ppid = new Map();
    this.peakRssKb = 0;
    this.peakPssKb = 0;
    this.peakProcs = 0;
  }

  sample() {
    const alive = new Set();
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const pid = Number(name);
      alive.add(pid);
      if (!this.ppid.has(pid)) {
        const pp = readPpid(name);
        if (pp !== undefined) this.ppid.set(pid, pp);
      }
    }
    const children = new Map();
    for (const [pid, pp] of this.ppid) {
      if (!alive.has(pid)) {
        this.ppid.delete(pid);
        continue;
      }
      const list = children.get(pp) ?? [];
      list.push(pid);
      children.set(pp, list);
    }
    let rss = 0;
    let pss = 0;
    let procs = 0;
    const queue = [this.root];
    while (queue.length) {
      const p = queue.shift();
      if (p !== this.exclude) {
        const m = readRollup(p);
        if (m) {
          rss += m.rss;
          pss += m.pss;
          procs++;
        }
      }
      for (const c of children.get(p) ?? []) queue.push(c);
    }
    this.peakRssKb = Math.max(this.peakRssKb, rss);
    this.peakPssKb = Math.max(this.peakPssKb, pss);
    this.peakProcs = Math.max(this.peakProcs, procs);
  }
}

function readRollup(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    return undefined;
  }
  const rss = /^Rss:\s+(\d+) kB/m.exec(text);
  const pss = /^Pss:\s+(\d+) kB/m.exec(text);
  return rss && pss ? { rss: Number(rss[1]), pss: Number(pss[1]) } : undefined;
}

/** Whether GNU time is there to report the peak RSS (`%M`). */
export const hasGnuTime = () => existsSync(GNU_TIME);

/**
 * Run one timed command: wall time from spawn to exit (hrtime), GNU time's user/sys CPU and
 * `%M`, and the sampled peak of the whole tree. Output goes to files in `dir` (a pipe would keep
 * the run "open" while a daemonised ssh ControlMaster holds its stderr).
 */
export async function measure(cmd, args, { env, cwd, dir, tag, sampleMs = 50 }) {
  const outFile = join(dir, `${tag}.out`);
  const errFile = join(dir, `${tag}.err`);
  const timeFile = join(dir, `${tag}.time`);
  const gnuTime = hasGnuTime();
  const argv = gnuTime ? [GNU_TIME, '-f', '%e %U %S %M', '-o', timeFile, cmd, ...args] : [cmd, ...args];
  const out = openSync(outFile, 'w');
  const err = openSync(errFile, 'w');
  let child;
  const started = process.hrtime.bigint();
  try {
    child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', out, err], detached: true });
  } finally {
    closeSync(out);
    closeSync(err);
  }
  const unregister = onCleanup(() => child.exitCode === null && child.pid && killTree(child.pid));
  const sampler = new TreeSampler(child.pid, gnuTime ? child.pid : undefined);
  const timer = setInterval(() => sampler.sample(), sampleMs);
  let exit;
  try {
    exit = await new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code, signal) => resolve({ code, signal, wallMs: Number(process.hrtime.bigint() - started) / 1e6 }));
      sampler.sample();
    });
  } finally {
    clearInterval(timer);
    unregister();
  }
  let time = null;
  if (gnuTime) {
    // GNU time writes "Command exited with non-zero status N" first when the program fails.
    const line = readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '';
    const [elapsed, user, sys, maxRss] = line.split(' ').map(Number);
    time = { elapsedS: elapsed, userS: user, sysS: sys, maxRssKb: maxRss };
  }
  return {
    code: exit.code,
    signal: exit.signal,
    wallMs: exit.wallMs,
    cpuMs: time ? Math.round((time.userS + time.sysS) * 1000) : null,
    maxRssKb: time ? time.maxRssKb : null,
    treeRssKb: sampler.peakRssKb,
    treePssKb: sampler.peakPssKb,
    treeProcs: sampler.peakProcs,
    stdout: readFileSync(outFile, 'utf8'),
    stderr: readFileSync(errFile, 'utf8'),
  };
}
