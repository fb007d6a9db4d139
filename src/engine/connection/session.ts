// One long-lived `sh` per host (and per become user): commands are framed over its stdin,
// so a task costs a round trip, not a process start or an SSH channel.
import { randomBytes } from 'node:crypto';
import { ConnectionError, KilnError } from '../errors.js';
import { EXIT } from '../exit_codes.js';
import { Collector } from './framing.js';
import type { ShellOpener, ShellStream } from './stream.js';

export interface Frame {
  rc: number;
  stdout: Buffer;
  stderr: Buffer;
}

interface Pending {
  marker: string;
  resolve: (f: Frame) => void;
  reject: (e: Error) => void;
  out?: { body: Buffer; trailer: string };
  err?: Buffer;
}

export interface SessionOptions {
  host: string;
  /** sudo to this user for the whole session (password over stdin, never argv). */
  becomeUser?: string;
  becomePassword?: string;
  /** Seconds to wait for the shell (and sudo) to come up. */
  startTimeoutSec?: number;
}

/** What a plain session's shell prints once it runs (the same for every session: see open()). */
const READY = 'KILN_READY';

export class ShellSession {
  private readonly nonce = randomBytes(9).toString('hex');
  private seq = 0;
  private readonly out = new Collector();
  private readonly err = new Collector();
  private queue: Pending[] = [];
  private closed: string | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly stream: ShellStream,
    private readonly host: string,
  ) {}

  /** Start `sh` (through sudo when becoming another user) and wait until it answers. */
  static async open(opener: ShellOpener, opts: SessionOptions): Promise<ShellSession> {
    // The shell says it is ready from its command line, never from stdin: a login shell's rc file
    // (sshd runs commands through it) may read stdin before the command starts. Without become
    // the command is the same every time, so the SSH broker can open one ahead of the run that
    // takes it (broker/server.ts, spares); with become, sudo's prompt is a one-time string.
    const nonce = randomBytes(9).toString('hex');
    const ready = opts.becomeUser ? `KILN_READY_${nonce}` : READY;
    const prompt = `KILN_SUDO_${nonce}:`;
    const boot = `printf '%s\\n' ${ready}; exec sh`;
    const argv = opts.becomeUser ? ['sudo', '-S', '-H', '-p', prompt, '-u', opts.becomeUser, '--', 'sh', '-c', boot] : ['sh', '-c', boot];
    const stream = await opener(argv);
    await handshake(stream, opts, ready, prompt);
    const session = new ShellSession(stream, opts.host);
    session.listen();
    return session;
  }

  get alive(): boolean {
    return this.closed === undefined;
  }

  private listen(): void {
    this.stream.setHandlers({
      stdout: (c) => {
        this.out.push(c);
        this.drain();
      },
      stderr: (c) => {
        this.err.push(c);
        this.drain();
      },
      close: (reason) => {
        this.closed = reason || 'the shell exited';
        const waiting = this.queue;
        this.queue = [];
        for (const p of waiting) p.reject(new ConnectionError(this.host, `connection lost: ${this.closed}`));
      },
    });
  }

  private drain(): void {
    const head = this.queue[0];
    if (!head) return;
    if (!head.out) head.out = this.out.take(Buffer.from(`\n${head.marker} `));
    if (head.err === undefined) head.err = this.err.take(Buffer.from(`\n${head.marker}`))?.body;
    if (head.out && head.err !== undefined) {
      this.queue.shift();
      head.resolve({ rc: Number.parseInt(head.out.trailer, 10), stdout: head.out.body, stderr: head.err });
      this.drain();
    }
  }

  /**
   * Run shell text. `stdin` (if any) is fed through base64 so that any bytes survive.
   * The text must be a complete command list; it runs in the session's shell.
   */
  exec(command: string, stdin?: Buffer): Promise<Frame> {
    const run = async (): Promise<Frame> => {
      if (this.closed !== undefined) throw new ConnectionError(this.host, `connection lost: ${this.closed}`);
      const marker = `KILN_END_${this.nonce}_${++this.seq}`;
      let text: string;
      if (stdin !== undefined) {
        const eof = `KILN_EOF_${this.nonce}`;
        const b64 = stdin.toString('base64').replace(/.{1,76}/g, '$&\n');
        // A function keeps the here-document after the whole (possibly multi-line) command.
        text = `kiln_cmd() {\n${command}\n}\nbase64 -d <<'${eof}' | kiln_cmd\n${b64}${eof}\n`;
      } else {
        text = `{ ${command}\n} </dev/null\n`;
      }
      text += `printf '\\n%s %s\\n' ${marker} "$?"; printf '\\n%s\\n' ${marker} >&2\n`;
      return await new Promise<Frame>((resolve, reject) => {
        this.queue.push({ marker, resolve, reject });
        this.stream.write(text);
      });
    };
    // One command at a time per session.
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  close(): void {
    if (this.closed === undefined) {
      this.closed = 'closed by kiln';
      this.stream.write('exit 0\n');
      this.stream.kill();
    }
  }
}

async function handshake(stream: ShellStream, opts: SessionOptions, ready: string, prompt: string): Promise<void> {
  const timeoutMs = (opts.startTimeoutSec ?? 30) * 1000;
  await new Promise<void>((resolve, reject) => {
    let out = '';
    let err = '';
    let prompts = 0;
    let done = false;
    const finish = (e?: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (e) {
        stream.kill();
        reject(e);
      } else resolve();
    };
    const timer = setTimeout(
      () => finish(new ConnectionError(opts.host, `the remote shell did not start within ${timeoutMs / 1000} s${err ? `: ${err.trim()}` : ''}`)),
      timeoutMs,
    );
    stream.setHandlers({
      stdout: (c) => {
        out += c.toString('utf8');
        if (out.includes(`${ready}\n`)) finish();
      },
      stderr: (c) => {
        err += c.toString('utf8');
        const seen = err.split(prompt).length - 1;
        if (seen > prompts) {
          prompts = seen;
          if (prompts > 1) return finish(new BecomeError(opts.host, 'incorrect become password (sudo refused it)'));
          if (opts.becomePassword === undefined)
            return finish(
              new BecomeError(opts.host, `sudo to ${opts.becomeUser ?? 'root'} needs a password; set kiln_become_password (or ansible_become_password) for this host`),
            );
          stream.write(`${opts.becomePassword}\n`);
        }
      },
      close: (reason) => {
        const msg = err.split(prompt).join('').trim();
        finish(new ConnectionError(opts.host, `the shell exited before it was ready: ${msg || reason}`));
      },
    });
  });
}

/** sudo failed: the host is reachable, but the task cannot run as asked. */
export class BecomeError extends KilnError {
  override readonly exitCode = EXIT.HOST_FAILED;
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(message);
  }
}
