// The byte stream of a remote or local `sh` process, as both transports provide it.

export interface StreamHandlers {
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
  /** Called once when the process or channel is gone. */
  close(reason: string): void;
}

export interface ShellStream {
  write(data: string): void;
  /** Replace the handlers (the handshake and the session each install their own). */
  setHandlers(h: StreamHandlers): void;
  /** End the process or channel. */
  kill(): void;
}

/** Opens `argv` as a long-lived process whose stdin we write shell commands to. */
export type ShellOpener = (argv: readonly string[]) => Promise<ShellStream>;

/** A ShellStream over a Node readable/writable trio (child process or ssh2 channel). */
export function streamOf(io: {
  stdin: NodeJS.WritableStream;
  stdout: NodeJS.ReadableStream;
  stderr: NodeJS.ReadableStream;
  onEnd: (cb: (reason: string) => void) => void;
  kill: () => void;
}): ShellStream {
  let h: StreamHandlers | undefined;
  const early: Array<() => void> = [];
  const dispatch = (f: (x: StreamHandlers) => void): void => {
    if (h) f(h);
    else early.push(() => h && f(h));
  };
  io.stdout.on('data', (c: Buffer) => dispatch((x) => x.stdout(c)));
  io.stderr.on('data', (c: Buffer) => dispatch((x) => x.stderr(c)));
  let ended = false;
  io.onEnd((reason) => {
    if (ended) return;
    ended = true;
    dispatch((x) => x.close(reason));
  });
  io.stdin.on('error', () => undefined);
  return {
    write: (d) => {
      if (!ended) io.stdin.write(d);
    },
    setHandlers: (next) => {
      h = next;
      for (const f of early.splice(0)) f();
    },
    kill: () => io.kill(),
  };
}
