// Issue 5's acceptance, through the real CLI, on two fresh Debian 12 test hosts in one inventory
// (systemd as PID 1, and tini with SysV scripts): facts, gather_facts: false, a check mode that
// tells the truth on a fresh host, then package and service converging nginx for real.
// The tests run in order on the same two hosts: the check-mode ones need them untouched.
import { strict as assert } from 'node:assert';
import { get } from 'node:http';
import { startHost, type TestHost } from '../support/testhost/host.js';
import { type KilnOnHosts, kilnOnHosts, type PlayRun } from './kiln_run.js';

/** GET http://ip/: the status and body, or the socket error's code (ECONNREFUSED: nothing listens). */
function httpGet(ip: string): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = get(`http://${ip}/`, { timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
  });
}

/** Ask until `ok` holds (a daemon may need a moment to bind or let go of its port), at most 5 s. */
async function httpUntil(ip: string, ok: (r: Awaited<ReturnType<typeof httpGet>>) => boolean): Promise<Awaited<ReturnType<typeof httpGet>>> {
  const until = Date.now() + 5000;
  for (;;) {
    const r = await httpGet(ip);
    if (ok(r) || Date.now() > until) return r;
    await new Promise((done) => setTimeout(done, 200));
  }
}

const answers = (r: Awaited<ReturnType<typeof httpGet>>): boolean => 'status' in r && r.status === 200 && /Welcome to nginx/.test(r.body);
const refused = (r: Awaited<ReturnType<typeof httpGet>>): boolean => 'error' in r && r.error === 'ECONNREFUSED';

async function sh(h: TestHost, script: string): Promise<string> {
  const r = await h.exec(['sh', '-c', script], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `${h.name}: ${script}: ${r.stderr}`);
  return r.stdout;
}

/** dpkg's two-letter state of `pkg` from `dpkg -l` ("ii" installed), or "none" when dpkg never knew it. */
async function dpkgList(h: TestHost, pkg: string): Promise<string> {
  const r = await h.exec(['dpkg', '-l', pkg], { env: { COLUMNS: '200' } });
  if (r.code === 1 && /no packages found matching/.test(r.stderr)) return 'none';
  assert.equal(r.code, 0, `${h.name}: dpkg -l ${pkg}: ${r.stderr}`);
  const row = r.stdout.split('\n').find((l) => l.split(/\s+/)[1] === pkg);
  assert.ok(row, `${h.name}: dpkg -l ${pkg} has no row for it:\n${r.stdout}`);
  return row.slice(0, 2);
}

/** Whether nginx starts at boot, as the init system itself says. */
async function startsAtBoot(h: TestHost): Promise<boolean> {
  if (h.flavour === 'systemd') return (await h.exec(['systemctl', 'is-enabled', 'nginx'])).stdout.trim() === 'enabled';
  return (await h.exec(['sh', '-c', 'ls /etc/rc2.d/S[0-9][0-9]nginx'])).code === 0;
}

async function nginxPid(h: TestHost): Promise<number> {
  const pid = Number((await sh(h, 'cat /run/nginx.pid')).trim());
  assert.match(await sh(h, `cat /proc/${pid}/cmdline | tr '\\0' ' '`), /^nginx: master process/, `${h.name}: /run/nginx.pid names ${pid}, which is not nginx's master`);
  return pid;
}

/** The transactions apt logged (one Start-Date: paragraph each; apt-get update logs none). */
async function aptHistory(h: TestHost): Promise<string[]> {
  const log = await sh(h, 'cat /var/log/apt/history.log 2>/dev/null; true');
  return log.split(/\n(?=Start-Date:)/).filter((p) => p.startsWith('Start-Date:'));
}

/** The seconds an age as package's messages print it ("5 s", "2 min", "3 h", "4 days") stands for, at least. */
function ageAtLeast(text: string): number {
  const m = /^(\d+) (s|min|h|days)$/.exec(text);
  assert.ok(m, `not an age: ${text}`);
  const n = Number(m[1]);
  return m[2] === 's' ? n : (n - 0.5) * { min: 60, h: 3600, days: 86400 }[m[2] as 'min' | 'h' | 'days'];
}

describe('hosts: package, service and facts on fresh Debian 12 (systemd and tini), through the CLI', function () {
  // The image build (cold cache only) takes 1-3 minutes; the runs themselves well under 2.
  this.timeout(20 * 60_000);

  let hosts: TestHost[] = [];
  let k: KilnOnHosts | undefined;
  /** When both hosts were up: their apt lists (the image's) are older than that. */
  let hostsUpAt = 0;
  const timings: string[] = [];

  const cli = (): KilnOnHosts => {
    assert.ok(k, 'no inventory: the hosts did not start');
    return k;
  };
  /** `kiln play FIXTURE --json ARGS` over both hosts; fails the test when kiln exits non-zero. */
  const play = async (label: string, fixture: string, ...args: string[]): Promise<PlayRun> => {
    const r = await cli().play(fixture, ...args);
    timings.push(`${label}: ${r.seconds.toFixed(1)} s`);
    assert.equal(r.code, 0, `kiln play ${fixture} ${args.join(' ')} exited ${r.code}:\n${r.stdout}${r.stderr}`);
    for (const h of hosts) assert.equal(r.recap[h.name]?.failed, 0, `${h.name} failed:\n${r.stdout}`);
    return r;
  };
  const statuses = (r: PlayRun, task: string): Record<string, string> => Object.fromEntries(hosts.map((h) => [h.flavour, r.result(h.name, task).status]));

  before(async function () {
    const t0 = Date.now();
    const started = await Promise.allSettled([startHost({ name: 'pkg-systemd', flavour: 'systemd' }), startHost({ name: 'pkg-tini', flavour: 'tini' })]);
    hosts = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    hostsUpAt = Date.now();
    timings.push(`two hosts started in parallel: ${((hostsUpAt - t0) / 1000).toFixed(1)} s`);
    k = await kilnOnHosts(hosts);
  });

  after(async function () {
    await Promise.all(hosts.map((h) => h.stop()));
    await k?.remove();
    console.log(`      timings:\n${timings.map((t) => `        ${t}`).join('\n')}`);
  });

  it('kiln facts HOST: the os-release, hostname, init system and package manager of each host', async function () {
    await Promise.all(
      hosts.map(async (h) => {
        const facts = await cli().facts(h.name);
        const [id, versionId, codename, name, hostname, debianVersion, nproc, memKb] = (
          await sh(h, '. /etc/os-release; printf "%s\\n" "$ID" "$VERSION_ID" "$VERSION_CODENAME" "$NAME"; hostname; cat /etc/debian_version; nproc; sed -n "s/^MemTotal: *\\([0-9]*\\) kB/\\1/p" /proc/meminfo')
        ).split('\n');
        assert.equal(id, 'debian');
        assert.deepEqual(
          {
            distribution: facts['distribution'],
            distribution_major_version: facts['distribution_major_version'],
            distribution_version: facts['distribution_version'],
            distribution_release: facts['distribution_release'],
            os_family: facts['os_family'],
            hostname: facts['hostname'],
            fqdn: facts['fqdn'],
            service_mgr: facts['service_mgr'],
            pkg_mgr: facts['pkg_mgr'],
            default_ipv4: (facts['default_ipv4'] as { address?: string } | undefined)?.address,
            processor_vcpus: facts['processor_vcpus'],
            memtotal_mb: facts['memtotal_mb'],
          },
          {
            distribution: name?.split(' ')[0], // NAME="Debian GNU/Linux"
            distribution_major_version: versionId,
            distribution_version: debianVersion,
            distribution_release: codename,
            os_family: 'Debian',
            hostname,
            fqdn: h.name, // /etc/hosts names it, without a domain
            service_mgr: h.flavour === 'systemd' ? 'systemd' : 'sysvinit',
            pkg_mgr: 'apt',
            default_ipv4: h.ip, // no default route: the first global address
            processor_vcpus: Number(nproc),
            memtotal_mb: Math.round(Number(memKb) / 1024),
          },
          `${h.name}: ${JSON.stringify(facts)}`,
        );
        assert.equal(facts['distribution'], 'Debian');
        assert.equal(facts['distribution_major_version'], '12');
        assert.equal(facts['hostname'], h.name);
      }),
    );
  });

  it('gather_facts: false gathers nothing (ansible_facts is not defined); the next play gathers', async function () {
    const r = await play('gather_facts false, then true', 'gather_facts.yml');
    const starts = r.events.filter((e) => e['event'] === 'task_start' && e['task'] === 'Gathering Facts').map((e) => e['play']);
    assert.deepEqual(starts, ['with facts'], 'facts are gathered in the second play only');
    for (const h of hosts) {
      assert.equal(r.result(h.name, 'facts are defined', 'without facts').status, 'skipped');
      assert.equal(r.result(h.name, 'facts are not defined', 'without facts').msg, 'no facts');
      assert.equal(r.result(h.name, 'facts are defined', 'with facts').msg, `Debian 12 on ${h.name}`);
      assert.equal(r.result(h.name, 'facts are not defined', 'with facts').status, 'skipped');
    }
  });

  it('--check of install + configure + start on a fresh host: every change reported, the later ones pending; nothing changes', async function () {
    for (const h of hosts) {
      assert.equal(await dpkgList(h, 'nginx'), 'none', `${h.name} is not fresh: dpkg knows nginx`);
      assert.equal((await h.exec(['test', '-e', '/etc/nginx'])).code, 1, `${h.name} is not fresh: /etc/nginx exists`);
    }
    const historyBefore = await Promise.all(hosts.map(aptHistory));

    const r = await play('web_check.yml --check', 'web_check.yml', '--check');
    const installPending = "nginx is planned for install by task 'install nginx'";
    const dirPending = "directory /etc/nginx/sites-available is planned by task 'sites-available exists'";
    for (const h of hosts) {
      assert.deepEqual(r.recap[h.name], { ok: 5, changed: 4, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 }, r.stdout);
      const install = r.result(h.name, 'install nginx');
      assert.equal(install.status, 'changed');
      assert.match(install.changes.at(-1)?.summary ?? '', /^install nginx( \S+)?$/);
      assert.ok(install.changes.every((c) => c.pending === null && /^(install nginx|update the apt cache)/.test(c.summary)), JSON.stringify(install.changes));
      const dir = r.result(h.name, 'sites-available exists');
      assert.equal(dir.status, 'changed');
      assert.deepEqual(dir.changes[0], { summary: 'create directory /etc/nginx/sites-available', pending: null });
      const site = r.result(h.name, 'site config');
      assert.equal(site.status, 'changed');
      assert.deepEqual(site.changes[0], { summary: 'create /etc/nginx/sites-available/kiln-site', pending: dirPending });
      assert.ok(site.changes.every((c) => c.pending === dirPending), JSON.stringify(site.changes));
      const unit = h.flavour === 'systemd' ? 'nginx.service' : 'nginx';
      const svc = r.result(h.name, 'nginx runs and starts at boot');
      assert.equal(svc.status, 'changed');
      assert.deepEqual(svc.changes, [
        { summary: `start ${unit}`, pending: installPending },
        { summary: `enable ${unit}`, pending: installPending },
      ]);
    }

    // What a user reads.
    const text = await cli().playText('web_check.yml', '--check');
    assert.equal(text.code, 0, text.stdout + text.stderr);
    assert.match(text.stdout, /dry run \(check mode\)/);
    for (const h of hosts) {
      assert.ok(text.stdout.includes(`changed: [${h.name}] (pending: ${installPending})`), text.stdout);
      assert.ok(text.stdout.includes(`changed: [${h.name}] (pending: ${dirPending})`), text.stdout);
    }

    for (const [i, h] of hosts.entries()) {
      assert.equal(await dpkgList(h, 'nginx'), 'none', `${h.name}: after check mode, dpkg knows nginx`);
      assert.equal((await h.exec(['test', '-e', '/etc/nginx'])).code, 1, `${h.name}: check mode left /etc/nginx`);
      assert.equal((await h.exec(['test', '-e', '/var/lib/apt/periodic/update-success-stamp'])).code, 1, `${h.name}: check mode updated the apt cache`);
      assert.deepEqual(await aptHistory(h), historyBefore[i], `${h.name}: check mode ran an apt transaction`);
    }
  });

  // The template's directory does not exist and no task plans it: only the package will make it.
  // Check mode reports the write as pending on the planned install (withPlannedParent).
  it('--check: a template into a directory only the planned package creates is pending, not a failure', async function () {
    const r = await play('web_check_direct.yml --check', 'web_check_direct.yml', '--check');
    for (const h of hosts) {
      const site = r.result(h.name, 'site config');
      assert.equal(site.status, 'changed');
      assert.match(site.changes[0]?.pending ?? '', /install nginx/);
      assert.equal(r.result(h.name, 'nginx runs and starts at boot').status, 'changed');
    }
  });

  it('package: nginx is changed on the first run and ok on the second, which says why', async function () {
    const first = await play('nginx present (1st)', 'nginx_package.yml', '-t', 'present');
    const firstAt = Date.now();
    assert.deepEqual(statuses(first, 'nginx is installed'), { systemd: 'changed', tini: 'changed' });
    for (const h of hosts) assert.equal(await dpkgList(h, 'nginx'), 'ii', `${h.name}: nginx is not installed`);

    const second = await play('nginx present (2nd)', 'nginx_package.yml', '-t', 'present');
    assert.deepEqual(statuses(second, 'nginx is installed'), { systemd: 'ok', tini: 'ok' });
    for (const h of hosts) {
      const version = (await sh(h, "dpkg-query -W -f='${Version}' nginx")).trim();
      const msg = second.result(h.name, 'nginx is installed').msg;
      assert.match(msg, new RegExp(`nginx ${version.replace(/[.+]/g, '\\$&')} is installed$`));
      // cache_valid_time measures the apt cache: without an update (the image's lists were fresh
      // enough), it is at least as old as the host; the install does not make it new.
      const cacheAge = /the apt cache was updated (.+?) ago, within cache_valid_time \d+ s/.exec(msg)?.[1];
      assert.ok(cacheAge, msg);
      const updated = (await h.exec(['test', '-e', '/var/lib/apt/periodic/update-success-stamp'])).code === 0;
      if (updated) assert.ok(ageAtLeast(cacheAge) <= (Date.now() - firstAt) / 1000 + first.seconds + 1, `${h.name}: updated in the first run, but: ${msg}`);
      else assert.ok(ageAtLeast(cacheAge) >= Math.floor((Date.now() - hostsUpAt) / 1000) - 1, `${h.name}: the apt cache is older than the host, but: ${msg}`);
    }
  });

  it('service: stopped (and disabled) closes port 80; a second run is ok', async function () {
    const r = await play('nginx stopped', 'nginx_service.yml', '-t', 'stopped');
    assert.deepEqual(statuses(r, 'nginx is stopped and does not start at boot'), { systemd: 'changed', tini: 'changed' });
    for (const h of hosts) {
      const got = await httpUntil(h.ip, refused);
      assert.ok(refused(got), `${h.name}: port 80 still answers: ${JSON.stringify(got)}`);
      assert.equal(await startsAtBoot(h), false, `${h.name}: nginx still starts at boot`);
    }
    const again = await play('nginx stopped (2nd)', 'nginx_service.yml', '-t', 'stopped');
    assert.deepEqual(statuses(again, 'nginx is stopped and does not start at boot'), { systemd: 'ok', tini: 'ok' });
  });

  it('service: started and enabled, nginx answers on :80 and starts at boot; a second run is ok', async function () {
    const r = await play('nginx started', 'nginx_service.yml', '-t', 'started');
    for (const h of hosts) {
      const res = r.result(h.name, 'nginx runs and starts at boot');
      assert.equal(res.status, 'changed');
      assert.deepEqual(
        res.changes.map((c) => c.summary.split(':')[0]),
        h.flavour === 'systemd' ? ['start nginx.service', 'enable nginx.service'] : ['start nginx', 'enable nginx'],
      );
      const got = await httpUntil(h.ip, answers);
      assert.ok(answers(got), `${h.name}: no nginx on port 80: ${JSON.stringify(got)}`);
      assert.equal(await startsAtBoot(h), true, `${h.name}: nginx does not start at boot`);
    }
    const again = await play('nginx started (2nd)', 'nginx_service.yml', '-t', 'started');
    for (const h of hosts) {
      const res = again.result(h.name, 'nginx runs and starts at boot');
      assert.equal(res.status, 'ok', JSON.stringify(res));
      assert.match(res.msg, h.flavour === 'systemd' ? /^nginx\.service is active \(running\); nginx\.service is enabled$/ : /^nginx is running; nginx is enabled$/);
    }
  });

  it("service: restarted changes nginx's master PID (and acts on every run)", async function () {
    const before = await Promise.all(hosts.map(nginxPid));
    const r = await play('nginx restarted', 'nginx_service.yml', '-t', 'restarted');
    assert.deepEqual(statuses(r, 'nginx is restarted'), { systemd: 'changed', tini: 'changed' });
    for (const [i, h] of hosts.entries()) {
      const after = await nginxPid(h);
      assert.notEqual(after, before[i], `${h.name}: nginx's master is still PID ${after}`);
      assert.equal((await h.exec(['kill', '-0', String(before[i])])).code, 1, `${h.name}: the old master ${before[i]} still runs`);
      assert.ok(answers(await httpUntil(h.ip, answers)), `${h.name}: no nginx on port 80 after the restart`);
    }
  });

  it('package: state absent removes nginx (dpkg -l shows it not installed); a second run is ok', async function () {
    const r = await play('nginx absent', 'nginx_package.yml', '-t', 'absent');
    assert.deepEqual(statuses(r, 'nginx is removed'), { systemd: 'changed', tini: 'changed' });
    for (const h of hosts) assert.match(await dpkgList(h, 'nginx'), /^(none|un|rc|pn)$/, `${h.name}: nginx is still installed`);
    const again = await play('nginx absent (2nd)', 'nginx_package.yml', '-t', 'absent');
    for (const h of hosts) assert.equal(again.result(h.name, 'nginx is removed').status, 'ok');
  });

  it('package: a list of 3 packages installs in one apt transaction', async function () {
    const names = ['curl', 'less', 'tree'];
    const before = await Promise.all(hosts.map(aptHistory));
    for (const h of hosts) for (const n of names) assert.notEqual(await dpkgList(h, n), 'ii', `${h.name}: ${n} is already installed`);

    const r = await play('curl, less, tree', 'tools.yml');
    assert.deepEqual(statuses(r, 'curl, less and tree are installed'), { systemd: 'changed', tini: 'changed' });
    for (const [i, h] of hosts.entries()) {
      const after = await aptHistory(h);
      assert.equal(after.length, (before[i]?.length ?? 0) + 1, `${h.name}: ${after.length - (before[i]?.length ?? 0)} apt transactions:\n${after.slice(before[i]?.length).join('\n')}`);
      const last = after.at(-1) ?? '';
      assert.match(last, /^Commandline: apt-get install .*-- curl less tree$/m);
      const installed = /^Install: (.*)$/m.exec(last)?.[1] ?? '';
      for (const n of names) {
        assert.match(installed, new RegExp(`(^|, )${n}:`), `${h.name}: ${n} was not in that transaction`);
        assert.equal(await dpkgList(h, n), 'ii', `${h.name}: ${n} is not installed`);
      }
    }
    const again = await play('curl, less, tree (2nd)', 'tools.yml');
    assert.deepEqual(statuses(again, 'curl, less and tree are installed'), { systemd: 'ok', tini: 'ok' });
  });

  it('package: update_cache is ok when apt fetched nothing new (apt-cacher-ng serves every InRelease again)', async function () {
    await play('update_cache (1st)', 'apt_update.yml');
    const r = await play('update_cache (2nd)', 'apt_update.yml');
    for (const h of hosts) {
      const res = r.result(h.name, 'the apt cache is updated');
      assert.equal(res.data?.['cache_updated'], true, `${h.name}: apt-get update did not run: ${JSON.stringify(res)}`);
      assert.equal(res.status, 'ok', `${h.name}: ${JSON.stringify(res)}`);
      assert.equal(res.msg, 'apt-get update fetched nothing new');
    }
  });

  it('package: a source apt cannot fetch fails update_cache, naming it', async function () {
    const source = '/etc/apt/sources.list.d/kiln-test-missing.list';
    const url = 'http://deb.debian.org/debian-kiln-test-missing';
    try {
      for (const h of hosts) await sh(h, `echo 'deb ${url} bookworm main' > ${source}`);
      const r = await cli().play('apt_update.yml');
      timings.push(`update_cache, one source missing: ${r.seconds.toFixed(1)} s`);
      assert.equal(r.code, 2, `kiln exited ${r.code}:\n${r.stdout}${r.stderr}`);
      for (const h of hosts) {
        const res = r.result(h.name, 'the apt cache is updated');
        assert.equal(res.status, 'failed');
        assert.match(res.msg, /^apt-get update could not fetch every package index \(rc \d+\), so the cache may be stale:\n/);
        assert.ok(res.msg.includes(`Failed to fetch ${url}/dists/bookworm/InRelease`), res.msg);
        assert.match(res.msg, /\nfix: check the sources \(\/etc\/apt\/sources\.list, \/etc\/apt\/sources\.list\.d\/\)/);
      }
    } finally {
      for (const h of hosts) await h.exec(['rm', '-f', source]);
    }
  });
});
