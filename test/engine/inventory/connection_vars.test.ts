import { strict as assert } from 'node:assert';
import { homedir } from 'node:os';
import { ValidationError } from '../../../src/engine/errors.js';
import { CONNECTION_VARS, connectionSettings, connectionVarNames } from '../../../src/engine/inventory/connection_vars.js';
import { schemaJson } from '../../../src/engine/schema/registry.js';

function problemsOf(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ValidationError, String(e));
    return e;
  }
  assert.fail('expected a ValidationError');
}

describe('connection variables', () => {
  it('has defaults: ssh, port 22, host = inventory name, host key checking on, 10 s, connections kept 60 s', () => {
    assert.deepEqual(connectionSettings('web1', {}, {}), {
      name: 'web1',
      connection: 'ssh',
      host: 'web1',
      port: 22,
      becomeMethod: 'sudo',
      hostKeyChecking: true,
      timeoutSec: 10,
      controlPersistSec: 60,
    });
  });

  it('maps every Ansible alias onto the kiln setting', () => {
    const s = connectionSettings('web1', {
      ansible_ssh_host: '10.0.0.5',
      ansible_port: '2222',
      ansible_ssh_user: 'deploy',
      ansible_connection: 'paramiko',
      ansible_private_key_file: '~/.ssh/id_ed25519',
      ansible_ssh_pass: 1234,
      ansible_ssh_private_key_passphrase: 'pp',
      ansible_sudo_pass: 'sudo-secret',
      ansible_become_method: 'sudo',
      ansible_host_key_checking: 'no',
      ansible_timeout: 30,
    }, {});
    assert.deepEqual(s, {
      name: 'web1',
      connection: 'ssh',
      host: '10.0.0.5',
      port: 2222,
      user: 'deploy',
      privateKeyFile: `${homedir()}/.ssh/id_ed25519`,
      password: '1234',
      privateKeyPassphrase: 'pp',
      becomePassword: 'sudo-secret',
      becomeMethod: 'sudo',
      hostKeyChecking: false,
      timeoutSec: 30,
      controlPersistSec: 60,
    });
  });

  it('kiln_ssh_control_persist: the variable, else KILN_SSH_CONTROL_PERSIST, else 60; 0 is off', () => {
    assert.equal(connectionSettings('h', {}, { KILN_SSH_CONTROL_PERSIST: '5' }).controlPersistSec, 5);
    assert.equal(connectionSettings('h', {}, { KILN_SSH_CONTROL_PERSIST: '0' }).controlPersistSec, 0);
    assert.equal(connectionSettings('h', { kiln_ssh_control_persist: '120' }, { KILN_SSH_CONTROL_PERSIST: '0' }).controlPersistSec, 120);
    assert.equal(connectionSettings('h', { kiln_ssh_control_persist: 0 }, {}).controlPersistSec, 0);
    assert.equal(connectionSettings('h', {}, { KILN_SSH_CONTROL_PERSIST: '' }).controlPersistSec, 60);
  });

  it('rejects a bad kiln_ssh_control_persist or KILN_SSH_CONTROL_PERSIST, naming the value and a fix', () => {
    const e = problemsOf(() => connectionSettings('web1', { kiln_ssh_control_persist: '60s' }, {}));
    assert.equal(e.problems[0]?.init.key, 'kiln_ssh_control_persist');
    assert.match(e.message, /whole number from 0 to 86400/);
    assert.match(e.message, /60s/);
    const env = problemsOf(() => connectionSettings('web1', {}, { KILN_SSH_CONTROL_PERSIST: '1m' }));
    assert.equal(env.problems[0]?.init.key, 'KILN_SSH_CONTROL_PERSIST');
    assert.match(env.message, /1m/);
    assert.match(env.message, /KILN_SSH_CONTROL_PERSIST=60/);
  });

  it('lets the kiln name win over an alias, and earlier aliases over later ones', () => {
    const s = connectionSettings('web1', { ansible_host: 'alias', kiln_host: 'kiln', ansible_user: 'a', ansible_ssh_user: 'b' });
    assert.equal(s.host, 'kiln');
    assert.equal(s.user, 'a');
  });

  it("treats Ansible's smart and ssh as ssh, and local as local", () => {
    assert.equal(connectionSettings('h', { ansible_connection: 'smart' }).connection, 'ssh');
    assert.equal(connectionSettings('h', { kiln_connection: 'local' }).connection, 'local');
  });

  it('defaults localhost and 127.0.0.1 to local unless a connection is given', () => {
    assert.equal(connectionSettings('localhost', {}).connection, 'local');
    assert.equal(connectionSettings('127.0.0.1', {}).connection, 'local');
    assert.equal(connectionSettings('localhost', { ansible_connection: 'ssh' }).connection, 'ssh');
    assert.equal(connectionSettings('localhost.example.com', {}).connection, 'ssh');
  });

  it('rejects unsupported values with the key, the value and a fix, all at once', () => {
    const e = problemsOf(() => connectionSettings('web1', { ansible_connection: 'winrm', ansible_become_method: 'su', kiln_port: 'http', ansible_host_key_checking: 'maybe', kiln_ssh_timeout: 0 }));
    const keys = e.problems.map((p) => p.init.key);
    assert.deepEqual(keys.sort(), ['ansible_become_method', 'ansible_connection', 'ansible_host_key_checking', 'kiln_port', 'kiln_ssh_timeout']);
    const conn = e.problems.find((p) => p.init.key === 'ansible_connection');
    assert.equal(conn?.init.value, '"winrm"');
    assert.equal(conn?.init.context, 'host "web1"');
    assert.ok(e.problems.every((p) => p.init.fix));
    assert.match(e.message, /only escalates with sudo/);
  });

  it('never shows a secret value in a problem', () => {
    const e = problemsOf(() => connectionSettings('web1', { ansible_become_pass: { nested: 'hunter2' } }));
    assert.equal(e.problems[0]?.init.key, 'ansible_become_pass');
    assert.doesNotMatch(e.message, /hunter2/);
  });

  it('lists every name in the table and marks the secrets', () => {
    assert.deepEqual(connectionVarNames('kiln_port'), ['kiln_port', 'ansible_port', 'ansible_ssh_port']);
    const secrets = CONNECTION_VARS.filter((v) => v.secret).map((v) => v.name);
    assert.deepEqual(secrets, ['kiln_password', 'kiln_private_key_passphrase', 'kiln_become_password']);
  });

  it('is mirrored in the inventory schema, names and secrecy alike', () => {
    const defs = schemaJson('inventory.schema.json')['$defs'] as Record<string, { properties: Record<string, { 'x-secret'?: boolean }> }>;
    for (const def of ['vars', 'hostVars']) {
      const props = defs[def]?.properties ?? {};
      const expected = CONNECTION_VARS.flatMap((v) => [v.name, ...v.aliases]);
      assert.deepEqual(Object.keys(props).sort(), expected.sort(), def);
      for (const v of CONNECTION_VARS) for (const n of [v.name, ...v.aliases]) assert.equal(props[n]?.['x-secret'] === true, v.secret, n);
    }
  });
});
