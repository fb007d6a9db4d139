#!/usr/bin/env node
// The built bin (dist/cli/main.cjs): runs the bundles with their code cache. The sources run
// main.ts instead (tsx), which has no bundles. Built as CommonJS: node starts a CommonJS entry
// without its ES module loader (3-4 ms less per run).
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKiln, type BundleNames } from './bundles.js';

/** Set by build.ts: the bundles' content-hashed names. */
declare const KILN_BUNDLES: BundleNames;

// main() reports every error itself and sets the exit code; then the process exits at once.
void loadKiln(dirname(fileURLToPath(import.meta.url)), KILN_BUNDLES).mainAndExit(process.argv);
