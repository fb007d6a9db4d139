// Running the real kiln CLI against test hosts: one inventory for several hosts, their keys in a
// private known_hosts (host key checking stays on), and the --json events parsed for assertions.
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliResult, kiln, ROOT } from '../support/cli.js';
import type { RecapCounts } from '../../src/engine/result.js';
import type { TestHost } from '../support/testhost/host.js';

/** One change of a task result, as --json prints it. */
export interface JsonChange {
  summary: string;
  pending: string | null;
}

/** A `task_result` event of `kiln play --json`. */
export interface TaskResult {
  event: 'task_result';
  play: string;
  host: string;
  task: string;
  status: 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable';
  changes: JsonChange[];
  msg: string;
  /** The module's result data (package: cache_updated, ...), when it has any. */
  data?: Record<string, unknown>;
}

export interface PlayRun extends CliResult {
  /** Every NDJSON event, in order. */
  events: Record<string, unknown>[];
  /** The one result of `task` on `host` (of `play`, when given); throws when there is not exactly one. */
  result(host: string, task: string, play?: string): TaskResult;
  /** The recap event's counts by host. */
  recap: Record<string, RecapCounts>;
  /** Wall-clock seconds the CLI took. */
  seconds: number;
}

export interface KilnOnHosts {
  /** The temp dir: HOME (with .ssh/known_hosts) and the inventory. */
  readonly dir: string;
  readonly inventory: string;
  /** `kiln play test/fixtures/hosts/FIXTURE -i INV --json ARGS...` */
  play(fixture: string, ...args: string[]): Promise<PlayRun>;
  /** `kiln play ... ` without --json: what a user sees. */
  playText(fixture: string, ...args: string[]): Promise<CliResult>;
  /** `kiln facts HOST -i INV`, parsed. */
  facts(host: string): Promise<Record<string, unknown>>;
  /** Remove the temp dir. */
  remove(): Promise<void>;
}

export const FIXTURES = join(ROOT, 'test/fixtures/hosts');

/**
 * A temp HOME whose ~/.ssh/known_hosts holds the hosts' keys (kiln has no inventory variable for
 * a known_hosts file), and an inventory of the hosts in group `test_hosts`.
 */
export async function kilnOnHosts(hosts: readonly TestHost[]): Promise<KilnOnHosts> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-on-hosts-'));
  await mkdir(join(dir, '.ssh'), { mode: 0o700 });
  await writeFile(join(dir, '.ssh/known_hosts'), hosts.map((h) => `${h.knownHostsLine}\n`).join(''));
  await chmod(join(dir, '.ssh/known_hosts'), 0o600);
  const inventory = join(dir, 'inventory.ini');
  const lines = hosts.map((h) => `${h.name} kiln_host=${h.ip} kiln_port=${h.sshPort} kiln_user=${h.user} kiln_private_key_file=${h.keyFile}`);
  await writeFile(inventory, `[test_hosts]\n${lines.join('\n')}\n`);
  const env = { HOME: dir };

  const run = async (args: string[]): Promise<CliResult & { seconds: number }> => {
    const t0 = Date.now();
    const r = await kiln(args, { env });
    return { ...r, seconds: (Date.now() - t0) / 1000 };
  };

  return {
    dir,
    inventory,
    async play(fixture, ...args) {
      const r = await run(['play', join(FIXTURES, fixture), '-i', inventory, '--json', ...args]);
      const events = r.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const result = (host: string, task: string, play?: string): TaskResult => {
        const found = events.filter((e): e is TaskResult & Record<string, unknown> => e['event'] === 'task_result' && e['host'] === host && e['task'] === task && (play === undefined || e['play'] === play));
        if (found.length !== 1) throw new Error(`${found.length} results of task "${task}" on ${host}${play ? ` in play "${play}"` : ''}; kiln said:\n${r.stdout}${r.stderr}`);
        return found[0] as TaskResult;
      };
      const recap = (events.find((e) => e['event'] === 'recap')?.['hosts'] ?? {}) as Record<string, RecapCounts>;
      return { ...r, events, result, recap };
    },
    playText: (fixture, ...args) => run(['play', join(FIXTURES, fixture), '-i', inventory, ...args]),
    async facts(host) {
      const r = await run(['facts', host, '-i', inventory]);
      if (r.code !== 0) throw new Error(`kiln facts ${host} exited ${r.code}:\n${r.stdout}${r.stderr}`);
      return (JSON.parse(r.stdout) as { ansible_facts: Record<string, unknown> }).ansible_facts;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
