// Helpers for the fleet acceptance tests: a private HOME (so ~/.ssh is never the real one),
// inventories pointing at fixture sshds, and the kiln CLI run with that HOME.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliResult, COMMAND, kiln, ROOT } from '../support/cli.js';
import { descendants, type SshdFixture } from '../support/sshd.js';

/** A temp dir used as HOME for kiln: `~/.ssh/known_hosts` lives in it. */
export interface Home {
  dir: string;
  knownHosts: string;
}

export function makeHome(prefix: string): Home {
  const dir = mkdtempSync(join(tmpdir(), `kiln-${prefix}-`));
  mkdirSync(join(dir, '.ssh'), { mode: 0o700 });
  return { dir, knownHosts: join(dir, '.ssh', 'known_hosts') };
}

/** The known_hosts line kiln (and ssh) look up for a fixture: `[127.0.0.1]:port type key`. */
export function knownLine(f: SshdFixture, key: { type: string; base64: string } = f.hostKey): string {
  return `[127.0.0.1]:${f.port} ${key.type} ${key.base64}\n`;
}

/** Inventory vars that reach a fixture sshd as root with its client key. */
export function sshVars(f: { port: number; clientKey: string }, user = 'root'): string {
  return `ansible_host=127.0.0.1 ansible_port=${f.port} ansible_user=${user} ansible_ssh_private_key_file=${f.clientKey}`;
}

/** `kiln ARGS` with HOME pointed at `home` and no ssh-agent, so nothing outside the test is read. */
export function kilnAt(home: Home, args: readonly string[]): Promise<CliResult> {
  return kiln(args, { env: { HOME: home.dir, SSH_AUTH_SOCK: '' } });
}

/** Seconds since `t0`, to one decimal. */
export function secondsSince(t0: number): string {
  return ((Date.now() - t0) / 1000).toFixed(1);
}

/** Lines of human output that are task results: `ok: [h]`, `changed: [h]`, `fatal: [h]`, ... */
export function resultLines(stdout: string): { status: string; host: string; line: string }[] {
  const out: { status: string; host: string; line: string }[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^(ok|changed|skipping|fatal|failed|unreachable): \[([^\]]+)\]/.exec(line);
    if (m) out.push({ status: m[1] as string, host: m[2] as string, line });
  }
  return out;
}

/** Resolve once some process under sshd's listener runs a command line matching `re`. */
export async function waitForSession(f: SshdFixture, re: RegExp, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    for (const pid of descendants(f.pid)) {
      let args: string;
      try {
        args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      } catch {
        continue;
      }
      if (re.test(args)) return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no process matching ${re} appeared under sshd ${f.pid} within ${timeoutMs} ms`);
}

/** Write a playbook of `tasks` (YAML text, indented by two) for `hosts` into `dir`. */
export function writePlay(dir: string, name: string, hosts: string, tasks: string, extra = ''): string {
  const file = join(dir, name);
  writeFileSync(file, `- name: ${name}\n  hosts: ${hosts}\n  gather_facts: false\n${extra}  tasks:\n${tasks}`);
  return file;
}

const GNU_TIME = '/usr/bin/time';

export interface MeasuredRun extends CliResult {
  /** Peak resident set size of the kiln process, in KiB. */
  maxRssKb: number;
  /** How it was measured: GNU time's report, or /proc VmHWM sampled until exit. */
  how: 'time -v' | 'VmHWM';
}

/** Run the kiln CLI as kiln() does and measure its peak RSS (GNU time if installed, else /proc sampling). */
export function kilnMeasured(args: readonly string[], env: Record<string, string> = {}): Promise<MeasuredRun> {
  const node = [...COMMAND, ...args];
  let useTime = true;
  try {
    readFileSync(GNU_TIME);
  } catch {
    useTime = false;
  }
  const [cmd, ...argv] = useTime ? [GNU_TIME, '-v', ...node] : node;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd as string, argv, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let hwm = 0;
    const sampler = useTime
      ? undefined
      : setInterval(() => {
          try {
            const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
            if (m) hwm = Math.max(hwm, Number(m[1]));
          } catch {
            // exited
          }
        }, 20);
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (sampler) clearInterval(sampler);
      let maxRssKb = hwm;
      if (useTime) {
        const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
        maxRssKb = m ? Number(m[1]) : 0;
        // GNU time reports the command's status as its own; keep kiln's stderr readable.
        stderr = stderr.replace(/(Command exited with non-zero status \d+\n)?\tCommand being timed:[\s\S]*$/, '');
      }
      resolve({ code: code ?? -1, stdout, stderr, maxRssKb, how: useTime ? 'time -v' : 'VmHWM' });
    });
  });
}
