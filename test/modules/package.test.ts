// package (apt backend): every plan branch and apply's commands against canned command outputs,
// then dpkg-query and apt-cache policy for real on this machine (reading only).
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { localConnection } from '../../src/engine/connection/local.js';
import type { ShellConnection } from '../../src/engine/connection/shell_connection.js';
import type { Connection } from '../../src/engine/connection/types.js';
import { ModuleError } from '../../src/engine/errors.js';
import type { ModuleContext } from '../../src/engine/module.js';
import { PlannedState } from '../../src/engine/planned.js';
import { type PackageArgs, packageModule, planPackage } from '../../src/modules/package.js';
import { APT_PROVIDERS_SCRIPT, APT_READ_SCRIPT, parseAptRead, parsePolicy, parseProviders, transactionCount, UPDATE_STAMP } from '../../src/modules/package/apt.js';
import type { PackageState } from '../../src/modules/package/types.js';
import { converge, counting, fakeCtx, schemaChecks, summaries, stepChange } from './helpers.js';
import { FakeConn } from './fake_conn.js';
import { plannedInstalls } from '../../src/modules/package/planned.js';




const APT_FACTS = { ansible_facts: { pkg_mgr: 'apt', service_mgr: 'systemd' } };
const NOW = 1_750_000_000;

function ctxFor(conn: Connection, over: Partial<ModuleContext> = {}): ModuleContext {
  return fakeCtx(conn, { vars: APT_FACTS, task: 'this task', ...over });
}

const NGINX_POLICY = `nginx:
  Installed: (none)
  Candidate: 1.22.1-9+deb12u1
  Version table:
     1.22.1-9+deb12u1 500
        500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
     1.22.1-9 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages`;

const policy = (name: string, installed: string | undefined, versions: string[], candidate = versions[0]): string =>
  [
    `${name}:`,
    `  Installed: ${installed ?? '(none)'}`,
    `  Candidate: ${candidate ?? '(none)'}`,
    '  Version table:',
    ...versions.flatMap((v) => [` ${v === installed ? '***' : '   '} ${v} 500`, '        500 http://deb.debian.org/debian bookworm/main amd64 Packages', ...(v === installed ? ['        100 /var/lib/dpkg/status'] : [])]),
  ].join('\n');

/** APT_READ_SCRIPT's output, as the host would print it. */
function aptOut(o: { dpkg?: string[]; policy?: string[]; stamp?: number; lists?: number; dpkgRc?: number; now?: number; names?: boolean }): string {
  const head = [`now=${o.now ?? NOW}`, ...(o.stamp !== undefined ? [`stamp=${o.stamp}`] : []), ...(o.lists !== undefined ? [`lists=${o.lists}`] : [])];
  if (o.names === false) return `${head.join('\n')}\n`;
  return [...head, '@@dpkg', ...(o.dpkg ?? []), `@@dpkg-rc ${o.dpkgRc ?? (o.dpkg?.length ? 0 : 1)}`, '@@policy', ...(o.policy ?? []), '@@policy-rc 0', ''].join('\n');
}

const installed = (name: string, version: string, arch = 'amd64', status = 'install ok installed'): string => `${name}\t${arch}\t${status}\t${version}`;

/** read → plan over canned output, through the module (so the script and its args are checked too). */
async function planned(args: PackageArgs, out: string, over: Partial<ModuleContext> = {}): Promise<{ plan: ReturnType<typeof planPackage>; conn: FakeConn }> {
  const conn = new FakeConn([{ stdout: out }]);
  const state = await packageModule.read(ctxFor(conn, over), args);
  return { plan: packageModule.plan(state, args), conn };
}

const fails = async (p: Promise<unknown>, re: RegExp): Promise<void> => {
  await assert.rejects(p, (e: unknown) => e instanceof ModuleError && re.test(e.message));
};

schemaChecks(packageModule);

describe('package (apt): reading', () => {
  it('asks dpkg-query and apt-cache policy about every name in one script, without versions', async () => {
    const { conn } = await planned({ name: ['nginx=1.22.1-9+deb12u1', 'curl'] }, aptOut({ dpkg: [installed('nginx', '1.22.1-9+deb12u1'), installed('curl', '7.88.1-10+deb12u8')], policy: [NGINX_POLICY, policy('curl', '7.88.1-10+deb12u8', ['7.88.1-10+deb12u8'])] }));
    assert.equal(conn.calls.length, 1);
    assert.equal(conn.calls[0]?.script, APT_READ_SCRIPT);
    assert.deepEqual(conn.calls[0]?.argv, ['nginx', 'curl']);
    assert.match(APT_READ_SCRIPT, /dpkg-query -W -f='\$\{Package\}\\t\$\{Architecture\}\\t\$\{Status\}\\t\$\{Version\}\\n' -- "\$@"/);
  });

  it('parses dpkg states, architectures and the policy table', () => {
    const specs = [
      { spec: 'libc6', name: 'libc6', base: 'libc6' },
      { spec: 'libc6:i386', name: 'libc6:i386', base: 'libc6', arch: 'i386' },
      { spec: 'nginx', name: 'nginx', base: 'nginx' },
      { spec: 'apache2', name: 'apache2', base: 'apache2' },
      { spec: 'half', name: 'half', base: 'half' },
      { spec: 'mail-transport-agent', name: 'mail-transport-agent', base: 'mail-transport-agent' },
    ];
    const out = aptOut({
      dpkg: [installed('libc6', '2.36-9+deb12u7'), installed('libc6', '2.36-9+deb12u7', 'i386', 'deinstall ok config-files'), installed('apache2', '2.4.62-1~deb12u2', 'amd64', 'deinstall ok config-files'), installed('half', '1.0', 'amd64', 'install reinstreq unpacked')],
      dpkgRc: 1,
      policy: [policy('libc6', '2.36-9+deb12u7', ['2.36-9+deb12u7']), NGINX_POLICY, 'mail-transport-agent:\n  Installed: (none)\n  Candidate: (none)\n  Version table:'],
      stamp: NOW - 60,
      lists: NOW - 7200,
    });
    const { cache, packages } = parseAptRead(out, specs);
    assert.deepEqual(cache, { now: NOW, updatedAt: NOW - 60, source: UPDATE_STAMP });
    const [libc, libc386, nginx, apache, half, mta] = packages;
    assert.equal(libc?.installed, '2.36-9+deb12u7');
    assert.equal(libc386?.installed, undefined);
    assert.equal(libc386?.configFiles, true);
    assert.deepEqual(nginx, { name: 'nginx', status: 'not-installed', configFiles: false, known: true, versions: ['1.22.1-9+deb12u1', '1.22.1-9'], candidate: '1.22.1-9+deb12u1' });
    assert.equal(apache?.configFiles, true);
    assert.equal(apache?.known, false);
    assert.equal(half?.status, 'unpacked');
    assert.equal(half?.installed, undefined);
    assert.equal(mta?.known, true, 'a virtual package is known, without a candidate');
    assert.equal(mta?.candidate, undefined);
  });

  it('measures the cache age from the update stamp, else from /var/lib/apt/lists', () => {
    assert.deepEqual(parseAptRead(aptOut({ names: false, lists: NOW - 10 }), []).cache, { now: NOW, updatedAt: NOW - 10, source: '/var/lib/apt/lists' });
    assert.deepEqual(parseAptRead(aptOut({ names: false }), []).cache, { now: NOW });
  });

  it('fails when dpkg-query itself fails (rc 2), not only some names are unknown (rc 1)', () => {
    assert.throws(() => parseAptRead(aptOut({ dpkg: [], dpkgRc: 2 }), [{ spec: 'x', name: 'x', base: 'x' }]), /dpkg-query failed \(rc 2\)/);
  });

  it('parses the policy of several packages, a foreign architecture and an installed-only version', () => {
    const p = parsePolicy(`${policy('a', '2', ['3', '2'])}\nb:i386:\n  Installed: (none)\n  Candidate: 1\n  Version table:\n     1 500\nlocal:\n  Installed: 9\n  Candidate: 9\n  Version table:\n *** 9 100\n        100 /var/lib/dpkg/status`);
    assert.deepEqual(p.get('a'), { candidate: '3', versions: ['3', '2'] });
    assert.deepEqual(p.get('b:i386'), { candidate: '1', versions: ['1'] });
    assert.deepEqual(p.get('local'), { candidate: '9', versions: ['9'] });
  });

  it('takes the backend from the pkg_mgr fact, or probes once without facts, and honours use:', async () => {
    const probe = new FakeConn([{ stdout: 'apt\n' }, { stdout: aptOut({ dpkg: [installed('nginx', '1')], policy: [policy('nginx', '1', ['1'])] }) }]);
    await packageModule.read(fakeCtx(probe), { name: 'nginx' });
    assert.equal(probe.calls.length, 2);
    assert.match(probe.calls[0]?.script ?? '', /command -v apt-get/);
    const none = new FakeConn([{ stdout: 'none\n' }]);
    await fails(packageModule.read(fakeCtx(none), { name: 'nginx' }), /no supported package manager on this host \(neither apt-get nor dnf found\)/);
    await fails(packageModule.read(ctxFor(new FakeConn([]), { vars: { ansible_facts: { pkg_mgr: 'zypper' } } }), { name: 'nginx' }), /facts say pkg_mgr=zypper.*use: apt or use: dnf/);
    const forced = new FakeConn([{ stdout: 'now=1\n' }]);
    const s = await packageModule.read(ctxFor(forced), { update_cache: true, use: 'dnf' });
    assert.equal(s.backend, 'dnf');
  });
});

describe('package (apt): plan (canned state)', () => {
  const nginxAbsent = aptOut({ policy: [NGINX_POLICY] });
  const nginxAt = (v: string) => aptOut({ dpkg: [installed('nginx', v)], policy: [policy('nginx', v, ['1.22.1-9+deb12u1', '1.22.1-9'])] });

  it('is ok when the package is installed, and says which version', async () => {
    const { plan } = await planned({ name: 'nginx' }, nginxAt('1.22.1-9'));
    assert.deepEqual(plan.steps.map(stepChange), []);
    assert.equal(plan.okReason, 'nginx 1.22.1-9 is installed');
  });

  it('installs a missing package, naming the version apt would pick, and remembers it for check mode', async () => {
    const { plan } = await planned({ name: 'nginx' }, nginxAbsent);
    assert.deepEqual(summaries(plan), ['install nginx 1.22.1-9+deb12u1']);
    assert.deepEqual(plan.effects, [{ kind: 'package', key: 'nginx', state: 'present' }]);
  });

  it('takes a comma-separated string or a list, merges duplicates, and refuses what is no package name', async () => {
    const out = aptOut({ policy: [NGINX_POLICY, policy('curl', undefined, ['7.88'])] });
    assert.deepEqual(summaries((await planned({ name: 'nginx, curl' }, out)).plan), ['install nginx 1.22.1-9+deb12u1', 'install curl 7.88']);
    assert.deepEqual(summaries((await planned({ name: ['nginx', 'curl', 'nginx'] }, out)).plan), ['install nginx 1.22.1-9+deb12u1', 'install curl 7.88']);
    await fails(packageModule.read(ctxFor(new FakeConn([])), { name: 'nginx curl' }), /package name "nginx curl" is not a package/);
    await fails(packageModule.read(ctxFor(new FakeConn([])), { name: ['nginx=1', 'nginx=2'] }), /asked for twice with different versions \(nginx=1, nginx=2\)/);
    await fails(packageModule.read(ctxFor(new FakeConn([])), { name: 'nginx=1.22*' }), /version patterns are not supported; pin the exact version/);
    await fails(packageModule.read(ctxFor(new FakeConn([])), {}), /package needs name:/);
  });

  it('fails early, naming the package, when apt knows no such name (unless a cache update may bring it)', async () => {
    await fails(planned({ name: 'nginx-does-not-exist' }, aptOut({})), /^no package nginx-does-not-exist is known to apt \(apt-cache policy lists nothing\); check the name, or add update_cache: true/);
    const { plan } = await planned({ name: 'nginx-does-not-exist', update_cache: true }, aptOut({ stamp: NOW - 10 }));
    assert.deepEqual(summaries(plan), ['update the apt cache', 'install nginx-does-not-exist']);
  });

  it('reads which installed packages provide a name (versions and architecture qualifiers aside)', () => {
    const out = [
      'mawk\tinstall ok installed\t1.3.4\tawk',
      'exim4-daemon-light\tinstall ok installed\t4.96\tmail-transport-agent, exim4-localscanner-abi-1 (= 1)',
      'postfix\tdeinstall ok config-files\t3.7\tmail-transport-agent',
      'gawk\tinstall ok installed\t5.2\tawk:any',
      '',
    ].join('\n');
    assert.deepEqual(Object.fromEntries(parseProviders(out, ['awk', 'mail-transport-agent', 'exim4-localscanner-abi-1', 'nothing'])), {
      awk: ['mawk', 'gawk'],
      'mail-transport-agent': ['exim4-daemon-light'],
      'exim4-localscanner-abi-1': ['exim4-daemon-light'],
    });
  });

  it('a virtual package is ok when an installed package provides it (a second read only then), and absent says what provides it', async () => {
    const awk = aptOut({ policy: ['awk:\n  Installed: (none)\n  Candidate: (none)\n  Version table:'] });
    const conn = new FakeConn([{ stdout: awk }, { stdout: 'mawk\tinstall ok installed\t1.3.4\tawk\n' }]);
    const state = await packageModule.read(ctxFor(conn), { name: 'awk' });
    assert.deepEqual(conn.calls.map((c) => c.script), [APT_READ_SCRIPT, APT_PROVIDERS_SCRIPT]);
    const plan = packageModule.plan(state, { name: 'awk' });
    assert.deepEqual(plan.steps.map(stepChange), []);
    assert.equal(plan.okReason, 'awk is a virtual package, provided by the installed mawk');
    assert.match(packageModule.plan(state, { name: 'awk', state: 'latest' }).okReason ?? '', /provided by the installed mawk; to keep it at the newest version, name mawk$/);
    assert.match(packageModule.plan(state, { name: 'awk', state: 'absent' }).okReason ?? '', /^awk is a virtual package, provided by the installed mawk; nothing is installed under its own name/);
    // Provided by nothing installed: apt-get is left to pick a provider, or to say it cannot.
    const bare = new FakeConn([{ stdout: awk }, { stdout: '' }]);
    assert.deepEqual(summaries(packageModule.plan(await packageModule.read(ctxFor(bare), { name: 'awk' }), { name: 'awk' })), ['install awk']);
  });

  it('pins: ok when the pinned version is installed, else installs, upgrades or (allowed) downgrades to it', async () => {
    assert.equal((await planned({ name: 'nginx=1.22.1-9' }, nginxAt('1.22.1-9'))).plan.okReason, 'nginx 1.22.1-9 is installed, as pinned');
    assert.deepEqual(summaries((await planned({ name: 'nginx=1.22.1-9' }, nginxAbsent)).plan), ['install nginx 1.22.1-9']);
    assert.deepEqual(summaries((await planned({ name: 'nginx=1.22.1-9+deb12u1' }, nginxAt('1.22.1-9'))).plan), ['upgrade nginx 1.22.1-9 -> 1.22.1-9+deb12u1']);
    await fails(planned({ name: 'nginx=1.22.1-9' }, nginxAt('1.22.1-9+deb12u1')), /package nginx=1.22.1-9 would downgrade the installed 1.22.1-9\+deb12u1; set allow_downgrade: true/);
    assert.deepEqual(summaries((await planned({ name: 'nginx=1.22.1-9', allow_downgrade: true }, nginxAt('1.22.1-9+deb12u1'))).plan), ['downgrade nginx 1.22.1-9+deb12u1 -> 1.22.1-9']);
    await fails(planned({ name: 'nginx=1.18.0-6' }, nginxAbsent), /package nginx has no version 1.18.0-6 in the apt cache \(it offers 1.22.1-9\+deb12u1, 1.22.1-9\)/);
    await fails(planned({ name: 'nginx=1.22.1-9', state: 'latest' }, nginxAbsent), /a pinned version contradicts state: latest/);
  });

  it('latest: upgrades to the candidate, installs what is missing, and is ok at the newest version', async () => {
    assert.deepEqual(summaries((await planned({ name: 'nginx', state: 'latest' }, nginxAt('1.22.1-9'))).plan), ['upgrade nginx 1.22.1-9 -> 1.22.1-9+deb12u1']);
    assert.deepEqual(summaries((await planned({ name: 'nginx', state: 'latest' }, nginxAbsent)).plan), ['install nginx 1.22.1-9+deb12u1']);
    const top = await planned({ name: 'nginx', state: 'latest' }, nginxAt('1.22.1-9+deb12u1'));
    assert.deepEqual(top.plan.steps.map(stepChange), []);
    assert.equal(top.plan.okReason, 'nginx 1.22.1-9+deb12u1 is the newest version');
    const local = await planned({ name: 'nginx', state: 'latest' }, aptOut({ dpkg: [installed('nginx', '9.9')], policy: [policy('nginx', '9.9', ['9.9', '1.22.1-9'], '9.9')] }));
    assert.deepEqual(local.plan.steps.map(stepChange), [], 'a newer local build is not "upgraded" to an older candidate');
  });

  it('latest with a cache update: asks apt again after the update, and says so', async () => {
    const { plan } = await planned({ name: 'nginx', state: 'latest', update_cache: true }, nginxAt('1.22.1-9+deb12u1'));
    assert.deepEqual(summaries(plan), ['update the apt cache', 'upgrade nginx if the updated cache offers a newer version than 1.22.1-9+deb12u1']);
    assert.equal(plan.okReason, 'apt-get update fetched nothing new; nginx 1.22.1-9+deb12u1 is the newest version');
  });

  it('absent: removes (or purges) what is installed, and is ok when it is not', async () => {
    assert.deepEqual(summaries((await planned({ name: 'nginx', state: 'absent' }, nginxAt('1.22.1-9'))).plan), ['remove nginx 1.22.1-9']);
    assert.deepEqual(summaries((await planned({ name: 'nginx', state: 'absent', purge: true }, nginxAt('1.22.1-9'))).plan), ['purge nginx 1.22.1-9']);
    const gone = await planned({ name: ['nginx', 'surely-not-a-package'], state: 'absent' }, aptOut({ policy: [NGINX_POLICY] }));
    assert.deepEqual(gone.plan.steps.map(stepChange), []);
    assert.equal(gone.plan.okReason, 'nginx is not installed; surely-not-a-package is not installed');
    const rc = aptOut({ dpkg: [installed('nginx', '1.22.1-9', 'amd64', 'deinstall ok config-files')], policy: [NGINX_POLICY] });
    assert.equal((await planned({ name: 'nginx', state: 'absent' }, rc)).plan.okReason, 'nginx is not installed (its configuration files remain; purge: true removes them)');
    assert.deepEqual(summaries((await planned({ name: 'nginx', state: 'absent', purge: true }, rc)).plan), ['purge the configuration files nginx left behind']);
    const other = await planned({ name: 'nginx=1.0', state: 'absent' }, nginxAt('1.22.1-9'));
    assert.equal(other.plan.okReason, 'nginx 1.22.1-9 is installed, not 1.0, so there is nothing to remove');
    assert.deepEqual((await planned({ name: 'nginx', state: 'absent' }, nginxAt('1.22.1-9'))).plan.effects, [{ kind: 'package', key: 'nginx', state: 'absent' }]);
  });

  it('finishes a half-installed package', async () => {
    const out = aptOut({ dpkg: [installed('nginx', '1.22.1-9', 'amd64', 'install ok half-configured')], policy: [NGINX_POLICY] });
    assert.deepEqual(summaries((await planned({ name: 'nginx' }, out)).plan), ['finish installing nginx (dpkg status: half-configured)']);
    assert.deepEqual(summaries((await planned({ name: 'nginx', state: 'absent' }, out)).plan), ['remove nginx (half-configured)']);
  });

  it('cache_valid_time: updates only when the last update is older, or unknown', async () => {
    const fresh = await planned({ update_cache: true, cache_valid_time: 3600 }, aptOut({ names: false, stamp: NOW - 600 }));
    assert.deepEqual(fresh.plan.steps.map(stepChange), []);
    assert.equal(fresh.plan.okReason, 'the apt cache was updated 10 min ago, within cache_valid_time 3600 s');
    assert.deepEqual(fresh.conn.calls[0]?.argv, [], 'no names: only the cache age is read');
    const stale = await planned({ cache_valid_time: 3600 }, aptOut({ names: false, stamp: NOW - 3 * 3600 }));
    assert.deepEqual(summaries(stale.plan), ['update the apt cache (last updated 3 h ago, cache_valid_time 3600 s)']);
    assert.deepEqual(stale.plan.effects, [{ kind: 'path', key: UPDATE_STAMP, state: 'file' }]);
    const lists = await planned({ cache_valid_time: 3600 }, aptOut({ names: false, lists: NOW - 7200 }));
    assert.deepEqual(summaries(lists.plan), ['update the apt cache (last updated 2 h ago, cache_valid_time 3600 s)']);
    const never = await planned({ cache_valid_time: 3600 }, aptOut({ names: false }));
    assert.deepEqual(summaries(never.plan), ['update the apt cache (it was never updated)']);
    const always = await planned({ update_cache: true }, aptOut({ names: false, stamp: NOW - 1 }));
    assert.deepEqual(summaries(always.plan), ['update the apt cache']);
    await fails(packageModule.read(ctxFor(new FakeConn([])), { update_cache: false, cache_valid_time: 60 }), /cache_valid_time \(60\) asks for a cache update, but update_cache is false/);
  });
});

describe('package (apt): check mode follows earlier tasks', () => {
  it('sees a package an earlier task installs or removes, and a cache update it plans', async () => {
    const planned_ = new PlannedState();
    planned_.record({ kind: 'package', key: 'nginx', state: 'present' }, 'install nginx');
    planned_.record({ kind: 'path', key: UPDATE_STAMP, state: 'file' }, 'refresh apt');
    const over = { planned: planned_ };
    const ok = await planned({ name: 'nginx' }, aptOut({ policy: [NGINX_POLICY] }), over);
    assert.deepEqual(ok.plan.steps.map(stepChange), []);
    assert.equal(ok.plan.okReason, "nginx is planned for install by task 'install nginx'");
    const rm = await planned({ name: 'nginx', state: 'absent' }, aptOut({ policy: [NGINX_POLICY] }), over);
    assert.deepEqual(rm.plan.steps.map(stepChange), [{ summary: 'remove nginx', pending: "nginx is planned for install by task 'install nginx'" }]);
    const fresh = await planned({ name: 'brand-new-package', cache_valid_time: 60 }, aptOut({ stamp: NOW - 86400 }), over);
    assert.deepEqual(fresh.plan.steps.map(stepChange), [{ summary: 'install brand-new-package', pending: "an apt cache update is planned by task 'refresh apt'" }]);
    assert.equal(fresh.plan.okReason, undefined);
  });

  it('an install in check mode leaves the package, and "some package", planned for later tasks', async () => {
    const conn = new FakeConn([{ stdout: aptOut({ policy: [NGINX_POLICY, policy('curl', undefined, ['7.88'])] }) }]);
    const ctx = ctxFor(conn, { task: 'install web' });
    await converge(packageModule, ctx, { name: ['nginx', 'curl'] }, { check: true });
    assert.equal(conn.calls.length, 1, 'check mode only reads');
    assert.deepEqual(ctx.planned.get('package', 'nginx'), { state: 'present', task: 'install web' });
    assert.deepEqual(plannedInstalls(ctx.planned), [
      { name: 'nginx', task: 'install web' },
      { name: 'curl', task: 'install web' },
    ]);
  });
});

describe('package (apt): apply (canned results)', () => {
  const three = aptOut({ policy: [NGINX_POLICY, policy('curl', undefined, ['7.88']), policy('git', undefined, ['1:2.39.5-0+deb12u2'])] });
  const installOk = { stdout: 'Reading package lists...\n0 upgraded, 3 newly installed, 0 to remove and 0 not upgraded.\n' };

  it('installs a list in ONE apt-get transaction, non-interactively, keeping changed conffiles', async () => {
    const conn = new FakeConn([{ stdout: three }, installOk]);
    const r = await converge(packageModule, ctxFor(conn), { name: ['nginx', 'curl', 'git=1:2.39.5-0+deb12u2'] });
    assert.deepEqual(conn.aptGets, ['apt-get install -y -q -o DPkg::Lock::Timeout=60 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold -- nginx curl git=1:2.39.5-0+deb12u2']);
    const env = conn.calls[1]?.env ?? {};
    assert.equal(env['DEBIAN_FRONTEND'], 'noninteractive');
    assert.equal(env['LC_ALL'], 'C');
    assert.equal(r.applied?.changed, true);
    assert.equal(r.applied?.data?.['cache_updated'], false);
  });

  it('passes install_recommends and allow_downgrade on to apt-get', async () => {
    const args = (over: PackageArgs): Promise<FakeConn> => {
      const conn = new FakeConn([{ stdout: aptOut({ policy: [NGINX_POLICY] }) }, installOk]);
      return converge(packageModule, ctxFor(conn), { name: 'nginx', ...over }).then(() => conn);
    };
    assert.match((await args({ install_recommends: false })).aptGets[0] ?? '', / --no-install-recommends -- nginx$/);
    assert.match((await args({ install_recommends: true })).aptGets[0] ?? '', / -o APT::Install-Recommends=true -- nginx$/);
    assert.doesNotMatch((await args({})).aptGets[0] ?? '', /Recommends/);
    assert.match((await args({ name: 'nginx=1.22.1-9', allow_downgrade: true })).aptGets[0] ?? '', / --allow-downgrades -- nginx=1.22.1-9$/);
  });

  it('removes, or purges, in one transaction', async () => {
    const out = aptOut({ dpkg: [installed('nginx', '1'), installed('curl', '2')], policy: [] });
    const conn = new FakeConn([{ stdout: out }, { stdout: '0 upgraded, 0 newly installed, 2 to remove and 0 not upgraded.\n' }]);
    await converge(packageModule, ctxFor(conn), { name: ['nginx', 'curl'], state: 'absent', purge: true });
    assert.deepEqual(conn.aptGets, ['apt-get purge -y -q -o DPkg::Lock::Timeout=60 -- nginx curl']);
  });

  it('updates first with Error-Mode=any and a success stamp, then installs', async () => {
    const conn = new FakeConn([{ stdout: aptOut({ policy: [NGINX_POLICY], stamp: NOW - 86400 }) }, { stdout: 'Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]\n' }, installOk]);
    const r = await converge(packageModule, ctxFor(conn), { name: 'nginx', cache_valid_time: 3600 });
    assert.deepEqual(conn.aptGets, [
      'apt-get update -q -o APT::Update::Error-Mode=any -o APT::Update::Post-Invoke-Success::=mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/update-success-stamp',
      'apt-get install -y -q -o DPkg::Lock::Timeout=60 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold -- nginx',
    ]);
    assert.equal(r.applied?.data?.['cache_updated'], true);
  });

  it('an update alone is changed only when apt fetched something new', async () => {
    const hit = new FakeConn([{ stdout: aptOut({ names: false }) }, { stdout: 'Hit:1 http://deb.debian.org/debian bookworm InRelease\nReading package lists...\n' }]);
    assert.equal((await converge(packageModule, ctxFor(hit), { update_cache: true })).applied?.changed, false);
    const get = new FakeConn([{ stdout: aptOut({ names: false }) }, { stdout: 'Get:1 http://deb.debian.org/debian bookworm-updates InRelease [55.4 kB]\n' }]);
    assert.equal((await converge(packageModule, ctxFor(get), { update_cache: true })).applied?.changed, true);
  });

  it('latest with an update: installs again after it, and is ok when apt finds nothing newer', async () => {
    const conn = new FakeConn([
      { stdout: aptOut({ dpkg: [installed('nginx', '1.22.1-9+deb12u1')], policy: [policy('nginx', '1.22.1-9+deb12u1', ['1.22.1-9+deb12u1'])] }) },
      { stdout: 'Hit:1 http://deb.debian.org/debian bookworm InRelease\n' },
      { stdout: 'nginx is already the newest version (1.22.1-9+deb12u1).\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n' },
    ]);
    const r = await converge(packageModule, ctxFor(conn), { name: 'nginx', state: 'latest', update_cache: true });
    assert.equal(conn.aptGets.length, 2);
    assert.match(conn.aptGets[1] ?? '', /^apt-get install .* -- nginx$/);
    assert.equal(r.applied?.changed, false);
  });

  it('a "Failed to fetch" during the update is an error, even when apt-get exits 0', async () => {
    const stderr = 'W: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  Could not resolve \'deb.debian.org\'\nW: Some index files failed to download. They have been ignored, or old ones used instead.\n';
    const conn = new FakeConn([{ stdout: aptOut({ policy: [NGINX_POLICY] }) }, { rc: 0, stdout: 'Ign:1 http://deb.debian.org/debian bookworm InRelease\n', stderr }]);
    await fails(converge(packageModule, ctxFor(conn), { name: 'nginx', update_cache: true }), /^apt-get update could not fetch every package index \(rc 0\), so the cache may be stale:\nW: Failed to fetch http:\/\/deb.debian.org\/debian\/dists\/bookworm\/InRelease {2}Could not resolve 'deb.debian.org'\nW: Some index files failed to download/);
    assert.equal(conn.aptGets.length, 1, 'nothing is installed from a stale cache');
    const e100 = new FakeConn([{ stdout: aptOut({ names: false }) }, { rc: 100, stderr: 'E: Failed to fetch http://x/dists/bookworm/main/binary-amd64/Packages  404  Not Found\nE: Some index files failed to download. They have been ignored, or old ones used instead.\n' }]);
    await fails(converge(packageModule, ctxFor(e100), { update_cache: true }), /\(rc 100\)[^]*E: Failed to fetch http:\/\/x\/[^]*fix: check the sources/);
  });

  it('an apt-get failure names the packages and quotes apt\'s explanation', async () => {
    const conn = new FakeConn([
      { stdout: aptOut({ policy: [] }) },
      { stdout: 'Get:1 http://x InRelease\n' },
      { rc: 100, stdout: 'Reading package lists...\nBuilding dependency tree...\n', stderr: 'E: Unable to locate package nginx-extras-typo\n' },
    ]);
    await fails(converge(packageModule, ctxFor(conn), { name: ['nginx-extras-typo'], update_cache: true }), /^apt-get install of nginx-extras-typo failed \(rc 100\):\nE: Unable to locate package nginx-extras-typo$/);
    const deps = new FakeConn([
      { stdout: aptOut({ policy: [NGINX_POLICY] }) },
      { rc: 100, stdout: 'The following packages have unmet dependencies:\n nginx : Depends: nginx-common (= 1.22.1-9+deb12u1) but it is not going to be installed\n', stderr: 'E: Unable to correct problems, you have held broken packages.\n' },
    ]);
    await fails(converge(packageModule, ctxFor(deps), { name: 'nginx' }), /apt-get install of nginx failed \(rc 100\):\nE: Unable to correct problems, you have held broken packages.\nThe following packages have unmet dependencies:\n nginx : Depends: nginx-common/);
  });

  it('waits for the dpkg lock while dpkg_lock_timeout lasts, then fails naming the holder', async () => {
    const locked = { rc: 100, stderr: 'E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (unattended-upgr)\nN: Be aware that removing the lock file is not a solution and may break your system.\nE: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?\n' };
    const conn = new FakeConn([{ stdout: aptOut({ policy: [NGINX_POLICY] }) }, locked, installOk]);
    const started = Date.now();
    const r = await converge(packageModule, ctxFor(conn), { name: 'nginx', dpkg_lock_timeout: 5 });
    assert.equal(r.applied?.changed, true);
    assert.equal(conn.aptGets.length, 2, 'tried again once the lock was free');
    assert.ok(Date.now() - started >= 900, 'waited between tries');
    assert.match(conn.aptGets[0] ?? '', /DPkg::Lock::Timeout=5 /, 'apt itself waits for the dpkg lock too');
    const lists = new FakeConn([{ stdout: aptOut({ names: false }) }, { rc: 100, stderr: 'E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4243 (apt-get)\nE: Unable to lock directory /var/lib/apt/lists/\n' }, { stdout: 'Hit:1 http://x InRelease\n' }]);
    await converge(packageModule, ctxFor(lists), { update_cache: true, dpkg_lock_timeout: 5 });
    assert.equal(lists.aptGets.length, 2, 'apt-get update waits for the lists lock too');
    const never = new FakeConn([{ stdout: aptOut({ policy: [NGINX_POLICY] }) }, locked]);
    await fails(converge(packageModule, ctxFor(never), { name: 'nginx', dpkg_lock_timeout: 0 }), /^apt-get install of nginx: another apt or dpkg still holds the lock after 0 s \(dpkg_lock_timeout\): E: Could not get lock \/var\/lib\/dpkg\/lock-frontend. It is held by process 4242 \(unattended-upgr\)/);
  });

  it('does not wait for a lock it may not take: without root it fails at once, saying so', async () => {
    const denied = { rc: 100, stderr: 'E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)\nE: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), are you root?\n' };
    const conn = new FakeConn([{ stdout: aptOut({ policy: [NGINX_POLICY] }) }, denied]);
    await fails(converge(packageModule, ctxFor(conn), { name: 'nginx' }), /^apt-get install of nginx failed \(rc 100\):\nE: Could not open lock file [^]*are you root\?\nfix: apt needs root; add become: true/);
    assert.equal(conn.aptGets.length, 1);
    const update = new FakeConn([{ stdout: aptOut({ names: false }) }, { rc: 100, stderr: 'E: Could not open lock file /var/lib/apt/lists/lock - open (13: Permission denied)\nE: Unable to lock directory /var/lib/apt/lists/\n' }]);
    await fails(converge(packageModule, ctxFor(update), { update_cache: true }), /^apt-get update failed \(rc 100\):\nE: Could not open lock file \/var\/lib\/apt\/lists\/lock[^]*fix: apt needs root/);
  });

  it('counts what a transaction did from apt-get\'s summary line', () => {
    assert.equal(transactionCount('0 upgraded, 0 newly installed, 0 to remove and 12 not upgraded.'), 0);
    assert.equal(transactionCount('1 upgraded, 2 newly installed, 0 to remove and 0 not upgraded.'), 3);
    assert.equal(transactionCount('0 upgraded, 0 newly installed, 1 downgraded, 0 to remove and 0 not upgraded.'), 1);
  });
});

describe('package (apt): on this machine (local connection, reading only)', () => {
  let conn: ShellConnection;
  before(function () {
    try {
      execFileSync('dpkg-query', ['--version']);
    } catch {
      this.skip();
    }
    conn = localConnection();
  });
  after(async () => {
    await conn?.close();
  });

  it('reads coreutils as installed at dpkg\'s version, in one round trip', async () => {
    const version = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'coreutils'], { encoding: 'utf8' });
    const c = counting(conn);
    const s: PackageState = await packageModule.read(ctxFor(c), { name: 'coreutils' });
    assert.deepEqual(c.calls, ['script']);
    assert.equal(s.packages[0]?.installed, version);
    const p = packageModule.plan(s, { name: 'coreutils' });
    assert.deepEqual(p.steps.map(stepChange), []);
    assert.equal(p.okReason, `coreutils ${version} is installed`);
  });

  it('reads awk, a virtual package, as provided by the installed mawk: ok, and a second run is ok too', async () => {
    // Debian's mawk (priority required) provides awk; no package is named awk.
    const c = counting(conn);
    const s: PackageState = await packageModule.read(ctxFor(c), { name: 'awk' });
    assert.deepEqual(c.calls, ['script', 'script']);
    assert.equal(s.packages[0]?.installed, undefined);
    assert.ok(s.packages[0]?.providedBy?.includes('mawk'), JSON.stringify(s.packages[0]));
    const p = packageModule.plan(s, { name: 'awk' });
    assert.deepEqual(p.steps.map(stepChange), []);
    assert.match(p.okReason ?? '', /^awk is a virtual package, provided by the installed (\S+, )*mawk/);
  });

  it('reads a surely-absent name as not installed (absent: ok) and unknown to apt (present: fails)', async () => {
    const name = 'kiln-surely-absent-package-7f3a';
    const s = await packageModule.read(ctxFor(conn), { name, state: 'absent' });
    assert.equal(s.packages[0]?.installed, undefined);
    assert.equal(s.packages[0]?.known, false);
    assert.equal(packageModule.plan(s, { name, state: 'absent' }).okReason, `${name} is not installed`);
    assert.throws(() => packageModule.plan(s, { name }), /is known to apt/);
  });
});
