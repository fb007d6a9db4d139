#!/usr/bin/env node
// kiln's command line (the bin); the commands live in program.ts.
import { mainAndExit } from './program.js';

await mainAndExit(process.argv);
