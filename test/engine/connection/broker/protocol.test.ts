import { strict as assert } from 'node:assert';
import { FRAME, frame, FrameReader } from '../../../../src/engine/connection/broker/protocol.js';

describe('broker protocol frames', function () {
  it('a type byte, a 4-byte big-endian length, the data', function () {
    assert.deepEqual([...frame(FRAME.STDOUT, 'hé')], [FRAME.STDOUT, 0, 0, 0, 3, 0x68, 0xc3, 0xa9]);
    assert.deepEqual([...frame(FRAME.READY)], [FRAME.READY, 0, 0, 0, 0]);
  });

  it('reads frames back whatever the chunking, byte by byte or several in one chunk', function () {
    const sent: Array<[number, string]> = [
      [FRAME.STDOUT, 'out'],
      [FRAME.STDERR, ''],
      [FRAME.STDOUT, 'x'.repeat(70_000)],
      [FRAME.CLOSE, 'the remote shell exited with 0'],
    ];
    const wire = Buffer.concat(sent.map(([t, d]) => frame(t as 3, d)));
    for (const size of [1, 3, 5, 4096, wire.length]) {
      const got: Array<[number, string]> = [];
      const r = new FrameReader((t, d) => got.push([t, d.toString('utf8')]));
      for (let i = 0; i < wire.length; i += size) r.push(wire.subarray(i, i + size));
      assert.deepEqual(got, sent, `chunks of ${size}`);
    }
  });

  it('hands later frames to a replaced handler', function () {
    const first: number[] = [];
    const second: number[] = [];
    const r = new FrameReader((t) => first.push(t));
    r.push(frame(FRAME.READY));
    r.onFrame = (t) => second.push(t);
    r.push(frame(FRAME.DROPPED, 'gone'));
    assert.deepEqual([first, second], [[FRAME.READY], [FRAME.DROPPED]]);
  });
});
