// service: status parsing (systemd, LSB exit codes), every plan branch and apply's commands against
// canned outputs, check mode's pending rule, and a SysV read on this machine (reading only).
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { localConnection } from '../../src/engine/connection/local.js';
import type { ShellConnection } from '../../src/engine/connection/shell_connection.js';
import type { Connection } from '../../src/engine/connection/types.js';
import { ModuleError } from '../../src/engine/errors.js';
import type { ModuleContext } from '../../src/engine/module.js';
import { PlannedState } from '../../src/engine/planned.js';
import { packageModule } from '../../src/modules/package.js';
import { service, type ServiceArgs } from '../../src/modules/service.js';
import { parseSystemd, SYSTEMD_READ_SCRIPT, systemd } from '../../src/modules/service/systemd.js';
import { lsbStatus, parseSysv, SYSV_READ_SCRIPT, sysv } from '../../src/modules/service/sysv.js';
import type { ServiceState } from '../../src/modules/service/types.js';
import { converge, counting, fakeCtx, schemaChecks, summaries, stepChange } from './helpers.js';
import { FakeConn } from './fake_conn.js';
import { plannedInstalls } from '../../src/modules/package/planned.js';



const SYSTEMD = { ansible_facts: { service_mgr: 'systemd', pkg_mgr: 'apt' } };
const SYSV = { ansible_facts: { service_mgr: 'sysvinit', pkg_mgr: 'apt' } };

/** SYSTEMD_READ_SCRIPT's output. */
const unit = (load: string, active: string, sub: string, enabled: string): string => `show_rc=0\nLoadState=${load}\nActiveState=${active}\nSubState=${sub}\nenabled=${enabled}\n`;
const RUNNING = unit('loaded', 'active', 'running', 'enabled');
const DEAD = unit('loaded', 'inactive', 'dead', 'disabled');
const NOT_FOUND = unit('not-found', 'inactive', 'dead', '');

/** SYSV_READ_SCRIPT's output. */
const script = (rc: number | undefined, links: string[] = [], said = ''): string =>
  ['service=1', ...(rc === undefined ? ['exists=0'] : ['exists=1', `status_rc=${rc}`, `status=${said}`]), ...links.map((l) => `link=${l}`), ''].join('\n');
const LINKS = ['rc0.d/K01nginx', 'rc1.d/K01nginx', 'rc2.d/S01nginx', 'rc3.d/S01nginx', 'rc4.d/S01nginx', 'rc5.d/S01nginx', 'rc6.d/K01nginx'];
const K_LINKS = ['rc0.d/K01nginx', 'rc1.d/K01nginx', 'rc2.d/K01nginx', 'rc3.d/K01nginx', 'rc4.d/K01nginx', 'rc5.d/K01nginx', 'rc6.d/K01nginx'];

function ctxFor(conn: Connection, vars: Record<string, unknown> = SYSTEMD, over: Partial<ModuleContext> = {}): ModuleContext {
  return fakeCtx(conn, { vars, ...over });
}

async function planFor(args: ServiceArgs, out: string, vars: Record<string, unknown> = SYSTEMD, over: Partial<ModuleContext> = {}) {
  const conn = new FakeConn([{ stdout: out }]);
  const s = await service.read(ctxFor(conn, vars, over), args);
  return { plan: service.plan(s, args), conn, state: s };
}

const fails = async (p: Promise<unknown>, re: RegExp): Promise<void> => {
  await assert.rejects(p, (e: unknown) => e instanceof ModuleError && re.test(e.message));
};
const throws = (fn: () => unknown, re: RegExp): void => assert.throws(fn, (e: unknown) => e instanceof ModuleError && re.test(e.message));

schemaChecks(service);

describe('service (systemd): status parsing', () => {
  it('reads running/enabled, dead/disabled, failed and a missing unit', () => {
    assert.deepEqual(parseSystemd(RUNNING, 'nginx.service'), { backend: 'systemd', unit: 'nginx.service', base: 'nginx', exists: true, running: true, activeText: 'active (running)', enabled: true, enabledText: 'enabled' });
    const dead = parseSystemd(DEAD, 'nginx.service');
    assert.equal(dead.running, false);
    assert.equal(dead.enabled, false);
    assert.equal(parseSystemd(unit('loaded', 'failed', 'failed', 'enabled'), 'x.service').running, false);
    assert.equal(parseSystemd(unit('loaded', 'activating', 'start-pre', 'enabled'), 'x.service').running, true);
    assert.equal(parseSystemd(NOT_FOUND, 'nope.service').exists, false);
  });

  it('knows static, masked and indirect units', () => {
    const st = parseSystemd(unit('loaded', 'inactive', 'dead', 'static'), 'systemd-fsck@.service');
    assert.equal(st.noInstall, true);
    assert.equal(st.enabled, undefined);
    const masked = parseSystemd(unit('masked', 'inactive', 'dead', 'masked'), 'nginx.service');
    assert.equal(masked.masked, true);
    assert.equal(masked.enabled, false);
    assert.equal(parseSystemd(unit('loaded', 'inactive', 'dead', 'indirect'), 'x.service').enabled, false);
  });

  it('fails clearly when systemctl cannot talk to systemd', () => {
    const out = 'show_rc=1\nSystem has not been booted with systemd as init system (PID 1). Can\'t operate.\nFailed to connect to bus: Host is down\nenabled=\n';
    throws(() => parseSystemd(out, 'nginx.service'), /^systemctl cannot read nginx.service: System has not been booted with systemd as init system \(PID 1\). Can't operate. Failed to connect to bus: Host is down; if PID 1 is not systemd here, set use: sysv$/);
  });

  it('reads in one script, with the unit name completed', async () => {
    const { conn, state } = await planFor({ name: 'nginx', state: 'started' }, RUNNING);
    assert.equal(conn.calls.length, 1);
    assert.equal(conn.calls[0]?.script, SYSTEMD_READ_SCRIPT);
    assert.deepEqual(conn.calls[0]?.argv, ['nginx.service']);
    assert.equal(state.unit, 'nginx.service');
    assert.equal(systemd.unitOf('nginx.socket'), 'nginx.socket');
    assert.equal(systemd.unitOf('getty@tty1'), 'getty@tty1.service');
  });
});

describe('service (SysV): LSB status codes and rc links', () => {
  it('maps every LSB status exit code', () => {
    assert.deepEqual(lsbStatus(0), { running: true, text: 'running' });
    assert.deepEqual(lsbStatus(1), { running: false, text: 'dead, but its pid file remains (status rc 1)' });
    assert.deepEqual(lsbStatus(2), { running: false, text: 'dead, but its lock file remains (status rc 2)' });
    assert.deepEqual(lsbStatus(3), { running: false, text: 'not running (status rc 3)' });
    assert.deepEqual(lsbStatus(4), { text: 'in an unknown state (status rc 4)' });
    assert.deepEqual(lsbStatus(127), { text: 'in an unknown state (status rc 127)' });
  });

  it('reads enabled from S links in runlevels 2-5 (or rcS), not from K links', () => {
    const on = parseSysv(script(0, LINKS, 'nginx is running.'), 'nginx');
    assert.equal(on.running, true);
    assert.equal(on.enabled, true);
    assert.equal(on.enabledText, 'started at boot (rc2.d/S01nginx, rc3.d/S01nginx, rc4.d/S01nginx, rc5.d/S01nginx)');
    assert.equal(on.statusOutput, 'nginx is running.');
    const off = parseSysv(script(3, K_LINKS), 'nginx');
    assert.equal(off.enabled, false);
    assert.equal(off.hasLinks, true);
    assert.equal(off.enabledText, 'not started at boot (only K links in /etc/rc?.d)');
    const none = parseSysv(script(3), 'nginx');
    assert.equal(none.hasLinks, false);
    assert.equal(none.enabledText, 'not started at boot (no links in /etc/rc?.d)');
    assert.equal(parseSysv(script(0, ['rcS.d/S01procps']), 'procps').enabled, true);
    assert.equal(parseSysv(script(undefined), 'nope').exists, false);
  });

  it('reads in one script, without ".service"', async () => {
    const { conn, state } = await planFor({ name: 'nginx.service', state: 'started' }, script(0, LINKS), SYSV);
    assert.equal(conn.calls.length, 1);
    assert.equal(conn.calls[0]?.script, SYSV_READ_SCRIPT);
    assert.deepEqual(conn.calls[0]?.argv, ['nginx']);
    assert.equal(state.backend, 'sysv');
  });
});

describe('service: choosing the init system', () => {
  it('follows the service_mgr fact, probes /run/systemd/system without facts, and honours use:', async () => {
    assert.equal((await planFor({ name: 'nginx', state: 'started' }, RUNNING)).state.backend, 'systemd');
    assert.equal((await planFor({ name: 'nginx', state: 'started' }, script(0), SYSV)).state.backend, 'sysv');
    assert.equal((await planFor({ name: 'nginx', state: 'started', use: 'sysvinit' }, script(0))).state.backend, 'sysv');
    const probe = new FakeConn([{ stdout: 'systemd\n' }, { stdout: RUNNING }]);
    await service.read(fakeCtx(probe), { name: 'nginx', state: 'started' });
    assert.match(probe.calls[0]?.script ?? '', /\/run\/systemd\/system/);
    assert.equal(probe.calls[1]?.script, SYSTEMD_READ_SCRIPT);
    await fails(service.read(ctxFor(new FakeConn([]), { ansible_facts: { service_mgr: 'openrc' } }), { name: 'nginx', state: 'started' }), /service manager openrc \(facts: service_mgr\) is not supported/);
    await fails(service.read(ctxFor(new FakeConn([])), { name: '../etc/passwd', state: 'started' }), /is not a service/);
  });
});

describe('service: plan (canned state)', () => {
  it('started/stopped are ok when already so, and say why', async () => {
    const up = await planFor({ name: 'nginx', state: 'started', enabled: true }, RUNNING);
    assert.deepEqual(up.plan.steps.map(stepChange), []);
    assert.equal(up.plan.okReason, 'nginx.service is active (running); nginx.service is enabled');
    const down = await planFor({ name: 'nginx', state: 'stopped', enabled: false }, DEAD);
    assert.equal(down.plan.okReason, 'nginx.service is inactive (dead); nginx.service is disabled');
    const sysvUp = await planFor({ name: 'nginx', state: 'started', enabled: true }, script(0, LINKS), SYSV);
    assert.equal(sysvUp.plan.okReason, 'nginx is running; nginx is enabled');
  });

  it('starts, stops, enables and disables when needed', async () => {
    assert.deepEqual(summaries((await planFor({ name: 'nginx', state: 'started', enabled: true }, DEAD)).plan), ['start nginx.service: it is inactive (dead)', 'enable nginx.service: it is disabled']);
    assert.deepEqual(summaries((await planFor({ name: 'nginx', state: 'stopped', enabled: false }, RUNNING)).plan), ['stop nginx.service: it is active (running)', 'disable nginx.service: it is enabled']);
    assert.deepEqual(summaries((await planFor({ name: 'nginx', state: 'started' }, script(1), SYSV)).plan), ['start nginx: it is dead, but its pid file remains (status rc 1)']);
    assert.deepEqual(summaries((await planFor({ name: 'nginx', enabled: true }, script(3, K_LINKS), SYSV)).plan), ['enable nginx: it is not started at boot (only K links in /etc/rc?.d)']);
  });

  it('an unknown LSB status (4) is acted on, since nothing says it is already so', async () => {
    assert.deepEqual(summaries((await planFor({ name: 'nginx', state: 'started' }, script(4), SYSV)).plan), ['start nginx: it is in an unknown state (status rc 4)']);
    assert.deepEqual(summaries((await planFor({ name: 'nginx', state: 'stopped' }, script(4), SYSV)).plan), ['stop nginx: it is in an unknown state (status rc 4)']);
  });

  it('restarted and reloaded act on every run; reloading a stopped service starts it', async () => {
    assert.deepEqual(summaries((await planFor({ name: 'nginx', state: 'restarted' }, RUNNING)).plan), ['restart nginx.service']);
    assert.deepEqual(summaries((await planFor({ name: 'nginx', state: 'restarted' }, DEAD)).plan), ['restart nginx.service']);
    assert.deepEqual(summaries((await planFor({ name: 'nginx', state: 'reloaded' }, RUNNING)).plan), ['reload nginx.service']);
    assert.deepEqual(summaries((await planFor({ name: 'nginx', state: 'reloaded' }, DEAD)).plan), ['start nginx.service: it is inactive (dead), so there is nothing to reload']);
  });

  it('static units have nothing to enable; masked units cannot be started or enabled', async () => {
    const st = await planFor({ name: 'x', enabled: true }, unit('loaded', 'inactive', 'dead', 'static'));
    assert.deepEqual(st.plan.steps.map(stepChange), []);
    assert.match(st.plan.okReason ?? '', /^x.service is static \(no \[Install\] section/);
    const masked = unit('masked', 'inactive', 'dead', 'masked');
    await fails(planFor({ name: 'nginx', state: 'started' }, masked), /^nginx.service is masked, so it cannot be started; unmask it first \(systemctl unmask nginx.service\)$/);
    assert.equal((await planFor({ name: 'nginx', state: 'stopped', enabled: false }, masked)).plan.okReason, 'nginx.service is inactive (dead); nginx.service is masked');
  });

  it('a missing unit or init script fails with a clear message', async () => {
    await fails(planFor({ name: 'nginx', state: 'started' }, NOT_FOUND), /^no systemd unit nginx.service on this host \(systemctl: LoadState=not-found\); install the package that provides it in an earlier task/);
    await fails(planFor({ name: 'nginx', state: 'stopped' }, script(undefined), SYSV), /^no init script \/etc\/init.d\/nginx on this host/);
    await fails(planFor({ name: 'nginx' }, RUNNING), /service needs state:/);
  });

  it('records what it leaves behind for check mode, and exposes state for register', async () => {
    const { plan } = await planFor({ name: 'nginx', state: 'reloaded', enabled: true }, RUNNING);
    assert.deepEqual(plan.effects, [{ kind: 'service', key: 'nginx', state: 'started' }]);
    assert.deepEqual(plan.data, { name: 'nginx.service', backend: 'systemd', state: 'started', enabled: true });
  });
});

describe('service: check mode tells the truth about services that do not exist yet', () => {
  it('pending, naming the task, when an earlier task plans to install the package of that name', async () => {
    const planned = new PlannedState();
    planned.record({ kind: 'package', key: 'nginx', state: 'present' }, 'install nginx');
    const { plan } = await planFor({ name: 'nginx', state: 'started', enabled: true }, NOT_FOUND, SYSTEMD, { planned });
    const pending = "nginx is planned for install by task 'install nginx'";
    assert.deepEqual(plan.steps.map(stepChange), [
      { summary: 'start nginx.service', pending },
      { summary: 'enable nginx.service', pending },
    ]);
    const sysvPlan = await planFor({ name: 'nginx', state: 'restarted' }, script(undefined), SYSV, { planned });
    assert.deepEqual(sysvPlan.plan.steps.map(stepChange), [{ summary: 'restart nginx', pending }]);
  });

  it('pending with an honest "may" when a planned install has another name', async () => {
    const conn = new FakeConn([
      { stdout: 'now=1\n@@dpkg\n@@dpkg-rc 1\n@@policy\nmariadb-server:\n  Installed: (none)\n  Candidate: 1:10.11.11-0+deb12u1\n  Version table:\n     1:10.11.11-0+deb12u1 500\n@@policy-rc 0\n' },
      { stdout: NOT_FOUND },
    ]);
    const ctx = ctxFor(conn, SYSTEMD, { task: 'install db' });
    await converge(packageModule, ctx, { name: 'mariadb-server' }, { check: true });
    assert.deepEqual(plannedInstalls(ctx.planned), [{ name: 'mariadb-server', task: 'install db' }]);
    const s = await service.read({ ...ctx, task: 'start db' }, { name: 'mariadb', state: 'started' });
    assert.deepEqual(service.plan(s, { name: 'mariadb', state: 'started' }).steps.map(stepChange), [{ summary: 'start mariadb.service', pending: "mariadb.service does not exist yet; task 'install db' plans package installs that may provide it" }]);
  });

  it('still fails without a planned install, and a planned removal is no excuse', async () => {
    const planned = new PlannedState();
    planned.record({ kind: 'package', key: 'nginx', state: 'absent' }, 'remove nginx');
    await fails(planFor({ name: 'nginx', state: 'started' }, NOT_FOUND, SYSTEMD, { planned }), /^no systemd unit nginx.service/);
  });

  it('follows a service an earlier task plans to start or stop', async () => {
    const planned = new PlannedState();
    planned.record({ kind: 'service', key: 'nginx', state: 'started' }, 'start web');
    const { plan } = await planFor({ name: 'nginx', state: 'started' }, DEAD, SYSTEMD, { planned });
    assert.deepEqual(plan.steps.map(stepChange), []);
    assert.equal(plan.okReason, "nginx.service is started (planned by task 'start web')");
  });
});

describe('service: apply (canned results)', () => {
  it('systemd: systemctl start, then enable', async () => {
    const conn = new FakeConn([{ stdout: DEAD }, {}, { stderr: 'Created symlink /etc/systemd/system/multi-user.target.wants/nginx.service → /lib/systemd/system/nginx.service.\n' }]);
    const r = await converge(service, ctxFor(conn), { name: 'nginx', state: 'started', enabled: true });
    assert.deepEqual(conn.commands, ['systemctl start nginx.service', 'systemctl enable nginx.service']);
    assert.equal(r.applied?.rc, 0);
  });

  it('systemd: a failed start quotes systemctl and the unit status', async () => {
    const conn = new FakeConn([
      { stdout: DEAD },
      { rc: 1, stderr: 'Job for nginx.service failed because the control process exited with error code.\nSee "systemctl status nginx.service" and "journalctl -xeu nginx.service" for details.\n' },
      { rc: 3, stdout: '× nginx.service - A high performance web server\n     Active: failed (Result: exit-code)\nnginx[812]: nginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)\n' },
    ]);
    await fails(converge(service, ctxFor(conn), { name: 'nginx', state: 'started' }), /^systemctl start nginx.service failed \(rc 1\):\nJob for nginx.service failed[^]*bind\(\) to 0.0.0.0:80 failed/);
    assert.deepEqual(conn.commands, ['systemctl start nginx.service', 'systemctl status --no-pager --lines=10 -- nginx.service']);
  });

  it('sysv: service NAME ACTION, update-rc.d defaults before enable when no links exist', async () => {
    const conn = new FakeConn([{ stdout: script(3) }, {}, {}, {}]);
    await converge(service, ctxFor(conn, SYSV), { name: 'nginx', state: 'started', enabled: true });
    assert.deepEqual(conn.commands, ['service nginx start', 'update-rc.d nginx defaults', 'update-rc.d nginx enable']);
    const linked = new FakeConn([{ stdout: script(0, LINKS) }, {}, {}]);
    await converge(service, ctxFor(linked, SYSV), { name: 'nginx', state: 'reloaded', enabled: false });
    assert.deepEqual(linked.commands, ['service nginx reload', 'update-rc.d nginx disable']);
  });

  it('sysv: runs the init script itself where there is no `service` command', async () => {
    const conn = new FakeConn([{ stdout: script(0, LINKS).replace('service=1\n', '') }, {}]);
    await converge(service, ctxFor(conn, SYSV), { name: 'nginx', state: 'restarted' });
    assert.deepEqual(conn.commands, ['/etc/init.d/nginx restart']);
    assert.deepEqual(sysv.commands({ backend: 'sysv', unit: 'x', base: 'x', exists: true, activeText: '', enabledText: '', hasLinks: true } satisfies ServiceState, 'enable'), [['update-rc.d', 'x', 'enable']]);
  });

  it('sysv: a failure quotes the script', async () => {
    const conn = new FakeConn([{ stdout: script(0, LINKS) }, { rc: 1, stdout: 'Reloading nginx configuration: nginx failed!\n' }]);
    await fails(converge(service, ctxFor(conn, SYSV), { name: 'nginx', state: 'reloaded' }), /^service nginx reload failed \(rc 1\):\nReloading nginx configuration: nginx failed!$/);
  });
});

describe('service (SysV): on this machine (local connection, reading only)', () => {
  let conn: ShellConnection;
  before(() => {
    conn = localConnection();
  });
  after(async () => {
    await conn.close();
  });

  it('reads a nonexistent service as missing, in one round trip, and fails with the message', async () => {
    const c = counting(conn);
    const s = await service.read(ctxFor(c, SYSV), { name: 'kiln-no-such-service', state: 'started' });
    assert.deepEqual(c.calls, ['script']);
    assert.equal(s.exists, false);
    assert.equal(s.hasLinks, false);
    throws(() => service.plan(s, { name: 'kiln-no-such-service', state: 'started' }), /^no init script \/etc\/init.d\/kiln-no-such-service on this host/);
  });

  it('reads an existing init script\'s LSB status without changing it', async function () {
    const name = ['procps', 'hwclock.sh', 'sudo'].find((n) => existsSync(`/etc/init.d/${n}`));
    if (name === undefined) this.skip();
    const s = await service.read(ctxFor(conn, SYSV), { name, state: 'started' });
    assert.equal(s.exists, true);
    assert.ok(s.activeText.length > 0);
  });
});
