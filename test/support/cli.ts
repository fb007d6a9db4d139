// Runs the kiln CLI as a user would (a real process), from the repo root, through tsx.
import { spawn } from 'node:child_process';
import type { RecapCounts } from '../../src/engine/result.js';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/**
 * The built CLI, as users run it (`npm test` builds first, so it is never stale there). Set
 * KILN_TEST_SOURCE=1 to run the TypeScript sources through tsx instead, e.g. while editing.
 */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
export const ENTRY = process.env['KILN_TEST_SOURCE'] ? ['--import', TSX, `${ROOT}src/cli/main.ts`] : [`${ROOT}dist/cli/main.cjs`];
/** The command line before kiln's arguments: the built bin runs itself, through its first line, as `kiln` does. */
export const COMMAND: readonly string[] = process.env['KILN_TEST_SOURCE'] ? [process.execPath, ...ENTRY] : ENTRY;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `kiln ARGS...`; never throws on a non-zero exit. */
export function kiln(args: readonly string[], opts: { cwd?: string; env?: Record<string, string>; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [cmd, ...argv] = [...COMMAND, ...args] as [string, ...string[]];
    const child = spawn(cmd, argv, {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

export type Recap = RecapCounts;

/** The PLAY RECAP lines, by host, parsed with the regex users grep with. */
export function recap(stdout: string): Record<string, Recap> {
  const out: Record<string, Recap> = {};
  const re = /^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)\s+rescued=(\d+)\s+ignored=(\d+)\s*$/gm;
  for (const m of stdout.matchAll(re)) {
    const n = m.slice(2).map(Number) as number[];
    out[m[1] as string] = { ok: n[0]!, changed: n[1]!, unreachable: n[2]!, failed: n[3]!, skipped: n[4]!, rescued: n[5]!, ignored: n[6]! };
  }
  return out;
}
