// The wire protocol between kiln and its SSH connection broker (server.ts), over a unix socket
// in the 0700 control directory. One socket per use, no multiplexing:
//
//   1. The client sends one JSON line, a Request (below), protocol version `v` first.
//   2. The broker answers with one frame: READY (JSON payload for `connect`, empty for `exec`) or
//      FAIL (JSON {kind, message}: kind "ssh" is an SSH failure to report as is, kind "broker"
//      means the broker cannot serve this request and the client should connect directly).
//   3. `connect` (connect-or-reuse): the socket then stays open as the client's lease on the
//      connection; the broker may send DROPPED (the reason, UTF-8) when the SSH connection dies.
//      The client closing the socket ends its lease.
//      `exec` (one channel of a connection, by the id READY gave): client→broker is raw stdin
//      bytes; broker→client are STDOUT, STDERR and finally CLOSE (the reason, UTF-8), after
//      which the broker ends the socket. The client ending or closing its side kills the channel.
//
// A frame is a type byte, a 4-byte big-endian length and that many bytes of data. Secrets (the
// login password, the key passphrase) travel only in the `connect` line, on this socket.
import type { LinkTarget, SshSecrets } from '../ssh_target.js';

/** Bumped whenever a request or a frame changes; part of the socket's name. */
export const PROTOCOL = 1;

export const FRAME = {
  READY: 1,
  FAIL: 2,
  STDOUT: 3,
  STDERR: 4,
  CLOSE: 5,
  DROPPED: 6,
} as const;

export type FrameType = (typeof FRAME)[keyof typeof FRAME];

export interface ConnectRequest {
  v: typeof PROTOCOL;
  op: 'connect';
  /** The inventory host name, for the messages of a failed login. */
  name: string;
  target: LinkTarget;
  secrets: SshSecrets;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Seconds the connection stays after its last lease or channel ended (the latest request sets it). */
  persistSec: number;
}

export interface ExecRequest {
  v: typeof PROTOCOL;
  op: 'exec';
  /** The connection's id from the connect READY. */
  id: string;
  argv: string[];
}

export type Request = ConnectRequest | ExecRequest;

export interface ConnectReady {
  id: string;
  /** Whether the connection was already open (no login was needed). */
  reused: boolean;
}

export interface Failure {
  kind: 'ssh' | 'broker';
  message: string;
}

/** The largest request line the broker reads (a target and its file lists are far smaller). */
export const MAX_REQUEST = 1 << 20;

export function frame(type: FrameType, data: Buffer | string = ''): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const head = Buffer.allocUnsafe(5);
  head.writeUInt8(type, 0);
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** Splits a byte stream into frames, whatever the chunking (a frame's bytes are joined once, when all are in). */
export class FrameReader {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Bytes the frame at the head needs in all (5 until its header is in). */
  private need = 5;

  /** Called for each whole frame; may be replaced between chunks. */
  constructor(public onFrame: (type: number, data: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size >= this.need) {
      const buf = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.size);
      const total = 5 + buf.readUInt32BE(1);
      if (buf.length < total) {
        this.chunks = [buf];
        this.need = total;
        return;
      }
      const rest = buf.subarray(total);
      this.chunks = rest.length ? [rest] : [];
      this.size = rest.length;
      this.need = 5;
      this.onFrame(buf.readUInt8(0), buf.subarray(5, total));
    }
  }
}
