#!/usr/bin/env node
// kiln against ansible-core on the same work: `npm run bench` (see bench/RESULTS.md).
// Plain ESM so it runs without a build; it measures kiln as users run it: the bin, dist/cli/main.cjs, run as a program.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { brokerPeakMb, stopBrokers } from './lib/broker.mjs';
import { cleanup, installSignalHandlers, interrupted, onCleanup } from './lib/cleanup.mjs';
import { describeEnvironment, ensureTools, kilnUnderTest } from './lib/env.mjs';
import { measure, run } from './lib/proc.mjs';
import { profileKiln } from './lib/profile.mjs';
import { recapProblem, totalChanged } from './lib/recap.mjs';
import { fmtMs, markdown, updateResultsFile } from './lib/report.mjs';
import { startSshd } from './lib/sshd.mjs';
import { pairRatios, summary } from './lib/stats.mjs';
import { evaluateTargets, profilesFor } from './lib/targets.mjs';
import { treeDifferences } from './lib/trees.mjs';
import { setupW5, W5_NEEDS } from './lib/w5.mjs';
import { FLEET_HOSTS, GROUPS, plan, setupFiles } from './lib/workloads.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const REPO = dirname(BENCH);

const USAGE = `usage: npm run bench -- [options]     (or: node bench/run.mjs [options])

  --runs N             counted runs per tool and workload (default 5), after one warm-up each
  --quick              2 counted runs: a smoke test, not a result
  --only LIST          comma list of ${GROUPS.join(', ')} (default: all; W5 boots a
                       Debian 12 test host, as the host tests do, and needs Debian's ansible package)
  --real-remote-home   SSH sessions keep root's real HOME, so its ~/.bashrc runs for every command
  --build              run \`npm run build\` first (it runs anyway when dist/ is missing, or
                       older than src/ or schemas/)
  --no-build           never build: measure the dist/ there is (recorded as stale if it is)
  --no-snapshot        run dist/ in place instead of a copy taken at the start
  --no-profile         do not profile kiln where a target is missed
  --write-results      update bench/RESULTS.md even for a partial or quick run
  --keep               keep the temp dir (playbooks, inventories, every run's output)
  -h, --help

Writes bench/results/latest.json and latest.md; a full run (all workloads, 5+ runs) also
updates bench/RESULTS.md between its markers. Aborts when a run reports the wrong change count.`;

function options() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string' },
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      'real-remote-home': { type: 'boolean', default: false },
      build: { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
      'no-snapshot': { type: 'boolean', default: false },
      'no-profile': { type: 'boolean', default: false },
      'write-results': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const runs = values.runs !== undefined ? Number(values.runs) : values.quick ? 2 : 5;
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`--runs must be a whole number of at least 1 (got ${JSON.stringify(values.runs)})`);
  const only = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : GROUPS;
  for (const g of only) {
    const canonical = GROUPS.find((x) => x.toLowerCase() === g.toLowerCase());
    if (!canonical) throw new UsageError(`--only: unknown workload ${JSON.stringify(g)} (choose from ${GROUPS.join(', ')})`);
  }
  const selected = new Set(only.map((g) => GROUPS.find((x) => x.toLowerCase() === g.toLowerCase())));
  return { ...values, runs, selected, full: selected.size === GROUPS.length && runs >= 5 };
}

class UsageError extends Error {}

const log = (s) => process.stderr.write(`${s}\n`);

/** Thrown when a run does not report what the workload must produce: the bench stops. */
class WrongResult extends Error {}

/** Thrown when a signal stopped the bench while a run was in flight. */
class Interrupted extends Error {}

/** One measured run of one side; throws WrongResult unless the recap is right. */
async function once(ctx, side, label, tag, expect = side.expect) {
  side.before?.();
  const r = await measure(side.cmd, side.args, { env: ctx.env, cwd: ctx.f.play, dir: ctx.runsDir, tag });
  if (interrupted()) throw new Interrupted();
  const problem = expect.exitOnly ? (r.code === 0 ? undefined : `exit ${r.code ?? r.signal}`) : recapProblem(r, expect);
  if (problem) {
    throw new WrongResult(
      `${label}: ${problem}; the bench stops (a fast wrong engine proves nothing).\n` +
        `command: ${[side.cmd, ...side.args].join(' ')}\n` +
        `--- stdout (end) ---\n${r.stdout.slice(-3000)}\n--- stderr (end) ---\n${r.stderr.slice(-3000)}`,
    );
  }
  log(`  ${label.padEnd(34)} ${fmtMs(r.wallMs).padStart(9)}${expect.exitOnly ? '' : `  changed=${totalChanged(r.stdout)}`}`);
  return r;
}

const KEEP = ['wallMs', 'cpuMs', 'maxRssKb', 'treeRssKb', 'treePssKb', 'treeProcs', 'code'];
function record(r) {
  const o = Object.fromEntries(KEEP.map((k) => [k, typeof r[k] === 'number' ? Math.round(r[k] * 10) / 10 : r[k]]));
  // kiln's own "kiln: 50 tasks in 0.74 s": the run itself, without start-up and exit.
  const self = /^kiln: \d+ tasks? in ([\d.]+) s/m.exec(r.stdout);
  if (self) o.selfReportedMs = Math.round(Number(self[1]) * 1000);
  return o;
}

function side(runs) {
  const pick = (k) => runs.map((r) => r[k]);
  return {
    runs,
    wallMs: summary(pick('wallMs')),
    cpuMs: summary(pick('cpuMs')),
    maxRssKb: summary(pick('maxRssKb')),
    treeRssKb: summary(pick('treeRssKb')),
    treePssKb: summary(pick('treePssKb')),
    ...(runs.some((r) => r.selfReportedMs !== undefined) ? { selfReportedMs: summary(pick('selfReportedMs')) } : {}),
  };
}

async function runPair(ctx, p) {
  log(`${p.title}`);
  const companions = p.companions ?? [];
  if (p.prime) {
    // Converge both targets from scratch; the warm-up is then already a no-op re-run.
    for (const tool of ['kiln', 'ansible']) await once(ctx, p[tool], `${tool} (converge first)`, `${p.id}-${tool}-prime`, p.prime[tool] ?? p.prime);
  }
  for (const tool of ['kiln', 'ansible']) await once(ctx, p[tool], `${tool} warm-up`, `${p.id}-${tool}-warmup`);
  for (const [a, b] of p.compare ?? []) {
    const diffs = treeDifferences(a, b);
    if (diffs.length) throw new WrongResult(`${p.id}: kiln and Ansible left different trees (${a} vs ${b}), so they did not do the same work:\n  ${diffs.slice(0, 20).join('\n  ')}`);
  }
  for (const c of companions) await once(ctx, c, `${c.id} warm-up`, `${c.id}-warmup`);
  const load = [loadavg()[0]];
  const runs = { kiln: [], ansible: [] };
  const extra = new Map(companions.map((c) => [c.id, []]));
  for (let i = 1; i <= ctx.opts.runs; i++) {
    for (const tool of ['kiln', 'ansible']) runs[tool].push(record(await once(ctx, p[tool], `${tool} #${i}`, `${p.id}-${tool}-${i}`)));
    for (const c of companions) extra.get(c.id).push(record(await once(ctx, c, `${c.id} #${i}`, `${c.id}-${i}`)));
    load.push(loadavg()[0]);
  }
  const singles = companions.map((c) => ({ id: c.id, title: c.title, ...side(extra.get(c.id)) }));
  const pair = {
    id: p.id,
    title: p.title,
    loadavg1: summary(load.map((x) => Math.round(x * 10) / 10)),
    kiln: side(runs.kiln),
    ansible: side(runs.ansible),
    ratio: pairRatios(runs.ansible.map((r) => r.wallMs), runs.kiln.map((r) => r.wallMs)),
  };
  return { pair, singles };
}

async function runSingles(ctx, singles) {
  for (const s of singles) await once(ctx, s, `${s.id} warm-up`, `${s.id}-warmup`);
  const runs = new Map(singles.map((s) => [s.id, []]));
  for (let i = 1; i <= ctx.opts.runs; i++) {
    for (const s of singles) runs.get(s.id).push(record(await once(ctx, s, `${s.id} #${i}`, `${s.id}-${i}`)));
  }
  return singles.map((s) => ({ id: s.id, title: s.title, ...side(runs.get(s.id)) }));
}

/** Ask every ssh ControlMaster under `dir` to exit (they outlive the commands that started them). */
async function closeMasters(dir) {
  let names = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) await run('ssh', ['-o', `ControlPath=${join(dir, n)}`, '-O', 'exit', 'bench-master']);
}

async function main() {
  const opts = options();
  installSignalHandlers();
  const tmp = mkdtempSync(join(tmpdir(), 'kiln-bench-'));
  onCleanup(() => (opts.keep ? log(`bench: kept ${tmp}`) : rmSync(tmp, { recursive: true, force: true })));
  await ensureTools(log, opts.selected.has('W5') ? W5_NEEDS : []);
  const { cli, stale } = kilnUnderTest(REPO, join(tmp, 'kiln'), { build: opts.build ? 'always' : opts['no-build'] ? 'never' : 'auto', snapshot: !opts['no-snapshot'], log });
  const env0 = await describeEnvironment(REPO, cli);

  const needSsh = ['W2', 'W3', 'W4', 'floor'].some((g) => opts.selected.has(g));
  const sshd = needSsh ? await startSshd(join(tmp, 'sshd'), { ports: opts.selected.has('W3') ? FLEET_HOSTS : 1, realHome: opts['real-remote-home'] }) : undefined;

  // Both tools get the same HOME: kiln reads ~/.ssh/known_hosts from it, Ansible keeps ~/.ansible there.
  const home = join(tmp, 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  if (sshd) copyFileSync(sshd.knownHosts, join(home, '.ssh', 'known_hosts'));
  const cm = join(tmp, 'cm');
  mkdirSync(cm, { recursive: true, mode: 0o700 });
  const ansibleCfg = join(tmp, 'ansible.cfg');
  writeFileSync(ansibleCfg, '# empty on purpose: settings come from the environment (bench/run.mjs)\n[defaults]\n');
  const env = {
    ...process.env,
    HOME: home,
    NO_COLOR: '1',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_CONFIG: ansibleCfg,
    ANSIBLE_PIPELINING: '1',
    ANSIBLE_SSH_ARGS: `-o ControlMaster=auto -o ControlPersist=60s -o ControlPath=${cm}/%C` + (sshd ? ` -o UserKnownHostsFile=${sshd.knownHosts} -o StrictHostKeyChecking=yes` : ''),
  };
  // kiln's SSH broker keeps each login between runs, as the ControlMasters do for Ansible: its own
  // control dir, so the bench finds it, measures it and stops it.
  const kilnControl = join(tmp, 'kcp');
  env.KILN_CONTROL_DIR = kilnControl;
  // And its parse cache (src/engine/load/yaml_cache.ts), which the warm-up run fills, as pyc files are for Ansible.
  env.KILN_CACHE_DIR = join(tmp, 'kcache');
  const ctx = { opts, cli, env, tmp, sshd, f: setupFiles(tmp, sshd), runsDir: join(tmp, 'runs'), controlDirs: [cm] };
  if (opts.selected.has('W5')) ctx.w5 = await setupW5(ctx, REPO, [join(home, '.ssh', 'known_hosts'), ...(sshd ? [sshd.knownHosts] : [])], onCleanup, log);
  mkdirSync(ctx.runsDir, { recursive: true });
  // Registered after sshd: cleanup runs latest first, so masters and the broker exit before sshd goes.
  onCleanup(async () => {
    for (const d of ctx.controlDirs) await closeMasters(d);
    await stopBrokers(cli, kilnControl);
  });

  log(`bench: kiln ${env0.versions.kiln}, ansible-core ${env0.versions.ansibleCore}; ${opts.runs} runs; temp dir ${tmp}`);
  const results = { pairs: [], singles: [], brokerPeakMb: 0 };
  for (const g of plan(ctx, opts.selected)) {
    if (g.prime) await once(ctx, g.prime, `${g.name}: converge the target`, `${g.name}-prime`);
    for (const p of g.pairs) {
      const { pair, singles } = await runPair(ctx, p);
      results.pairs.push(pair);
      results.singles.push(...singles);
    }
    if (g.singles.length) {
      log(`${g.name}: ${g.singles.map((s) => s.id).join(', ')}`);
      results.singles.push(...(await runSingles(ctx, g.singles)));
    }
    results.brokerPeakMb = Math.max(results.brokerPeakMb, brokerPeakMb(cli, kilnControl));
  }

  const targets = evaluateTargets(results);
  const profiles = [];
  if (!opts['no-profile']) {
    const profDir = join(BENCH, 'results', 'profiles');
    rmSync(profDir, { recursive: true, force: true }); // profiles of an earlier run would read as this one's
    for (const want of profilesFor(targets, ctx)) {
      log(`profiling kiln: ${want.title}`);
      const p = await profileKiln(cli, want.args, { env, cwd: ctx.f.play, dir: ctx.runsDir, tag: `profile-${want.id}` });
      mkdirSync(profDir, { recursive: true });
      const kept = join(profDir, `${want.id}.cpuprofile`);
      copyFileSync(p.profile, kept);
      profiles.push({ id: want.id, title: want.title, ...p, profile: kept.slice(REPO.length + 1) });
    }
  }

  const res = {
    env: env0,
    loadavgEnd: loadavg().map((x) => Math.round(x * 100) / 100),
    settings: {
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      runs: opts.runs,
      workloads: [...opts.selected],
      realRemoteHome: opts['real-remote-home'],
      sshPorts: sshd ? sshd.ports.length : 0,
      sshdProcesses: sshd ? sshd.pids.length : 0,
      snapshot: !opts['no-snapshot'],
      distStale: stale,
      memorySampleMs: 50,
    },
    ...results,
    targets,
    profiles,
  };
  const md = markdown(res);
  mkdirSync(join(BENCH, 'results'), { recursive: true });
  writeFileSync(join(BENCH, 'results', 'latest.json'), `${JSON.stringify(res, null, 2)}\n`);
  writeFileSync(join(BENCH, 'results', 'latest.md'), `${md}\n`);
  process.stdout.write(`\n${md}\n`);
  if (opts.full || opts['write-results']) {
    updateResultsFile(join(BENCH, 'RESULTS.md'), md, '# kiln vs ansible-core: latest results');
    log('\nbench: wrote bench/RESULTS.md, bench/results/latest.json');
  } else {
    log('\nbench: partial or quick run: wrote bench/results/latest.json and latest.md, left bench/RESULTS.md alone (--write-results to update it)');
  }
}

try {
  await main();
} catch (e) {
  process.exitCode = e instanceof UsageError ? 2 : e instanceof Interrupted ? 130 : 1;
  if (!(e instanceof Interrupted)) log(e instanceof WrongResult || e instanceof UsageError ? `bench: ${e.message}` : `bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  if (e instanceof UsageError) log('(npm run bench -- --help for usage)');
} finally {
  await cleanup();
}
