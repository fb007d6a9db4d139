// The corpus of broken playbooks under test/fixtures/invalid: every one must be refused by both
// `kiln validate` and `kiln play` with exit code 3, a message that names file:line:col, what is
// wrong and how to fix it, and without touching anything (each would create marker_dir if run).
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { kiln, type CliResult } from '../support/cli.js';

const DIR = 'test/fixtures/invalid';

/** The header of a fixture: `# expect: LINE:COL message`, `# fix: ...`, optional file and known bug. */
interface Fixture {
  name: string;
  /** The playbook path, relative to the repository root, as given to kiln. */
  file: string;
  /** The file the problem is reported in, as kiln shows it. */
  reportedIn: string;
  line: number;
  col: number;
  message: string;
  fix: string;
  /** A known engine bug (outside the files this corpus may change) that makes the report imprecise. */
  knownBug?: string;
}

function header(text: string, key: string): string | undefined {
  return new RegExp(`^# ${key}: (.+)$`, 'm').exec(text)?.[1]?.trim();
}

function readFixture(name: string): Fixture {
  const file = `${DIR}/${name}`;
  const text = readFileSync(file, 'utf8');
  const expect = /^(\d+):(\d+) (.+)$/.exec(header(text, 'expect') ?? '');
  const fix = header(text, 'fix');
  assert.ok(expect, `${file}: the first lines must say "# expect: LINE:COL message"`);
  assert.ok(fix, `${file}: missing "# fix: ..." header`);
  const other = header(text, 'expect-file');
  return {
    name,
    file,
    reportedIn: other ? `${DIR}/${other}` : file,
    line: Number(expect[1]),
    col: Number(expect[2]),
    message: expect[3] as string,
    fix,
    knownBug: header(text, 'known-bug'),
  };
}

const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.yml'))
  .sort()
  .map(readFixture);

/** One reported problem: its first line and its `fix:` line. */
interface Reported {
  head: string;
  fix?: string;
}

function problemsIn(stderr: string): Reported[] {
  const out: Reported[] = [];
  for (const line of stderr.split('\n')) {
    const fix = /^\s+fix: (.*)$/.exec(line);
    if (fix && out.length) (out[out.length - 1] as Reported).fix = fix[1];
    else if (line.trim() && !/^\s/.test(line)) out.push({ head: line });
  }
  return out;
}

/** Why the report does not match the fixture's header, or undefined when it does. */
function mismatch(fx: Fixture, r: CliResult): string | undefined {
  const at = `${fx.reportedIn}:${fx.line}:${fx.col}: `;
  const problems = problemsIn(r.stderr);
  const here = problems.filter((p) => p.head.includes(at));
  if (!here.length) return `no problem reported at ${at}`;
  const said = here.find((p) => p.head.includes(fx.message));
  if (!said) return `the problem at ${at} does not say ${JSON.stringify(fx.message)}`;
  if (!said.fix?.includes(fx.fix)) return `the problem at ${at} has no "fix:" line containing ${JSON.stringify(fx.fix)}`;
  return undefined;
}

/** Run tasks with at most `limit` in flight. */
async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await (tasks[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

const COMMANDS = ['validate', 'play'] as const;

interface Run {
  result: CliResult;
  markerDir: string;
}

describe('invalid playbooks (test/fixtures/invalid)', function () {
  this.timeout(600_000);
  let scratch = '';
  const runs = new Map<string, Run>();

  before(async function () {
    scratch = mkdtempSync(join(tmpdir(), 'kiln-invalid-'));
    const jobs = fixtures.flatMap((fx) =>
      COMMANDS.map((cmd) => async (): Promise<void> => {
        const markerDir = join(scratch, `${fx.name.replace(/\.yml$/, '')}-${cmd}`);
        const result = await kiln([cmd, fx.file, '-e', `marker_dir=${markerDir}`]);
        runs.set(`${cmd} ${fx.name}`, { result, markerDir });
      }),
    );
    await pool(jobs, Math.min(8, availableParallelism() + 1));
  });

  after(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('has at least 35 fixtures, each a different mistake', () => {
    assert.ok(fixtures.length >= 35, `only ${fixtures.length} fixtures`);
    const seen = new Map<string, string>();
    for (const fx of fixtures) {
      const key = `${fx.message}\n${fx.fix}`;
      assert.ok(!seen.has(key), `${fx.name} expects the same as ${seen.get(key)}`);
      seen.set(key, fx.name);
    }
    const bugs = fixtures.filter((fx) => fx.knownBug).length;
    assert.ok(bugs <= fixtures.length / 4, `${bugs} fixtures are marked known-bug`);
  });

  for (const fx of fixtures) {
    for (const cmd of COMMANDS) {
      const title = `kiln ${cmd} ${fx.name}: ${fx.line}:${fx.col} ${fx.message}${fx.knownBug ? ' (known bug)' : ''}`;
      it(title, function () {
        const run = runs.get(`${cmd} ${fx.name}`);
        assert.ok(run, 'the CLI did not run');
        const { result, markerDir } = run;
        const output = `--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
        assert.equal(result.code, 3, `exit code ${result.code}, expected 3 (invalid input)\n${output}`);
        assert.ok(!existsSync(markerDir), `${markerDir} was created: something ran\n${output}`);
        assert.doesNotMatch(result.stderr, /internal error/, output);
        const wrong = mismatch(fx, result);
        if (fx.knownBug) {
          // Exit code and "nothing touched" hold; only the report is imprecise. Pending until fixed.
          assert.ok(wrong, `known bug fixed? ${fx.name} now reports as expected: remove its "# known-bug:" line`);
          this.skip();
        }
        assert.equal(wrong, undefined, `${wrong}\n${output}`);
      });
    }
  }
});
