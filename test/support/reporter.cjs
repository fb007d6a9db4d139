// mocha's spec reporter, plus one closing line in the plain form any CI reads:
// "mocha: N passed, N failed, N skipped".
'use strict';
const Mocha = require('mocha');

class KilnReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const s = runner.stats;
      process.stdout.write(`mocha: ${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`);
    });
  }
}

module.exports = KilnReporter;
