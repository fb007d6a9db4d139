// The broker process on its own: one per socket, what it answers to a bad request, when it stops.
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { Broker } from '../../../../src/engine/connection/broker/server.js';
import { FRAME, FrameReader, PROTOCOL } from '../../../../src/engine/connection/broker/protocol.js';
import { startBroker } from '../../../../src/engine/connection/broker/start.js';
import { type ControlDir, useControlDir } from '../../../support/broker.js';

/** Send one request line; the frames the broker answers with until it closes the socket. */
function exchange(path: string, line: string): Promise<Array<[number, string]>> {
  return new Promise((resolve, reject) => {
    const got: Array<[number, string]> = [];
    const reader = new FrameReader((t, d) => got.push([t, d.toString('utf8')]));
    const s = connect(path);
    s.on('error', reject);
    s.on('data', (c: Buffer) => reader.push(c));
    s.on('close', () => resolve(got));
    s.write(`${line}\n`);
  });
}

describe('ssh broker process', function () {
  let cd: ControlDir;
  beforeEach(async function () {
    cd = await useControlDir();
  });
  afterEach(async function () {
    await cd.cleanup();
  });

  it('a second broker on a socket already taken exits at once, leaving the first one serving', async function () {
    const first = new Broker(cd.socket);
    assert.equal(await first.listen(), 'listening');
    try {
      const second = startBroker(cd.socket);
      const code = await new Promise<number | null>((r) => second.once('exit', r));
      assert.equal(code, 0);
      assert.ok(existsSync(cd.socket), 'the first broker keeps its socket');
      const reply = await exchange(cd.socket, JSON.stringify({ v: PROTOCOL, op: 'exec', id: 'none', argv: ['sh'] }));
      assert.equal(reply[0]?.[0], FRAME.FAIL);
      assert.match(reply[0]?.[1] ?? '', /no longer held by the kiln broker; kiln does not reconnect/);
    } finally {
      await first.shutdown();
    }
  });

  it('answers a request of another protocol version with a broker failure (kiln then connects directly)', async function () {
    const b = new Broker(cd.socket);
    await b.listen();
    try {
      const reply = await exchange(cd.socket, JSON.stringify({ v: PROTOCOL + 1, op: 'connect' }));
      assert.deepEqual(reply.map(([t]) => t), [FRAME.FAIL]);
      assert.deepEqual(JSON.parse(reply[0]?.[1] ?? ''), { kind: 'broker', message: `protocol ${PROTOCOL + 1} is not this broker's (${PROTOCOL})` });
    } finally {
      await b.shutdown();
    }
  });

  it('stops, removing its socket, once it holds nothing and its last client left', async function () {
    const b = new Broker(cd.socket);
    await b.listen();
    let stopped = false;
    void b.stoppedPromise().then(() => (stopped = true));
    await exchange(cd.socket, 'not json');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(stopped, true);
    assert.equal(existsSync(cd.socket), false);
  });
});
