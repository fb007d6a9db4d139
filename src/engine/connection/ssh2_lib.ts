// ssh2, loaded on first use (40-50 ms of module loading), while the first TCP connect is under way.
let loaded: Promise<typeof import('ssh2')> | undefined;

/** The ssh2 module, imported once. */
export function loadSsh2(): Promise<typeof import('ssh2')> {
  return (loaded ??= import('ssh2').then((m) => m.default));
}
