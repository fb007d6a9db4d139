// How a failed SSH login reads, from what the login gathered (pure: no server needed).
import { strict as assert } from 'node:assert';
import { connectFailure, destination, loginFailure, type LoginTrace } from '../../../src/engine/connection/ssh_target.js';
import { linkTarget } from '../../support/link_target.js';

const target = linkTarget({ address: 'db.example.com', port: 2222, timeoutSec: 7 });
const trace = (over: Partial<LoginTrace> = {}): LoginTrace => ({ tcpUp: false, tried: [], keyNotes: [], ...over });
const err = (message: string, extra: { level?: string; code?: string }): Error & { level?: string; code?: string } => Object.assign(new Error(message), extra);

describe('loginFailure', () => {
  it('names the destination as known_hosts does, with a port other than 22', () => {
    assert.equal(destination(target), 'deploy@[db.example.com]:2222');
    assert.equal(connectFailure('db', target, 'x').message.includes('cannot connect to deploy@[db.example.com]:2222: x'), true);
  });

  it('puts a refused host key first, whatever error followed', () => {
    assert.equal(loginFailure(target, trace({ hostKeyProblem: 'host key mismatch', error: err('boom', { level: 'client-authentication' }) })), 'host key mismatch');
  });

  it('says what authentication tried, what the server accepts, and why keys were unusable', () => {
    const t = trace({ error: err('All configured authentication methods failed', { level: 'client-authentication' }), tried: ['publickey /k', 'password'], serverMethods: ['publickey', 'password'], keyNotes: ['key /old: no such file'] });
    assert.equal(loginFailure(target, t), 'authentication failed for user deploy (tried publickey /k, password; the server accepts publickey, password); key /old: no such file');
    assert.equal(loginFailure(target, trace({ error: err('x', { level: 'client-authentication' }) })), 'authentication failed for user deploy (tried nothing the server accepts)');
  });

  it('tells a handshake timeout from a connect timeout', () => {
    const e = err('Timed out while waiting for handshake', { level: 'client-timeout' });
    assert.equal(loginFailure(target, trace({ error: e, tcpUp: true })), 'timed out after 7 s waiting for the SSH handshake (is an SSH server on port 2222?)');
    assert.equal(loginFailure(target, trace({ error: e })), 'timed out after 7 s connecting (host down or port filtered?)');
  });

  it('explains socket errors by their code', () => {
    const by = (code: string): string => loginFailure(target, trace({ error: err(`connect ${code}`, { code }) }));
    assert.equal(by('ECONNREFUSED'), 'connection refused (is sshd running and listening on port 2222?)');
    assert.equal(by('ENOTFOUND'), 'cannot resolve host name db.example.com');
    assert.equal(by('EAI_AGAIN'), 'cannot resolve host name db.example.com');
    assert.equal(by('EHOSTUNREACH'), 'no route to host');
    assert.equal(by('ENETUNREACH'), 'no route to host');
    assert.equal(by('ETIMEDOUT'), 'timed out connecting');
    assert.equal(by('ECONNRESET'), 'the server reset the connection during the handshake');
    assert.equal(by('EPIPE'), 'connect EPIPE');
  });

  it('says the server closed the connection when nothing else is known', () => {
    assert.equal(loginFailure(target, trace()), 'the server closed the connection during the handshake');
  });
});
