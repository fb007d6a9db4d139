// package (dnf backend): tested against canned outputs only (no dnf host takes part in the tests).
import { strict as assert } from 'node:assert';
import type { Connection } from '../../src/engine/connection/types.js';
import { ModuleError } from '../../src/engine/errors.js';
import type { ModuleContext } from '../../src/engine/module.js';
import { type PackageArgs, packageModule } from '../../src/modules/package.js';
import { DNF_READ_SCRIPT, parseDnfRead } from '../../src/modules/package/dnf.js';
import { converge, fakeCtx, summaries } from './helpers.js';
import { FakeConn } from './fake_conn.js';



const ctxFor = (conn: Connection): ModuleContext => fakeCtx(conn, { vars: { ansible_facts: { pkg_mgr: 'dnf' } } });

/** DNF_READ_SCRIPT's output as a Fedora 40 host prints it. */
function dnfOut(rpm: string[], updates?: string[]): string {
  const lines = ['now=1750000000', '@@rpm', ...rpm, `@@rpm-rc ${rpm.filter((l) => l.startsWith('package ')).length}`];
  if (updates) lines.push('@@updates', '', ...updates, `@@updates-rc ${updates.length ? 100 : 0}`);
  return `${lines.join('\n')}\n`;
}

const NGINX = 'nginx\tx86_64\t2:1.24.0-1.fc40';
const CURL = 'curl\tx86_64\t0:8.6.0-8.fc40';

async function plan(args: PackageArgs, out: string) {
  const conn = new FakeConn([{ stdout: out }]);
  const s = await packageModule.read(ctxFor(conn), args);
  return { plan: packageModule.plan(s, args), conn };
}

describe('package (dnf, canned outputs only): reading', () => {
  it('asks rpm (and, for latest, dnf check-update) in one script, from the pkg_mgr fact', async () => {
    const { conn } = await plan({ name: ['nginx', 'curl'], state: 'latest' }, dnfOut([NGINX, CURL], []));
    assert.equal(conn.calls.length, 1);
    assert.equal(conn.calls[0]?.script, DNF_READ_SCRIPT);
    assert.deepEqual(conn.calls[0]?.argv, ['1', 'nginx', 'curl']);
    const present = await plan({ name: 'nginx:x86_64' }, dnfOut([NGINX]));
    assert.deepEqual(present.conn.calls[0]?.argv, ['0', 'nginx.x86_64'], 'dnf spells architectures name.arch');
  });

  it('parses installed versions (epoch 0 hidden), missing packages and upgrades', () => {
    const specs = [
      { spec: 'nginx', name: 'nginx', base: 'nginx' },
      { spec: 'curl', name: 'curl', base: 'curl' },
      { spec: 'htop', name: 'htop', base: 'htop' },
    ];
    const out = dnfOut([NGINX, CURL, 'package htop is not installed'], ['curl.x86_64                  8.6.0-9.fc40                  updates', 'Obsoleting Packages', 'grub2-tools.x86_64  1:2.06-121.fc40  updates', '    grub2-tools.x86_64  1:2.06-120.fc40  @updates']);
    const { packages } = parseDnfRead(out, specs);
    assert.equal(packages[0]?.installed, '2:1.24.0-1.fc40');
    assert.equal(packages[0]?.candidate, '2:1.24.0-1.fc40');
    assert.equal(packages[1]?.installed, '8.6.0-8.fc40');
    assert.equal(packages[1]?.candidate, '8.6.0-9.fc40');
    assert.deepEqual(packages[2], { name: 'htop', status: 'not-installed', configFiles: false, versions: [] });
  });

  it('fails when dnf cannot read the repositories', () => {
    assert.throws(() => parseDnfRead('now=1\n@@rpm\n@@rpm-rc 0\n@@updates\n@@updates-rc 1\n', []), /dnf check-update failed \(rc 1\)/);
  });
});

describe('package (dnf, canned outputs only): plan and apply', () => {
  it('is ok when installed, installs what is missing, removes, upgrades for latest', async () => {
    assert.equal((await plan({ name: 'nginx' }, dnfOut([NGINX]))).plan.okReason, 'nginx 2:1.24.0-1.fc40 is installed');
    assert.deepEqual(summaries((await plan({ name: 'htop' }, dnfOut(['package htop is not installed']))).plan), ['install htop']);
    assert.deepEqual(summaries((await plan({ name: 'nginx', state: 'absent' }, dnfOut([NGINX]))).plan), ['remove nginx 2:1.24.0-1.fc40']);
    assert.deepEqual(summaries((await plan({ name: 'curl', state: 'latest' }, dnfOut([CURL], ['curl.x86_64  8.6.0-9.fc40  updates']))).plan), ['upgrade curl 8.6.0-8.fc40 -> 8.6.0-9.fc40']);
    assert.equal((await plan({ name: 'curl', state: 'latest' }, dnfOut([CURL], []))).plan.okReason, 'curl 8.6.0-8.fc40 is the newest version');
  });

  it('does not fail on names it cannot check (dnf reports them when it runs)', async () => {
    assert.deepEqual(summaries((await plan({ name: 'no-such-thing' }, dnfOut(['package no-such-thing is not installed']))).plan), ['install no-such-thing']);
  });

  it('pins: name=version matches version, version-release or epoch:version-release', async () => {
    for (const pin of ['1.24.0', '1.24.0-1.fc40', '2:1.24.0-1.fc40']) {
      assert.equal((await plan({ name: `nginx=${pin}` }, dnfOut([NGINX]))).plan.okReason, 'nginx 2:1.24.0-1.fc40 is installed, as pinned', pin);
    }
    const conn = new FakeConn([{ stdout: dnfOut([NGINX]) }, { stdout: 'Complete!\n' }]);
    const r = await converge(packageModule, ctxFor(conn), { name: 'nginx=1.26.1' });
    assert.deepEqual(summaries(r.plan), ['change nginx 2:1.24.0-1.fc40 -> 1.26.1']);
    assert.deepEqual(conn.commands, ['dnf -y install nginx-1.26.1']);
  });

  it('one install transaction for a list, one upgrade, one removal; install_weak_deps for recommends', async () => {
    const conn = new FakeConn([{ stdout: dnfOut(['package htop is not installed', 'package tmux is not installed', CURL], ['curl.x86_64  8.6.0-9.fc40  updates']) }, { stdout: 'Complete!\n' }, { stdout: 'Complete!\n' }]);
    await converge(packageModule, ctxFor(conn), { name: ['htop', 'tmux', 'curl'], state: 'latest', install_recommends: false });
    assert.deepEqual(conn.commands, ['dnf -y install --setopt=install_weak_deps=False htop tmux', 'dnf -y upgrade --setopt=install_weak_deps=False curl']);
    const rm = new FakeConn([{ stdout: dnfOut([NGINX, CURL]) }, { stdout: 'Complete!\n' }]);
    await converge(packageModule, ctxFor(rm), { name: ['nginx', 'curl'], state: 'absent' });
    assert.deepEqual(rm.commands, ['dnf -y remove nginx curl']);
  });

  it('update_cache: dnf makecache, which alone changes no package', async () => {
    const conn = new FakeConn([{ stdout: 'now=1\n' }, { stdout: 'Metadata cache created.\n' }]);
    const r = await converge(packageModule, ctxFor(conn), { update_cache: true });
    assert.deepEqual(conn.commands, ['dnf -y makecache --refresh']);
    assert.equal(r.applied?.changed, false);
    assert.equal(r.plan.okReason, 'dnf refreshed its metadata, and no package changed');
    const aged = new FakeConn([{ stdout: 'now=1\n' }, { stdout: '' }]);
    const a = await converge(packageModule, ctxFor(aged), { cache_valid_time: 3600 });
    assert.deepEqual(summaries(a.plan), ['refresh the dnf metadata older than cache_valid_time 3600 s']);
    assert.deepEqual(aged.commands, ['dnf -y makecache --setopt=metadata_expire=3600']);
  });

  it('latest with a refresh: upgrade is asked again after it; "Nothing to do." is ok', async () => {
    const conn = new FakeConn([{ stdout: dnfOut([CURL], []) }, { stdout: '' }, { stdout: 'Dependencies resolved.\nNothing to do.\nComplete!\n' }]);
    const r = await converge(packageModule, ctxFor(conn), { name: 'curl', state: 'latest', update_cache: true });
    assert.deepEqual(conn.commands, ['dnf -y makecache --refresh', 'dnf -y upgrade curl']);
    assert.equal(r.applied?.changed, false);
  });

  it('a dnf failure names the packages and quotes dnf', async () => {
    const conn = new FakeConn([{ stdout: dnfOut(['package nginx-typo is not installed']) }, { rc: 1, stdout: 'Last metadata expiration check: 0:01:02 ago.\nNo match for argument: nginx-typo\n', stderr: 'Error: Unable to find a match: nginx-typo\n' }]);
    await assert.rejects(converge(packageModule, ctxFor(conn), { name: 'nginx-typo' }), (e: unknown) => e instanceof ModuleError && e.message === 'dnf install of nginx-typo failed (rc 1):\nError: Unable to find a match: nginx-typo\nNo match for argument: nginx-typo');
  });
});
