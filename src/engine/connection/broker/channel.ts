// A channel of a brokered connection as kiln's ShellStream: STDOUT/STDERR/CLOSE frames in, raw
// stdin out, on the exec socket the broker answered READY on.
import type { Socket } from 'node:net';
import type { ShellStream, StreamHandlers } from '../stream.js';
import { FRAME, type FrameReader } from './protocol.js';

/** A ShellStream over an exec socket, after READY; `dead` says why, when the socket closes without a CLOSE frame. */
export function channelStream(sock: Socket, reader: FrameReader, pending: Array<[number, Buffer]>, dead: () => string | undefined): ShellStream {
  let h: StreamHandlers | undefined;
  const early: Array<() => void> = [];
  const dispatch = (f: (x: StreamHandlers) => void): void => {
    if (h) f(h);
    else early.push(() => h && f(h));
  };
  let ended = false;
  let reason: string | undefined;
  const onFrame = (type: number, data: Buffer): void => {
    if (type === FRAME.STDOUT) dispatch((x) => x.stdout(data));
    else if (type === FRAME.STDERR) dispatch((x) => x.stderr(data));
    else if (type === FRAME.CLOSE) reason = data.toString('utf8');
  };
  for (const [type, data] of pending) onFrame(type, data);
  reader.onFrame = onFrame;
  sock.on('data', (c: Buffer) => reader.push(c));
  sock.once('close', () => {
    if (ended) return;
    ended = true;
    const why = reason ?? dead() ?? 'the kiln SSH broker closed the channel';
    dispatch((x) => x.close(why));
  });
  sock.resume();
  return {
    write: (d) => {
      if (!ended) sock.write(d);
    },
    setHandlers: (next) => {
      h = next;
      for (const f of early.splice(0)) f();
    },
    kill: () => {
      // Ending our side kills the channel; what the broker still sends need not keep kiln running.
      sock.end();
      sock.unref();
    },
  };
}
