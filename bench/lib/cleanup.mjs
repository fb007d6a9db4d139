// Everything the bench starts or creates registers its undo here; run on exit, error and signal.

const undo = [];
let running;
let signalled = false;

/** Whether a signal asked the bench to stop (a run killed by cleanup is not a wrong result). */
export const interrupted = () => signalled;

/** Register `fn` to run at cleanup, in reverse order of registration. Returns an unregister function. */
export function onCleanup(fn) {
  undo.push(fn);
  return () => {
    const i = undo.indexOf(fn);
    if (i >= 0) undo.splice(i, 1);
  };
}

/** Run every registered undo once (latest first); errors are reported, never thrown. */
export function cleanup() {
  running ??= (async () => {
    while (undo.length) {
      const fn = undo.pop();
      try {
        await fn();
      } catch (e) {
        process.stderr.write(`bench: cleanup step failed: ${e instanceof Error ? e.message : String(e)}\n`);
      }
    }
  })();
  return running;
}

/** On SIGINT/SIGTERM/SIGHUP: clean up, then exit 130 (a second signal exits at once). */
export function installSignalHandlers() {
  let seen = 0;
  const handler = (sig) => {
    seen++;
    signalled = true;
    if (seen > 1) process.exit(130);
    process.stderr.write(`\nbench: ${sig}: stopping the run in flight and cleaning up\n`);
    cleanup().finally(() => process.exit(130));
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, handler);
}
