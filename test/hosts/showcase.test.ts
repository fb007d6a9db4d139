// The showcase playbook (playbooks/site.yml) on a fresh Debian 12 test host: a truthful dry run,
// then the real run (nginx proxying www.foobar.com, MariaDB on loopback), then a no-op re-run.
import { strict as assert } from 'node:assert';
import { request } from 'node:http';
import { startHost, type TestHost } from '../support/testhost/host.js';
import { type KilnOnHosts, kilnOnHosts } from './kiln_run.js';

const SITE = '../../../playbooks/site.yml';

function get(ip: string, host: string): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request({ host: ip, port: 80, path: '/', headers: { Host: host }, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end();
  });
}

describe('showcase: playbooks/site.yml on a fresh Debian 12 host', function () {
  this.timeout(900_000);
  let host: TestHost;
  let k: KilnOnHosts;

  before(async () => {
    host = await startHost({ name: 'showcase', flavour: 'systemd' });
    k = await kilnOnHosts([host]);
  });
  after(async () => {
    await k?.remove();
    await host?.stop();
  });

  it('--check reports the whole stack and installs nothing', async () => {
    const r = await k.play(SITE, '--check');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const counts = r.recap[host.name];
    assert.ok(counts && counts.changed >= 10 && counts.failed === 0, JSON.stringify(counts));
    assert.match(r.result(host.name, 'nginx : nginx runs and starts at boot').changes[0]?.pending ?? '', /nginx is planned for install by task 'nginx : install nginx'/);
    const dpkg = await host.exec(['sh', '-c', 'dpkg-query -W -f="${Status}" nginx mariadb-server 2>/dev/null || true']);
    assert.doesNotMatch(dpkg.stdout, /install ok installed/);
    assert.equal((await host.exec(['test', '-e', '/srv/foobar'])).code, 1, 'check mode created the app folder');
  });

  it('converges: nginx serves www.foobar.com as a proxy, MariaDB listens on loopback only', async () => {
    const r = await k.play(SITE);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // The application server is not started by the playbook yet: nginx answers for it with 502.
    // A reload is graceful (old workers finish first), so ask for a few seconds.
    let res = await get(host.ip, 'www.foobar.com');
    for (let i = 0; i < 25 && !('status' in res && res.status === 502); i++) {
      await new Promise((done) => setTimeout(done, 200));
      res = await get(host.ip, 'www.foobar.com');
    }
    assert.ok('status' in res, JSON.stringify(res));
    assert.equal(res.status, 502);
    assert.match(res.body, /nginx/);
    const site = await host.exec(['cat', '/etc/nginx/sites-enabled/www.foobar.com']);
    assert.match(site.stdout, /proxy_pass http:\/\/127\.0\.0\.1:8000;/);
    const listening = await host.exec(['ss', '-ltnH']);
    assert.match(listening.stdout, /127\.0\.0\.1:3306/);
    assert.doesNotMatch(listening.stdout, /0\.0\.0\.0:3306|\*:3306/);
  });

  it('a second run changes nothing', async () => {
    const r = await k.play(SITE);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.recap[host.name]?.changed, 0, r.stdout);
  });
});
