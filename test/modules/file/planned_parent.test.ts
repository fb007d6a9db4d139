import { strict as assert } from 'node:assert';
import { PlannedState } from '../../../src/engine/planned.js';
import { withPlannedParent } from '../../../src/modules/file/planned_parent.js';

describe('withPlannedParent (check mode)', () => {
  const missing = { path: '/etc/nginx/sites-enabled', exists: false };

  it('reports a missing directory as pending on the last planned package install', () => {
    const p = new PlannedState();
    p.record({ kind: 'package', key: 'curl', state: 'present' }, 'tools');
    p.record({ kind: 'package', key: 'nginx', state: 'present' }, 'install nginx');
    p.record({ kind: 'package', key: 'apache2', state: 'absent' }, 'drop apache');
    assert.deepEqual(withPlannedParent(missing, p), {
      path: '/etc/nginx/sites-enabled',
      exists: true,
      type: 'directory',
      pending: "/etc/nginx/sites-enabled does not exist yet; task 'install nginx' plans package installs that may create it",
    });
  });

  it('leaves a missing directory missing when no install is planned', () => {
    const p = new PlannedState();
    p.record({ kind: 'package', key: 'apache2', state: 'absent' }, 'drop apache');
    assert.deepEqual(withPlannedParent(missing, p), missing);
  });

  it('prefers what a task planned for the path itself', () => {
    const p = new PlannedState();
    p.record({ kind: 'package', key: 'nginx', state: 'present' }, 'install nginx');
    p.record({ kind: 'path', key: '/etc/nginx/sites-enabled', state: 'directory' }, 'make dir');
    assert.equal(withPlannedParent(missing, p).pending, "directory /etc/nginx/sites-enabled is planned by task 'make dir'");
  });
});
