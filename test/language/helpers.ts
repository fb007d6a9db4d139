// Shared by the language acceptance tests: fixtures, a scratch root per suite, and readers for
// what a run left behind (log lines, NDJSON events).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kiln, recap, ROOT, type CliResult, type Recap } from '../support/cli.js';

export const FIXTURES = join(ROOT, 'test/fixtures/language');

/** An inventory with two hosts (alpha, beta), both over the local connection. */
export const TWO_HOSTS = join(FIXTURES, 'two_hosts.ini');

export function fixture(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}

/** A scratch folder for one suite; remove it in `after`. */
export function scratch(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `kiln-lang-${prefix}-`));
}

export function removeScratch(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** The lines a playbook appended to a log file ([] when it never wrote one). */
export function logLines(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

export interface Played extends CliResult {
  /** The recap of each host, parsed from the human output. */
  recap: Record<string, Recap>;
}

/** `kiln play FIXTURE -e root=ROOT ARGS...` */
export async function play(playbook: string, root: string, args: readonly string[] = [], env?: Record<string, string>): Promise<Played> {
  const r = await kiln(['play', playbook, '-e', `root=${root}`, ...args], { env });
  return { ...r, recap: recap(r.stdout) };
}

export interface TaskEvent {
  event: string;
  task?: string;
  host?: string;
  status?: string;
  msg?: string;
  handler?: boolean;
  data?: Record<string, unknown>;
}

/** The NDJSON events of a `--json` run. */
export function events(stdout: string): TaskEvent[] {
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TaskEvent);
}

/** Names of the tasks that ran (not skipped) on a host, in order, from `--json` output. */
export function ranTasks(stdout: string, host = 'localhost'): string[] {
  return events(stdout)
    .filter((e) => e.event === 'task_result' && e.host === host && e.status !== 'skipped')
    .map((e) => e.task as string);
}

/** A message for assert.* that shows what the run printed. */
export function output(r: CliResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}
