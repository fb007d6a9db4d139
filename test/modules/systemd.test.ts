// systemd: the plan on top of service's decision (daemon_reload only when systemd asks for it,
// mask/unmask, --no-block and --force), the converged case with its reason, check mode's pending
// unit file, and the commands apply runs (fake connection).
import { strict as assert } from 'node:assert';
import { ModuleError } from '../../src/engine/errors.js';
import { PlannedState } from '../../src/engine/planned.js';
import { parseSystemd } from '../../src/modules/service/systemd.js';
import { planSystemd, systemdModule, type SystemdState } from '../../src/modules/systemd.js';
import { FakeConn } from './fake_conn.js';
import { converge, fakeCtx, schemaChecks, summaries } from './helpers.js';

const fails = (fn: () => unknown, re: RegExp): void => assert.throws(fn, (e: unknown) => e instanceof ModuleError && re.test(e.message));
const show = (load: string, active: string, sub: string, enabled: string, reload = 'no'): string => `show_rc=0\nLoadState=${load}\nActiveState=${active}\nSubState=${sub}\nNeedDaemonReload=${reload}\nenabled=${enabled}\n`;
const unit = (out: string, name = 'app.service'): SystemdState => ({ booted: true, unit: parseSystemd(out, name) });
const RUNNING = show('loaded', 'active', 'running', 'enabled');
const MASKED = show('masked', 'inactive', 'dead', 'masked');

describe('systemd: plan (canned unit state)', () => {
  it('is ok with every reason when the unit is as asked and its file is loaded as on disk', () => {
    const p = planSystemd(unit(RUNNING), { name: 'app', state: 'started', enabled: true, masked: false, daemon_reload: true });
    assert.deepEqual(p.steps, []);
    assert.equal(p.okReason, 'systemd has loaded app.service as it is on disk, so no daemon-reload is needed; app.service is not masked; app.service is active (running); app.service is enabled');
  });

  it('reloads only when NeedDaemonReload says so, first, then restarts', () => {
    const p = planSystemd(unit(show('loaded', 'active', 'running', 'enabled', 'yes')), { name: 'app', state: 'restarted', daemon_reload: true });
    assert.deepEqual(p.steps.map((s) => s.do.argv), [['systemctl', 'daemon-reload'], ['systemctl', 'restart', '--', 'app.service']]);
  });

  it('daemon_reload without a unit runs every time', () => {
    assert.deepEqual(summaries(planSystemd({ booted: true }, { daemon_reload: true })), ["reload systemd's unit files (daemon-reload)"]);
  });

  it('unmasks, then enables and starts; masks and stops', () => {
    const p = planSystemd(unit(MASKED), { name: 'app', masked: false, enabled: true, state: 'started', no_block: true, force: true });
    assert.deepEqual(p.steps.map((s) => s.do.argv), [
      ['systemctl', 'unmask', '--', 'app.service'],
      ['systemctl', '--no-block', 'start', '--', 'app.service'],
      ['systemctl', '--force', 'enable', '--', 'app.service'],
    ]);
    const m = planSystemd(unit(RUNNING), { name: 'app', masked: true, state: 'stopped' });
    assert.deepEqual(summaries(m), ['mask app.service', 'stop app.service: it is active (running)']);
  });

  it('refuses to start a unit it masks, and a host without systemd', () => {
    fails(() => planSystemd(unit(show('loaded', 'inactive', 'dead', 'enabled')), { name: 'app', masked: true, state: 'started' }), /is masked, so it cannot be started/);
    fails(() => planSystemd({ booted: false }, { name: 'app', state: 'started' }), /systemd is not PID 1 on this host.*use service:/);
  });

  it('refuses to mask a unit whose own file is where the mask link goes', () => {
    fails(() => planSystemd(unit(`${RUNNING}FragmentPath=/etc/systemd/system/app.service\n`), { name: 'app', masked: true }), /app.service cannot be masked: its unit file is \/etc\/systemd\/system\/app.service/);
  });

  it('takes service and unit as names, daemon-reload as daemon_reload', () => {
    assert.deepEqual(summaries(planSystemd(unit(RUNNING), { unit: 'app', state: 'stopped' } as never)), ['stop app.service: it is active (running)']);
    assert.equal(planSystemd({ booted: true }, { 'daemon-reload': true } as never).steps.length, 1);
  });

  it('check mode: a unit whose file an earlier task plans is pending, with a reload due', () => {
    const s: SystemdState = { ...unit(show('not-found', 'inactive', 'dead', '')), unitFilePending: "file /etc/systemd/system/app.service is planned by task 'unit file'" };
    const p = planSystemd(s, { name: 'app', state: 'started', enabled: true, daemon_reload: true });
    assert.deepEqual(
      p.steps.map((st) => [st.change.summary, st.change.pending]),
      [
        ["reload systemd's unit files (daemon-reload): app.service changes on disk", s.unitFilePending],
        ['start app.service: it is not loaded yet', s.unitFilePending],
        ['enable app.service: it is not known yet', s.unitFilePending],
      ],
    );
  });
});

describe('systemd: read and apply (fake connection)', () => {
  it('reads in one round trip and runs the planned systemctl commands', async () => {
    const conn = new FakeConn([{ stdout: `booted=1\n${show('loaded', 'inactive', 'dead', 'disabled')}` }, {}, {}]);
    await converge(systemdModule, fakeCtx(conn), { name: 'app', state: 'started', enabled: true });
    assert.deepEqual(conn.calls.map((c) => c.kind), ['script', 'run', 'run']);
    assert.deepEqual(conn.commands, ['systemctl start -- app.service', 'systemctl enable -- app.service']);
  });

  it('finds the planned unit file in check mode', async () => {
    const planned = new PlannedState();
    planned.record({ kind: 'path', key: '/etc/systemd/system/app.service', state: 'file' }, 'unit file');
    const conn = new FakeConn([{ stdout: `booted=1\n${show('not-found', 'inactive', 'dead', '')}` }]);
    const r = await converge(systemdModule, fakeCtx(conn, { planned }), { name: 'app', state: 'started' }, { check: true });
    assert.equal(r.plan.steps[0]?.change.pending, "/etc/systemd/system/app.service is planned by task 'unit file'");
  });
});

schemaChecks(systemdModule);
