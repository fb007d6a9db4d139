import { strict as assert } from 'node:assert';
import { PROTOCOL } from '../../../../src/engine/connection/broker/protocol.js';
import { parseRequest } from '../../../../src/engine/connection/broker/request.js';
import { linkTarget } from '../../../support/link_target.js';

// As it travels: JSON, so no undefined field.
const target = JSON.parse(JSON.stringify(linkTarget({ user: 'u' }))) as Record<string, unknown>;

describe('broker requests', function () {
  it('accepts connect and exec, as null-prototype copies', function () {
    const c = parseRequest(JSON.stringify({ v: PROTOCOL, op: 'connect', name: 'web', persistSec: 60, target, secrets: { password: 'p' } }));
    assert.ok(!('problem' in c) && c.op === 'connect');
    assert.equal(Object.getPrototypeOf(c), null);
    assert.equal(c.secrets.password, 'p');
    const e = parseRequest(JSON.stringify({ v: PROTOCOL, op: 'exec', id: 'abc', argv: ['sh', '-c', 'x'] }));
    assert.ok(!('problem' in e) && e.op === 'exec');
    assert.deepEqual(e.argv, ['sh', '-c', 'x']);
  });

  it('refuses another protocol version, saying which', function () {
    const r = parseRequest(JSON.stringify({ v: PROTOCOL + 1, op: 'exec', id: 'a', argv: ['sh'] }));
    assert.ok('problem' in r);
    assert.match(r.problem, new RegExp(`protocol ${PROTOCOL + 1} is not this broker's \\(${PROTOCOL}\\)`));
  });

  it('refuses what is not JSON, an unknown op, wrong types and a persist time of 0', function () {
    for (const line of [
      'nope',
      JSON.stringify({ v: PROTOCOL, op: 'shell' }),
      JSON.stringify({ v: PROTOCOL, op: 'exec', id: 'a', argv: [] }),
      JSON.stringify({ v: PROTOCOL, op: 'connect', name: 'web', persistSec: 60, target: { ...target, port: '22' }, secrets: {} }),
      JSON.stringify({ v: PROTOCOL, op: 'connect', name: 'web', persistSec: 0, target, secrets: {} }),
      JSON.stringify({ v: PROTOCOL, op: 'connect', name: 'web', persistSec: 60, target: { ...target, policy: 'ask' }, secrets: {} }),
    ]) {
      assert.ok('problem' in parseRequest(line), line);
    }
  });
});
