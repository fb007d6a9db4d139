// NODE_EXTRA_CA_CERTS makes node 20 read and parse that certificate file while it starts, before
// any of kiln's code runs: about 55 ms of every run where it names Debian's whole bundle
// (/etc/ssl/certs/ca-certificates.crt), as on this project's machines. kiln itself opens no TLS
// connection, so the bin's first line starts node without the variable and hands its value over
// in KILN_EXTRA_CA_CERTS; kiln puts it back before it runs anything (tasks' commands on a local
// connection, inventory scripts), which see the environment they were given.

/** The variable that holds NODE_EXTRA_CA_CERTS while node starts. */
export const HELD_CA_CERTS = 'KILN_EXTRA_CA_CERTS';

/**
 * The bin's first line (src/cli/launch.ts must start with it; a test checks). GNU env (-S, since
 * coreutils 8.30) expands ${NODE_EXTRA_CA_CERTS} before it unsets the variable; unset, it expands
 * to the empty string.
 */
export const SHEBANG = `#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS ${HELD_CA_CERTS}=\${NODE_EXTRA_CA_CERTS} node`;

/**
 * Give NODE_EXTRA_CA_CERTS back its value in `env`, when the bin's first line held it. Without
 * the hand-over (`node main.cjs`, the sources under tsx) `env` is left alone. An empty value
 * means unset, to node as well.
 */
export function restoreExtraCaCerts(env: NodeJS.ProcessEnv): void {
  const held = env[HELD_CA_CERTS];
  if (held === undefined) return;
  delete env[HELD_CA_CERTS];
  if (held !== '') env['NODE_EXTRA_CA_CERTS'] = held;
}
