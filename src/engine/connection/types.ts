// The connection contract that the local and the SSH connection both fulfil.

export interface RunOptions {
  /** Bytes fed to the command's standard input (never put secrets in argv: pass them here). */
  stdin?: string | Buffer;
  env?: Readonly<Record<string, string>>;
  cwd?: string;
  /** Seconds; the command is killed (TERM, then KILL) when it outlives this. */
  timeoutSec?: number;
  /** Run as this user through the connection's become method (sudo). */
  becomeUser?: string;
}

export interface RunResult {
  rc: number;
  stdout: string;
  stderr: string;
  /** True when timeoutSec ran out and the command was killed. */
  timedOut?: boolean;
}

export interface PutOptions {
  mode?: string;
  owner?: string;
  group?: string;
  /** A command run on the temporary file before it replaces `path`; "%s" is the temp path. */
  validate?: readonly string[];
  /** Keep the replaced file as `path.<timestamp>~`; its name is returned. */
  backup?: boolean;
  becomeUser?: string;
}

export interface PutResult {
  backupPath?: string;
}

export interface Connection {
  readonly host: string;
  /** Run argv (quoted once, here at the edge). Never throws for a non-zero rc. */
  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** Run a fixed kiln-internal shell script (facts, batched probes). Arguments are quoted. */
  script(script: string, args?: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /**
   * Write `content` to `path` atomically: a temp file in the same folder, then rename.
   * If this fails, `path` is untouched and the temp file is removed.
   */
  put(content: string | Buffer, path: string, opts?: PutOptions): Promise<PutResult>;
  /** The file's bytes, or null when it does not exist. */
  get(path: string, opts?: { becomeUser?: string }): Promise<Buffer | null>;
  /**
   * Start opening the login user's shell now, in the background, so that the first command does
   * not wait for it. A failure is not reported here: the first command that needs the shell opens
   * it again and reports it.
   */
  warm?(): void;
  close(): Promise<void>;
}
