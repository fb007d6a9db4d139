// The client's side of the broker's wire (protocol.ts): reach the socket, send a request line,
// read the answer's first frame.
import { connect, type Socket } from 'node:net';
import { type Failure, FrameReader } from './protocol.js';

/** A broker's answer: its first frame, and the reader (with any frames that came along) for the rest. */
export interface Reply {
  type: number;
  data: Buffer;
  reader: FrameReader;
  rest: Array<[number, Buffer]>;
}

/** Connect to the broker's socket (rejects with the errno: ENOENT, ECONNREFUSED, …). */
export function dial(path: string): Promise<Socket> {
  return new Promise((ok, fail) => {
    const sock = connect(path);
    sock.once('connect', () => {
      sock.off('error', fail);
      ok(sock);
    });
    sock.once('error', fail);
  });
}

/** The first frame on a fresh socket after our request line, or undefined if the socket closed first. */
export function ask(sock: Socket, line: string, signal?: AbortSignal): Promise<Reply | undefined> {
  return new Promise((ok, fail) => {
    let first: { type: number; data: Buffer } | undefined;
    const rest: Array<[number, Buffer]> = [];
    const reader = new FrameReader((type, data) => {
      if (!first) first = { type, data };
      else rest.push([type, data]);
    });
    const onData = (c: Buffer): void => {
      reader.push(c);
      if (first) done(() => ok({ ...(first as { type: number; data: Buffer }), reader, rest }));
    };
    const onClose = (): void => done(() => ok(undefined));
    const onAbort = (): void => done(() => fail(new DOMException('aborted', 'AbortError')));
    const done = (f: () => void): void => {
      sock.off('data', onData);
      sock.off('close', onClose);
      signal?.removeEventListener('abort', onAbort);
      sock.pause();
      f();
    };
    sock.on('error', () => undefined);
    sock.on('data', onData);
    sock.once('close', onClose);
    signal?.addEventListener('abort', onAbort, { once: true });
    sock.write(`${line}\n`);
  });
}

/** A FAIL frame's payload. */
export function failure(data: Buffer): Failure {
  try {
    return JSON.parse(data.toString('utf8')) as Failure;
  } catch {
    return { kind: 'broker', message: 'the broker sent an unreadable failure' };
  }
}
