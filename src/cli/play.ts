// kiln play: validate everything, then run, then map the recap to an exit code.
import { EXIT } from '../engine/exit_codes.js';
import { JsonReporter } from '../engine/output/json.js';
import { HumanReporter } from '../engine/output/human.js';
import type { Reporter } from '../engine/output/events.js';
import { Run } from '../engine/runner/run.js';
import { parseExtraVars } from './extra_vars.js';
import { prepare } from './prepare.js';
import { colorWanted } from './tty.js';

/** The options of `kiln play`, as commander parses them (program.ts declares them). */
export interface PlayOpts {
  inventory: string[];
  check: boolean;
  diff: boolean;
  extraVars: string[];
  tags: string[];
  skipTags: string[];
  limit?: string;
  forks: number;
  json: boolean;
  verbose: number;
  forceHandlers: boolean;
  detailedExitcodes: boolean;
  acceptNewHostKeys: boolean;
}

function commaList(values: string[]): string[] {
  return values.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}

/** Run a playbook; returns the exit code. Validation errors throw before any host is contacted. */
export async function playCommand(file: string, o: PlayOpts): Promise<number> {
  const extraVars = parseExtraVars(o.extraVars);
  const { inventory, playbook } = await prepare(file, o.inventory, extraVars);
  const ropts = { out: process.stdout, diff: o.diff, verbosity: o.verbose, color: !o.json && colorWanted(process.stdout), check: o.check };
  const reporter: Reporter = o.json ? new JsonReporter(ropts) : new HumanReporter(ropts);
  const abort = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      process.stderr.write(`\nkiln: ${sig}: finishing the tasks in flight, starting no new ones (again to stop at once)\n`);
      abort.abort();
    } else {
      process.exit(EXIT.INTERRUPTED);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const summary = await new Run(
      playbook,
      inventory,
      {
        check: o.check,
        diff: o.diff,
        forks: o.forks,
        tags: commaList(o.tags),
        skipTags: commaList(o.skipTags),
        limit: o.limit,
        extraVars,
        forceHandlers: o.forceHandlers,
        verbosity: o.verbose,
        hostKeyPolicy: o.acceptNewHostKeys ? 'accept-new' : 'strict',
        signal: abort.signal,
      },
      reporter,
    ).run();
    await reporter.close();
    if (summary.exitCode === EXIT.OK && o.detailedExitcodes && Object.values(summary.counts).some((c) => c.changed > 0)) return EXIT.CHANGED;
    return summary.exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
