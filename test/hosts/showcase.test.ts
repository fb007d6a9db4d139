// The showcase, playbooks/site.yml, on fresh Debian 12 test hosts (systemd): a truthful dry run
// on one host; on another, the full converge into www.foobar.com (nginx, the foobar application
// server, MariaDB, BIND), a no-op re-run, deploys that drop no request, and the database password
// kept out of every output and every command line.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { recap } from '../support/cli.js';
import { startHost, type TestHost } from '../support/testhost/host.js';
import { type KilnOnHosts, kilnOnHosts, type PlayRun } from './kiln_run.js';
import { get, requestLoop } from './http_probe.js';

const SITE = '../../../playbooks/site.yml';
const DOMAIN = 'www.foobar.com';
const PACKAGES = ['mariadb-server', 'nginx', 'gunicorn', 'python3-flask', 'python3-pymysql', 'bind9', 'bind9-utils', 'bind9-dnsutils', 'curl'];
const APP_TASKS = /^app : /;
/** An application-only configuration change (JSON: -e key=value splits at spaces, as Ansible's does). */
const GREETING = JSON.stringify({ app_greeting: 'Hello again from foobar' });

function body(a: Awaited<ReturnType<typeof get>>): string {
  assert.ok('status' in a, `no answer: ${JSON.stringify(a)}`);
  assert.equal(a.status, 200, a.body);
  return a.body;
}

function visits(page: string): number {
  const m = /visits: (\d+)/.exec(page);
  assert.ok(m, `no counter in the page:\n${page}`);
  return Number(m[1]);
}

/** The tasks (and handlers) that reported a change. */
function changed(r: PlayRun): string[] {
  return r.events.filter((e) => e['event'] === 'task_result' && e['status'] === 'changed').map((e) => String(e['task']));
}

/** dig on the controller when it has one, else inside the host (the common role installs it there). */
async function dig(host: TestHost, args: string[]): Promise<string> {
  const local = await new Promise<string | undefined>((done) => execFile('dig', args, { timeout: 20_000 }, (err, out) => done(err ? undefined : out)));
  if (local !== undefined) return local;
  const r = await host.exec(['dig', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

describe('showcase: playbooks/site.yml on fresh Debian 12 hosts', function () {
  this.timeout(1_200_000);
  let web: TestHost;
  let dry: TestHost;
  let k: KilnOnHosts;
  let kDry: KilnOnHosts;
  /** Everything kiln printed in this file, for the password check at the end. */
  const printed: string[] = [];
  const play = async (kk: KilnOnHosts, ...args: string[]): Promise<PlayRun> => {
    const r = await kk.play(SITE, ...args);
    printed.push(r.stdout, r.stderr);
    return r;
  };
  const pid = async (cmd: string): Promise<string> => {
    const r = await web.exec(['sh', '-c', cmd]);
    assert.match(r.stdout.trim(), /^[1-9]\d*$/, `${cmd}: ${r.stdout}${r.stderr}`);
    return r.stdout.trim();
  };
  const pids = async (): Promise<Record<string, string>> => ({
    gunicorn: await pid('systemctl show -p MainPID --value foobar'),
    nginx: await pid('cat /run/nginx.pid'),
    mariadb: await pid('systemctl show -p MainPID --value mariadb'),
    named: await pid('systemctl show -p MainPID --value named'),
  });
  // Every command line on the web host while kiln converges it, until /run/stop-sampler exists.
  let sampler: Promise<unknown> | undefined;

  before(async () => {
    [web, dry] = await Promise.all([startHost({ name: 'stack', flavour: 'systemd' }), startHost({ name: 'stack-dry', flavour: 'systemd' })]);
    [k, kDry] = await Promise.all([kilnOnHosts([web]), kilnOnHosts([dry])]);
  });
  after(async () => {
    await web?.exec(['touch', '/run/stop-sampler']).catch(() => undefined);
    await Promise.all([k?.remove(), kDry?.remove()]);
    await Promise.all([web?.stop(), dry?.stop()]);
  });

  it('--check on a fresh host reports the whole plan, pending where an earlier task decides, and installs nothing', async () => {
    const r = await play(kDry, '--check', '--diff');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const counts = r.recap[dry.name];
    assert.ok(counts && counts.failed === 0 && counts.changed >= 30, JSON.stringify(counts));
    const pending = (task: string): string => r.result(dry.name, task).changes.map((c) => c.pending ?? '').join('\n');
    assert.match(pending('mariadb : MariaDB runs and starts at boot'), /mariadb\.service does not exist yet; task 'mariadb : install MariaDB' plans package installs/);
    assert.match(pending("mariadb : the application's database"), /mariadb-server is planned for install by task 'mariadb : install MariaDB'/);
    assert.match(pending("mariadb : the application's user, with SELECT,UPDATE on foobar only"), /mariadb-server is planned for install by task 'mariadb : install MariaDB'/);
    assert.match(pending('app : the application server runs and starts at boot'), /foobar\.service does not exist yet; task '.*' plans package installs/);
    assert.match(pending('nginx : nginx runs and starts at boot'), /nginx is planned for install by task 'nginx : install nginx'/);
    assert.match(pending('nginx : site for www.foobar.com'), /sites-available does not exist yet; task 'nginx : install nginx' plans package installs/);
    assert.match(pending('dns : named runs and starts at boot'), /named\.service does not exist yet; task 'dns : install BIND 9' plans package installs/);
    const records = r.events.filter((e) => e['event'] === 'item_result' && e['task'] === 'dns : records of foobar.com');
    assert.equal(records.length, 2, JSON.stringify(records));
    for (const rec of records) assert.match(JSON.stringify(rec), /db\.foobar\.com is planned by task 'dns : zone foobar\.com/);
    const dpkg = await dry.exec(['sh', '-c', `dpkg-query -W -f='\${Package} \${Status}\\n' ${PACKAGES.join(' ')} 2>/dev/null || true`]);
    assert.doesNotMatch(dpkg.stdout, /install ok installed/);
    for (const path of ['/srv/foobar', '/etc/foobar', '/etc/bind', '/etc/systemd/system/foobar.service']) {
      assert.equal((await dry.exec(['test', '-e', path])).code, 1, `check mode created ${path}`);
    }
    assert.equal((await dry.exec(['getent', 'passwd', 'foobar'])).code, 2, 'check mode created the user foobar');
  });

  it('converges a fresh host in one run', async () => {
    sampler = web.exec(['sh', '-c', "while [ ! -e /run/stop-sampler ]; do cat /proc/[0-9]*/cmdline 2>/dev/null; echo; sleep 0.02; done | tr '\\0' '\\n' | awk '!seen[$0]++' > /root/argv.log"], { timeoutMs: 1_200_000 });
    const r = await play(k, '--diff');
    console.log(`      showcase: full converge of a fresh host: ${r.seconds.toFixed(1)} s (exit ${r.code})`);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.recap[web.name]?.failed, 0);
  });

  it('serves www.foobar.com through nginx: 200, a counter that goes up by one, version: 1, static files, security headers', async () => {
    const first = body(await get(web.ip, DOMAIN));
    assert.match(first, /version: 1</);
    const second = body(await get(web.ip, DOMAIN));
    assert.equal(visits(second), visits(first) + 1);
    const css = await get(web.ip, DOMAIN, '/static/style.css');
    assert.ok('status' in css && css.status === 200, JSON.stringify(css));
    assert.match(css.body, /foobar/);
    const page = await get(web.ip, DOMAIN);
    assert.ok('headers' in page);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
    assert.equal(page.headers['server'], 'nginx');
    // gunicorn itself listens on loopback only; nginx is the way in.
    const listening = await web.exec(['ss', '-ltnH']);
    assert.match(listening.stdout, /127\.0\.0\.1:8000/);
    assert.doesNotMatch(listening.stdout, /0\.0\.0\.0:8000|\*:8000/);
    const unit = await web.exec(['systemctl', 'show', '-p', 'User', '-p', 'ActiveState', 'foobar']);
    assert.match(unit.stdout, /User=foobar/);
    assert.match(unit.stdout, /ActiveState=active/);
  });

  it('/health reports the database round trip', async () => {
    const a = await get(web.ip, DOMAIN, '/health');
    const h = JSON.parse(body(a)) as Record<string, unknown>;
    assert.equal(h['status'], 'ok');
    assert.equal(h['database'], 'ok');
    assert.equal(typeof h['db_roundtrip_ms'], 'number');
    assert.equal(h['version'], '1');
  });

  it('answers www.foobar.com A 8.8.8.8 and the apex, authoritative only', async () => {
    assert.equal((await dig(web, [`@${web.ip}`, DOMAIN, 'A', '+short'])).trim(), '8.8.8.8');
    assert.equal((await dig(web, [`@${web.ip}`, 'foobar.com', 'A', '+short'])).trim(), '8.8.8.8');
    assert.match(await dig(web, [`@${web.ip}`, 'example.com', 'A']), /status: REFUSED/);
    const resolver = new Resolver({ timeout: 5000, tries: 1 });
    resolver.setServers([web.ip]);
    assert.deepEqual(await resolver.resolve4(DOMAIN), ['8.8.8.8']);
    const conf = await web.exec(['named-checkconf', '-p']);
    assert.match(conf.stdout, /recursion no;/);
    assert.match(conf.stdout, /dnssec-validation no;/);
    assert.doesNotMatch(conf.stdout, /type hint;/);
  });

  it('keeps MariaDB on loopback, and the application user to SELECT,UPDATE on its database', async () => {
    const listening = await web.exec(['ss', '-ltnH']);
    assert.match(listening.stdout, /127\.0\.0\.1:3306/);
    assert.doesNotMatch(listening.stdout, /0\.0\.0\.0:3306|\*:3306/);
    const grants = await web.exec(['mysql', '-NBe', "SHOW GRANTS FOR 'foobar_app'@'localhost'"]);
    assert.equal(grants.code, 0, grants.stderr);
    const lines = grants.stdout.trim().split('\n');
    assert.equal(lines.length, 2, grants.stdout);
    assert.match(lines[0] ?? '', /^GRANT USAGE ON \*\.\* TO `foobar_app`@`localhost` IDENTIFIED BY PASSWORD '\*[0-9A-F]{40}'$/);
    assert.match(lines[1] ?? '', /^GRANT SELECT, UPDATE ON `foobar`\.\* TO `foobar_app`@`localhost`$/);
    const file = await web.exec(['stat', '-c', '%a %U %G %s', '/etc/foobar/db_password']);
    assert.equal(file.stdout.trim(), '640 root foobar 32');
  });

  it('a second run changes nothing', async () => {
    const r = await play(k);
    console.log(`      showcase: no-op re-run: ${r.seconds.toFixed(2)} s`);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.recap[web.name]?.changed, 0, changed(r).join('\n'));
  });

  it('deploys app_version=2 under a stream of requests without dropping one, by a reload that serves the new release', async () => {
    const before = await pids();
    const workers = (await web.exec(['pgrep', '-P', before['gunicorn'] ?? '0'])).stdout;
    const deploy = play(k, '-e', 'app_version=2');
    // The new workers boot after kiln's reload returns: the loop goes on until one answers.
    const loop = await requestLoop({ ip: web.ip, host: DOMAIN, until: deploy, min: 500, maxCount: 20_000, maxMs: 240_000, workers: 2, done: (l) => l.versions.has('2') });
    const r = await deploy;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    console.log(`      showcase: deploy of version 2: ${r.seconds.toFixed(2)} s, ${loop.count} requests in ${loop.seconds.toFixed(1)} s, versions seen ${JSON.stringify([...loop.versions])}`);
    assert.deepEqual(loop.failures, []);
    assert.ok(loop.count >= 500 && !loop.cutShort, `${loop.count} requests, cut short: ${loop.cutShort}`);
    assert.deepEqual([...loop.versions.keys()], ['1', '2'], 'the loop should see version 1, then version 2');
    assert.match(body(await get(web.ip, DOMAIN)), /version: 2</);
    assert.equal((await web.exec(['readlink', '/srv/foobar/current'])).stdout.trim(), '/srv/foobar/releases/2');
    assert.deepEqual(changed(r).filter((t) => !APP_TASKS.test(t)), []);
    assert.ok(changed(r).includes('app : reload foobar'), changed(r).join('\n'));
    // A reload, not a restart: the same gunicorn master, new workers; nginx and MariaDB untouched.
    assert.deepEqual(await pids(), before);
    assert.notEqual((await web.exec(['pgrep', '-P', before['gunicorn'] ?? '0'])).stdout, workers);
  });

  it('applies an application-only configuration change the same way: nothing else restarts, no request dropped', async () => {
    const before = await pids();
    const deploy = play(k, '-e', 'app_version=2', '-e', GREETING);
    const loop = await requestLoop({ ip: web.ip, host: DOMAIN, until: deploy, min: 500, maxCount: 20_000, maxMs: 240_000, workers: 2, pick: /<h1>(.*?)<\/h1>/, done: (l) => l.picked.length === 2 });
    const r = await deploy;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(loop.failures, []);
    assert.ok(loop.count >= 500 && !loop.cutShort, `${loop.count} requests, cut short: ${loop.cutShort}`);
    assert.deepEqual(loop.picked, ['Hello from foobar', 'Hello again from foobar']);
    assert.deepEqual(changed(r).sort(), ['app : application configuration', 'app : reload foobar']);
    assert.deepEqual(await pids(), before);
    assert.match(body(await get(web.ip, DOMAIN)), /<h1>Hello again from foobar<\/h1>[\s\S]*version: 2</);
  });

  it('keeps the last app_releases_kept releases, and the current one', async () => {
    for (const v of ['3', '4']) {
      const r = await play(k, '-e', `app_version=${v}`, '-e', GREETING);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    }
    const ls = await web.exec(['ls', '/srv/foobar/releases']);
    assert.deepEqual(ls.stdout.trim().split('\n').sort(), ['2', '3', '4']);
    // Back to 2: it is the oldest, but current, so it stays; nothing else is removed.
    const r = await play(k, '-e', 'app_version=2', '-e', GREETING);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual((await web.exec(['ls', '/srv/foobar/releases'])).stdout.trim().split('\n').sort(), ['2', '3', '4']);
    assert.match(body(await get(web.ip, DOMAIN)), /version: 2</);
  });

  it('shows the database password in no output, diff, JSON event or command line', async () => {
    for (const args of [['--check', '--diff', '-vvv'], ['--diff', '-v']]) {
      const r = await k.playText(SITE, '-e', 'app_version=2', '-e', GREETING, ...args);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      // On the converged host, check mode and the real run agree: nothing to change.
      assert.equal(recap(r.stdout)[web.name]?.changed, 0, r.stdout);
      printed.push(r.stdout, r.stderr);
    }
    await web.exec(['touch', '/run/stop-sampler']);
    await sampler;
    const password = (await web.exec(['cat', '/etc/foobar/db_password'])).stdout;
    assert.match(password, /^[A-Za-z0-9]{32}$/);
    const argv = (await web.exec(['cat', '/root/argv.log'])).stdout;
    // The sampler saw the converge's commands (so it could have seen the password).
    assert.match(argv, /apt-get/);
    assert.match(argv, /gunicorn/);
    assert.ok(!argv.includes(password), 'the password was on a command line');
    assert.ok(printed.length >= 20 && printed.some((t) => t.includes('mysql_user') || t.includes("application's user")));
    printed.forEach((text, i) => assert.ok(!text.includes(password), `kiln output #${i} shows the password:\n${text}`));
    const journal = await web.exec(['sh', '-c', 'journalctl --no-pager -o cat; cat /etc/foobar/app.ini /var/log/nginx/*.log']);
    assert.ok(journal.stdout.length > 1000 && !journal.stdout.includes(password), 'a log or app.ini shows the password');
  });
});
