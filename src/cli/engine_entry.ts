// The engine bundle: every subcommand, loaded when program.ts imports one (build.ts links them).
export * as play from './play.js';
export * as validate from './validate.js';
export * as inventory from './inventory.js';
export * as doc from './doc.js';
export * as facts from './facts.js';
export * as role_init from './role_init.js';
export * as ssh_broker from './ssh_broker.js';
export * as vault from './vault.js';
