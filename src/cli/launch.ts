#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS KILN_EXTRA_CA_CERTS=${NODE_EXTRA_CA_CERTS} node
// The built bin (dist/cli/main.cjs): runs the bundles with their code cache. The sources run
// main.ts instead (tsx), which has no bundles. Built as CommonJS: node starts a CommonJS entry
// without its ES module loader (3-4 ms less per run). The first line is extra_ca_certs.ts's
// SHEBANG: node starts without NODE_EXTRA_CA_CERTS, which restoreExtraCaCerts puts back.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKiln, type BundleNames } from './bundles.js';
import { restoreExtraCaCerts } from './extra_ca_certs.js';

/** Set by build.ts: the bundles' content-hashed names. */
declare const KILN_BUNDLES: BundleNames;

restoreExtraCaCerts(process.env);
// main() reports every error itself and sets the exit code; then the process exits at once.
void loadKiln(dirname(fileURLToPath(import.meta.url)), KILN_BUNDLES).mainAndExit(process.argv);
