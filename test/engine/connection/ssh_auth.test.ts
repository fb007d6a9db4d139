// The order a login tries its ways to authenticate, and what it says when it has none.
import { strict as assert } from 'node:assert';
import type { AnyAuthMethod, AuthenticationType } from 'ssh2';
import { type Attempt, authHandler, loginMethods, nothingToTry } from '../../../src/engine/connection/ssh_auth.js';
import type { LoginTrace } from '../../../src/engine/connection/ssh_target.js';
import { linkTarget } from '../../support/link_target.js';

const target = linkTarget;

describe('ssh_auth', () => {
  it('tries the agent, then the password and keyboard-interactive; notes a named key that is missing, not a missing default', async () => {
    const named = await loginMethods(target({ identityFiles: ['/nonexistent/kiln-key'], explicitIdentities: true, useAgent: '/run/agent.sock' }), { password: 'pw' }, undefined);
    assert.deepEqual(
      named.attempts.map((a) => `${a.needs}: ${a.label}`),
      ['publickey: ssh-agent (/run/agent.sock)', 'password: password', 'keyboard-interactive: keyboard-interactive (password)'],
    );
    assert.deepEqual(named.notes, ['key /nonexistent/kiln-key: no such file']);
    const defaults = await loginMethods(target({ identityFiles: ['/nonexistent/id_ed25519'] }), {}, undefined);
    assert.deepEqual(defaults, { attempts: [], notes: [] });
  });

  it('says why there is nothing to try', () => {
    assert.equal(nothingToTry('deploy', ['key /k: wrong passphrase (kiln_private_key_passphrase)']), 'no usable way to authenticate as deploy: key /k: wrong passphrase (kiln_private_key_passphrase)');
    assert.match(nothingToTry('deploy', []), /^no way to authenticate as deploy: set kiln_private_key_file/);
  });

  it('offers only what the server accepts, in order, and records it for the failure message', () => {
    const attempt = (label: string, needs: AuthenticationType): Attempt => ({ method: { type: 'none', username: label } as AnyAuthMethod, label, needs });
    const trace: LoginTrace = { tcpUp: true, tried: [], keyNotes: [] };
    const handler = authHandler([attempt('key', 'publickey'), attempt('pw', 'password'), attempt('kbd', 'keyboard-interactive')], trace);
    const offered: unknown[] = [];
    const next = (m: unknown): void => void offered.push(m === false ? false : (m as { username: string }).username);
    handler(['password', 'keyboard-interactive'], false, next as never);
    handler(['keyboard-interactive'], false, next as never);
    handler(['keyboard-interactive'], false, next as never);
    assert.deepEqual(offered, ['pw', 'kbd', false]);
    assert.deepEqual(trace.tried, ['pw', 'kbd']);
    assert.deepEqual(trace.serverMethods, ['keyboard-interactive']);
  });
});
