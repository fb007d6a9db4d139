#!/usr/bin/env node
// The built bin (dist/cli/main.js): runs the bundles with their code cache. The sources run
// main.ts instead (tsx), which has no bundles.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKiln, type BundleNames } from './bundles.js';

/** Set by build.ts: the bundles' content-hashed names. */
declare const KILN_BUNDLES: BundleNames;

await loadKiln(dirname(fileURLToPath(import.meta.url)), KILN_BUNDLES).main(process.argv);
