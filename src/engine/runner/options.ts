// What a run was asked to do, from the command line.

export interface RunOptions {
  check: boolean;
  diff: boolean;
  forks: number;
  tags: string[];
  skipTags: string[];
  limit?: string;
  extraVars: Record<string, unknown>;
  forceHandlers: boolean;
  verbosity: number;
  /**
   * Host key policy for SSH: accept-new (--accept-new-host-keys) records unknown keys; strict leaves it
   * to ~/.ssh/config's StrictHostKeyChecking, which is strict unless set. A changed key is always
   * refused; turning checks off is a per-host inventory variable.
   */
  hostKeyPolicy: 'strict' | 'accept-new';
  /** Set when SIGINT/SIGTERM arrived: no new task starts. */
  signal?: AbortSignal;
}
