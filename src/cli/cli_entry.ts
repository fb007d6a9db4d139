// The cli bundle: the command line, and what the engine bundle shares with it (build.ts links
// the engine's imports of these modules to this bundle's copies).
export { main, mainAndExit } from './program.js';
export * as errors from '../engine/errors.js';
export * as exitCodes from '../engine/exit_codes.js';
export * as paths from '../engine/paths.js';
