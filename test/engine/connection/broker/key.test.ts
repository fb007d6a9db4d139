import { strict as assert } from 'node:assert';
import { ConnectionKeys } from '../../../../src/engine/connection/broker/key.js';
import { type ConnectRequest, PROTOCOL } from '../../../../src/engine/connection/broker/protocol.js';

function request(over: Partial<ConnectRequest['target']> = {}, secrets: ConnectRequest['secrets'] = {}, more: Partial<ConnectRequest> = {}): ConnectRequest {
  return {
    v: PROTOCOL,
    op: 'connect',
    name: 'web1',
    persistSec: 60,
    secrets,
    target: {
      address: '10.0.0.5',
      port: 22,
      user: 'deploy',
      identityFiles: ['/home/u/.ssh/id_ed25519'],
      explicitIdentities: true,
      knownHostsFiles: ['/home/u/.ssh/known_hosts'],
      globalKnownHostsFiles: ['/etc/ssh/ssh_known_hosts'],
      policy: 'strict',
      hashKnownHosts: false,
      useAgent: undefined,
      timeoutSec: 10,
      ...over,
    },
    ...more,
  };
}

describe('broker connection keys', function () {
  const keys = new ConnectionKeys();
  const base = keys.key(request());

  it('the same target, secrets and keepalive: the same key, whatever the inventory name, timeout or persist time', function () {
    assert.equal(keys.key(request({ timeoutSec: 30 }, {}, { name: 'other', persistSec: 5 })), base);
  });

  it('anything that decides the login or its verification: another key', function () {
    const variants: ConnectRequest[] = [
      request({ address: '10.0.0.6' }),
      request({ port: 2222 }),
      request({ user: 'root' }),
      request({ identityFiles: ['/home/u/.ssh/other'] }),
      request({ explicitIdentities: false }),
      request({ knownHostsFiles: ['/tmp/known_hosts'] }),
      request({ globalKnownHostsFiles: [] }),
      request({ policy: 'accept-new' }),
      request({ policy: 'off' }),
      request({ hashKnownHosts: true }),
      request({ useAgent: '/run/agent.sock' }),
      request({}, { password: 'a' }),
      request({}, { privateKeyPassphrase: 'a' }),
      request({}, {}, { keepaliveIntervalMs: 1000 }),
    ];
    const all = new Set([base, ...variants.map((r) => keys.key(r))]);
    assert.equal(all.size, variants.length + 1);
  });

  it('tells secrets apart without holding them: another password is another key, the same one the same', function () {
    const a = keys.key(request({}, { password: 'secret-1' }));
    assert.equal(keys.key(request({}, { password: 'secret-1' })), a);
    assert.notEqual(keys.key(request({}, { password: 'secret-2' })), a);
    assert.ok(!a.includes('secret'));
    // Salted per broker: another broker's key for the same password differs.
    assert.notEqual(new ConnectionKeys().key(request({}, { password: 'secret-1' })), a);
  });
});
