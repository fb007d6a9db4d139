// The bin starts node without NODE_EXTRA_CA_CERTS (node 20 parses that file before kiln runs) and
// gives it back to everything kiln runs.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HELD_CA_CERTS, restoreExtraCaCerts, SHEBANG } from '../../src/cli/extra_ca_certs.js';
import { kiln, ROOT } from '../support/cli.js';

describe('NODE_EXTRA_CA_CERTS and the bin', function () {
  this.timeout(60_000);

  it('puts the held value back, and removes the hand-over variable', () => {
    const env: NodeJS.ProcessEnv = { [HELD_CA_CERTS]: '/etc/x y.pem', PATH: '/bin' };
    restoreExtraCaCerts(env);
    assert.deepEqual(env, { NODE_EXTRA_CA_CERTS: '/etc/x y.pem', PATH: '/bin' });
  });

  it('leaves it unset when it was unset or empty (env expands an unset variable to "")', () => {
    const env: NodeJS.ProcessEnv = { [HELD_CA_CERTS]: '' };
    restoreExtraCaCerts(env);
    assert.deepEqual(env, {});
  });

  it('leaves the environment alone without the hand-over (node main.cjs, the sources)', () => {
    const env: NodeJS.ProcessEnv = { NODE_EXTRA_CA_CERTS: '/a.pem' };
    restoreExtraCaCerts(env);
    assert.deepEqual(env, { NODE_EXTRA_CA_CERTS: '/a.pem' });
  });

  it('is the first line of the launcher and of the built bin', function () {
    assert.equal(readFileSync(join(ROOT, 'src/cli/launch.ts'), 'utf8').split('\n')[0], SHEBANG);
    if (process.env['KILN_TEST_SOURCE']) this.skip();
    assert.equal(readFileSync(join(ROOT, 'dist/cli/main.cjs'), 'utf8').split('\n')[0], SHEBANG);
  });

  it("is not in kiln's own node, and is in the environment of the commands it runs", async function () {
    if (process.env['KILN_TEST_SOURCE']) this.skip();
    const dir = mkdtempSync(join(tmpdir(), 'kiln-ca-'));
    try {
      // The task's shell walks up to kiln's node and reads the environment it started with.
      const play = `- hosts: localhost
  gather_facts: false
  tasks:
    - name: record the environments
      shell: |
        printf '%s|%s' "\${NODE_EXTRA_CA_CERTS-unset}" "\${${HELD_CA_CERTS}-unset}" > {{ out }}/task
        p=$$
        while [ "$p" -gt 1 ] && [ "$(cat /proc/$p/comm)" != node ]; do p=$(awk '/^PPid:/ { print $2 }' /proc/$p/status); done
        tr '\\0' '\\n' < /proc/$p/environ | grep -e '^NODE_EXTRA_CA_CERTS=' -e '^${HELD_CA_CERTS}=' > {{ out }}/node || true
        echo $p > {{ out }}/pid
`;
      writeFileSync(join(dir, 'site.yml'), play);
      const certs = join(dir, 'extra certs.pem');
      writeFileSync(certs, '');
      const r = await kiln(['play', join(dir, 'site.yml'), '-e', `out=${dir}`], { env: { NODE_EXTRA_CA_CERTS: certs } });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(readFileSync(join(dir, 'task'), 'utf8'), `${certs}|unset`);
      assert.ok(Number(readFileSync(join(dir, 'pid'), 'utf8')) > 1, 'found no node above the task');
      // node started with the hand-over variable holding the value, and without NODE_EXTRA_CA_CERTS.
      assert.equal(readFileSync(join(dir, 'node'), 'utf8'), `${HELD_CA_CERTS}=${certs}\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
