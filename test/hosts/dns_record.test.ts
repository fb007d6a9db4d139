// Issue 14's acceptance, through the real CLI, against a real BIND 9 on a fresh Debian 12 test host
// (systemd). foobar.com is served from a zone file (zonefile backend); dyn.foobar.com takes dynamic
// updates signed with a TSIG key (nsupdate backend). Answers are checked with dig @host inside the
// host. named is authoritative only (recursion no, no root hints): no packet goes anywhere else, and
// 8.8.8.8 is only data in the zone. The tests run in order on the same host.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { sshConnection } from '../../src/engine/connection/ssh.js';
import type { Connection } from '../../src/engine/connection/types.js';
import type { ConnectionSettings } from '../../src/engine/inventory/connection_vars.js';
import { Secret } from '../../src/engine/secret.js';
import dnsRecord, { type DnsRecordArgs } from '../../src/modules/dns_record.js';
import { assertAppliesItsPlan } from '../support/contract.js';
import { fakeCtx } from '../modules/helpers.js';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startHost, type TestHost } from '../support/testhost/host.js';
import { ask, checksum, DYN_FILE, FOOBAR_FILE, FOOBAR_ZONE, KEY_NAME, newSecret, serial, setupBind } from './bind.js';
import { type KilnOnHosts, kilnOnHosts, type PlayRun } from './kiln_run.js';

/** Every argv and environment on this machine right now, as text. */
function controllerProcesses(): string {
  let out = '';
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    for (const f of ['cmdline', 'environ']) {
      try {
        out += `${readFileSync(`/proc/${pid}/${f}`).toString('latin1').replace(/\0/g, ' ')}\n`;
      } catch {
        // gone meanwhile
      }
    }
  }
  return out;
}

// Samples every process's argv and environment inside the host (one cat per round, so that short
// lives like dig's are caught) until /tmp/kiln-ps-stop exists, then leaves the distinct lines in /tmp/kiln-ps.
const HOST_SAMPLER = `rm -f /tmp/kiln-ps-stop /tmp/kiln-ps.raw; : > /tmp/kiln-ps-started
while [ ! -e /tmp/kiln-ps-stop ]; do
  cat /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | sort -u >> /tmp/kiln-ps.raw
done
sort -u /tmp/kiln-ps.raw > /tmp/kiln-ps; rm -f /tmp/kiln-ps.raw`;

describe('hosts: dns_record against a real BIND 9 on fresh Debian 12, through the CLI', function () {
  this.timeout(20 * 60_000);

  let h: TestHost | undefined;
  let k: KilnOnHosts | undefined;
  const secret = newSecret();
  let secretVars = '';
  let badVars = '';

  const host = (): TestHost => {
    assert.ok(h, 'the host did not start');
    return h;
  };
  const play = async (fixture: string, ...args: string[]): Promise<PlayRun> => {
    assert.ok(k, 'no inventory');
    return k.play(fixture, ...args);
  };
  /** The one result of `task`, after checking kiln exited as `code` says. */
  const result = (r: PlayRun, task: string, code = 0) => {
    assert.equal(r.code, code, `kiln exited ${r.code}:\n${r.stdout}${r.stderr}`);
    return r.result(host().name, task);
  };
  const zf = (record: string, value: string | string[], ...more: string[]) => play('dns_zonefile.yml', '-e', JSON.stringify({ record, value }), ...more);
  const nsu = (record: string, value: string | string[], ...more: string[]) => play('dns_nsupdate.yml', '-e', `@${secretVars}`, '-e', JSON.stringify({ record, value }), ...more);

  before(async function () {
    h = await startHost({ name: 'dns', flavour: 'systemd' });
    await setupBind(h, secret);
    k = await kilnOnHosts([h]);
    // The secret reaches kiln in a vars file, never on its command line.
    secretVars = join(k.dir, 'tsig.yml');
    await writeFile(secretVars, `dns_server: ${h.ip}\nkey_name: ${KEY_NAME}\nkey_secret: "${secret}"\n`);
    await chmod(secretVars, 0o600);
    badVars = join(k.dir, 'tsig-wrong-name.yml');
    await writeFile(badVars, `dns_server: ${h.ip}\nkey_name: no-such-key\nkey_secret: "${secret}"\n`);
  });

  after(async function () {
    await h?.stop();
    await k?.remove();
  });

  describe('zonefile backend (foobar.com)', () => {
    it('www A 8.8.8.8: changed, served, serial 1 -> 2, and every other byte of the file kept', async () => {
      assert.deepEqual(await ask(host(), 'www.foobar.com', 'A'), { status: 'NXDOMAIN', answers: [] });
      const r = result(await zf('www', '8.8.8.8'), 'record set');
      assert.equal(r.status, 'changed', r.msg);
      assert.equal(r.msg, `www.foobar.com. A: add 8.8.8.8 in ${FOOBAR_FILE}; SOA serial 1 -> 2; rndc reload foobar.com`);
      assert.deepEqual((await ask(host(), 'www.foobar.com', 'A')).answers, ['8.8.8.8']);
      assert.equal(await serial(host(), 'foobar.com'), 2);
      const file = (await host().exec(['cat', FOOBAR_FILE])).stdout;
      assert.equal(file, `${FOOBAR_ZONE.replace('\t\t1\t; serial', '\t\t2\t; serial')}www\tIN\tA\t8.8.8.8\n`);
      const mode = (await host().exec(['stat', '-c', '%a %U:%G', FOOBAR_FILE])).stdout.trim();
      assert.equal(mode, '644 root:bind', 'owner and mode kept');
    });

    it('a re-run is ok and leaves the serial and the file alone', async () => {
      const sum = await checksum(host(), FOOBAR_FILE);
      const r = result(await zf('www', '8.8.8.8'), 'record set');
      assert.equal(r.status, 'ok');
      assert.equal(r.msg, `www.foobar.com. A in ${FOOBAR_FILE} already is 8.8.8.8 (TTL 3600)`);
      assert.equal(await serial(host(), 'foobar.com'), 2);
      assert.equal(await checksum(host(), FOOBAR_FILE), sum);
    });

    it('a new value: changed, the serial up by exactly one, the new answer served', async () => {
      const r = result(await zf('www', '8.8.4.4'), 'record set');
      assert.equal(r.status, 'changed');
      assert.equal(await serial(host(), 'foobar.com'), 3);
      assert.deepEqual((await ask(host(), 'www.foobar.com', 'A')).answers, ['8.8.4.4']);
    });

    it('record set semantics: [a, b] then [b] leaves exactly b', async () => {
      assert.equal(result(await zf('www', ['1.1.1.1', '8.8.4.4']), 'record set').status, 'changed');
      assert.deepEqual((await ask(host(), 'www.foobar.com', 'A')).answers, ['1.1.1.1', '8.8.4.4']);
      assert.equal(result(await zf('www', ['8.8.4.4']), 'record set').status, 'changed');
      assert.deepEqual((await ask(host(), 'www.foobar.com', 'A')).answers, ['8.8.4.4']);
      assert.equal(await serial(host(), 'foobar.com'), 5);
    });

    it('--check --diff shows the record set before and after and changes nothing', async () => {
      const sum = await checksum(host(), FOOBAR_FILE);
      const json = result(await zf('www', '9.9.9.9', '--check', '--diff'), 'record set');
      assert.equal(json.status, 'changed');
      assert.equal(json.changes[0]?.summary, `www.foobar.com. A: add 9.9.9.9, remove 8.8.4.4 in ${FOOBAR_FILE}; SOA serial 5 -> 6`);
      assert.ok(k);
      const text = await k.playText('dns_zonefile.yml', '-e', JSON.stringify({ record: 'www', value: '9.9.9.9' }), '--check', '--diff');
      assert.equal(text.code, 0, text.stdout + text.stderr);
      assert.match(text.stdout, new RegExp(`--- before: www\\.foobar\\.com\\. A \\(${FOOBAR_FILE}\\)\\n\\+\\+\\+ after: www\\.foobar\\.com\\. A \\(${FOOBAR_FILE}\\)\\n@@ -1 \\+1 @@\\n-www\\.foobar\\.com\\. 3600 IN A 8\\.8\\.4\\.4\\n\\+www\\.foobar\\.com\\. 3600 IN A 9\\.9\\.9\\.9\\n`));
      assert.equal(await checksum(host(), FOOBAR_FILE), sum);
      assert.equal(await serial(host(), 'foobar.com'), 5);
      assert.deepEqual((await ask(host(), 'www.foobar.com', 'A')).answers, ['8.8.4.4']);
    });

    it('several tasks and a loop on the zone in one run bump the serial once; a handler reloads', async () => {
      const r = await play('dns_zonefile_loop.yml');
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(r.recap[host().name]?.changed, 3, r.stdout);
      assert.equal(await serial(host(), 'foobar.com'), 6);
      for (const [n, ip] of [['h1', '10.0.1.1'], ['h2', '10.0.1.2'], ['h3', '10.0.1.3']]) assert.deepEqual((await ask(host(), `${n}.foobar.com`, 'A')).answers, [ip], n);
      assert.deepEqual((await ask(host(), 'foobar.com', 'MX')).answers, ['10 mail.foobar.com.', '20 mx2.example.net.']);
      const again = await play('dns_zonefile_loop.yml');
      assert.equal(again.recap[host().name]?.changed, 0, again.stdout);
      assert.equal(await serial(host(), 'foobar.com'), 6);
    });

    it('a zone file broken by hand elsewhere: the task fails with named-checkzone\'s message, nothing is installed, the old answers stay', async () => {
      const good = (await host().exec(['cat', FOOBAR_FILE])).stdout;
      await host().exec(['sh', '-c', `printf 'broken\\tIN\\tCNAME\\twww\\nbroken\\tIN\\tA\\t10.0.0.99\\n' >> ${FOOBAR_FILE}`]);
      const broken = await checksum(host(), FOOBAR_FILE);
      const r = result(await zf('www', '9.9.9.9'), 'record set', 2);
      assert.equal(r.status, 'failed');
      assert.match(r.msg, new RegExp(`^named-checkzone foobar\\.com rejects ${FOOBAR_FILE} with this change, so the file was not changed`));
      assert.match(r.msg, new RegExp(`${FOOBAR_FILE}:\\d+: broken\\.foobar\\.com: CNAME and other data`));
      assert.equal(await checksum(host(), FOOBAR_FILE), broken);
      assert.equal((await host().exec(['sh', '-c', `ls -a ${FOOBAR_FILE.replace(/[^/]+$/, '')} | grep -c '^\\.kiln\\.' || true`])).stdout.trim(), '0', 'no temp file left');
      assert.deepEqual((await ask(host(), 'www.foobar.com', 'A')).answers, ['8.8.4.4']);
      assert.equal(await serial(host(), 'foobar.com'), 6);
      assert.equal((await ask(host(), 'broken.foobar.com', 'A')).status, 'NXDOMAIN');
      await host().exec(['sh', '-c', `cat > ${FOOBAR_FILE}`], { input: good });
    });

    it('state: absent: NXDOMAIN where nothing else is at the name, NODATA where other types remain', async () => {
      const r = result(await play('dns_zonefile_absent.yml', '-e', 'record=www'), 'no record set');
      assert.equal(r.status, 'changed');
      assert.deepEqual(await ask(host(), 'www.foobar.com', 'A'), { status: 'NXDOMAIN', answers: [] });
      assert.equal(result(await play('dns_zonefile_absent.yml', '-e', 'record=app'), 'no record set').status, 'changed');
      assert.deepEqual(await ask(host(), 'app.foobar.com', 'A'), { status: 'NOERROR', answers: [] });
      assert.deepEqual((await ask(host(), 'app.foobar.com', 'TXT')).answers, ['"app server; do not remove"']);
      assert.equal(await serial(host(), 'foobar.com'), 8);
      assert.equal(result(await play('dns_zonefile_absent.yml', '-e', 'record=www'), 'no record set').status, 'ok');
      assert.equal(await serial(host(), 'foobar.com'), 8);
    });
  });

  describe('nsupdate backend (dyn.foobar.com, TSIG), written as community.general.nsupdate', () => {
    it('www A 8.8.8.8: changed and served; the server steps the serial once', async () => {
      const before = await serial(host(), 'dyn.foobar.com');
      const r = result(await nsu('www', '8.8.8.8'), 'record set');
      assert.equal(r.status, 'changed', r.msg);
      assert.deepEqual((await ask(host(), 'www.dyn.foobar.com', 'A')).answers, ['8.8.8.8']);
      assert.equal(await serial(host(), 'dyn.foobar.com'), before + 1);
    });

    it('a re-run is ok and the serial stays', async () => {
      const before = await serial(host(), 'dyn.foobar.com');
      const r = result(await nsu('www', '8.8.8.8'), 'record set');
      assert.equal(r.status, 'ok');
      assert.equal(r.msg, `www.dyn.foobar.com. A on DNS server ${host().ip} port 53 already is 8.8.8.8 (TTL 3600)`);
      assert.equal(await serial(host(), 'dyn.foobar.com'), before);
    });

    it('a new value: changed, serial up by one, new answer; [a, b] then [b] leaves exactly b', async () => {
      const s0 = await serial(host(), 'dyn.foobar.com');
      assert.equal(result(await nsu('www', '8.8.4.4'), 'record set').status, 'changed');
      assert.equal(await serial(host(), 'dyn.foobar.com'), s0 + 1);
      assert.deepEqual((await ask(host(), 'www.dyn.foobar.com', 'A')).answers, ['8.8.4.4']);
      assert.equal(result(await nsu('www', ['1.1.1.1', '8.8.4.4']), 'record set').status, 'changed');
      assert.deepEqual((await ask(host(), 'www.dyn.foobar.com', 'A')).answers, ['1.1.1.1', '8.8.4.4']);
      assert.equal(result(await nsu('www', ['8.8.4.4']), 'record set').status, 'changed');
      assert.deepEqual((await ask(host(), 'www.dyn.foobar.com', 'A')).answers, ['8.8.4.4']);
      assert.equal(await serial(host(), 'dyn.foobar.com'), s0 + 3);
    });

    it('--check --diff shows the set before and after and changes nothing', async () => {
      const s0 = await serial(host(), 'dyn.foobar.com');
      const jnl = await host().exec(['sh', '-c', `sha256sum ${DYN_FILE}.jnl`]);
      const r = result(await nsu('www', '9.9.9.9', '--check', '--diff'), 'record set');
      assert.equal(r.status, 'changed');
      assert.equal(r.changes[0]?.summary, `www.dyn.foobar.com. A: add 9.9.9.9, remove 8.8.4.4 (dynamic update to ${host().ip} port 53)`);
      assert.ok(k);
      const text = await k.playText('dns_nsupdate.yml', '-e', `@${secretVars}`, '-e', JSON.stringify({ record: 'www', value: '9.9.9.9' }), '--check', '--diff');
      assert.match(text.stdout, /@@ -1 \+1 @@\n-www\.dyn\.foobar\.com\. 3600 IN A 8\.8\.4\.4\n\+www\.dyn\.foobar\.com\. 3600 IN A 9\.9\.9\.9\n/);
      assert.equal(await serial(host(), 'dyn.foobar.com'), s0);
      assert.deepEqual((await ask(host(), 'www.dyn.foobar.com', 'A')).answers, ['8.8.4.4']);
      assert.equal((await host().exec(['sh', '-c', `sha256sum ${DYN_FILE}.jnl`])).stdout, jnl.stdout);
    });

    it('state: absent: NODATA while a TXT remains at the name, NXDOMAIN once it is gone too', async () => {
      assert.equal(result(await play('dns_nsupdate.yml', '-e', `@${secretVars}`, '-e', JSON.stringify({ record: 'www', type: 'TXT', value: 'v=spf1 -all' })), 'record set').status, 'changed');
      const gone = (type: string) => play('dns_nsupdate_absent.yml', '-e', `@${secretVars}`, '-e', JSON.stringify({ record: 'www', type }));
      assert.equal(result(await gone('A'), 'no record set').status, 'changed');
      assert.deepEqual(await ask(host(), 'www.dyn.foobar.com', 'A'), { status: 'NOERROR', answers: [] });
      assert.deepEqual((await ask(host(), 'www.dyn.foobar.com', 'TXT')).answers, ['"v=spf1 -all"']);
      assert.equal(result(await gone('TXT'), 'no record set').status, 'changed');
      assert.deepEqual(await ask(host(), 'www.dyn.foobar.com', 'A'), { status: 'NXDOMAIN', answers: [] });
      assert.equal(result(await gone('A'), 'no record set').status, 'ok');
    });

    it('the TSIG secret is in no output, --json, -vvv, error, or argv and environment on either side', async () => {
      // Host side: sample every process while kiln runs; a marker process proves the sampler sees argv.
      const sampling = host().exec(['sh', '-c', HOST_SAMPLER], { timeoutMs: 5 * 60_000 });
      while ((await host().exec(['test', '-e', '/tmp/kiln-ps-started'])).code !== 0) await new Promise((d) => setTimeout(d, 50));
      await host().exec(['sh', '-c', 'sleep 1; true', 'kiln-marker-argv']);
      const seen: string[] = [];
      const timer = setInterval(() => seen.push(controllerProcesses()), 50);
      const runs = [
        await nsu('www', '8.8.8.8', '-vvv'),
        await play('dns_nsupdate.yml', '-e', `@${badVars}`, '-e', JSON.stringify({ record: 'www', value: '1.2.3.4' }), '-vvv'),
      ];
      assert.ok(k);
      const text = [
        await k.playText('dns_nsupdate.yml', '-e', `@${secretVars}`, '-e', JSON.stringify({ record: 'www', value: '8.8.4.4' }), '-vvv', '--diff'),
        await k.playText('dns_nsupdate.yml', '-e', `@${badVars}`, '-e', JSON.stringify({ record: 'www', value: '1.2.3.4' }), '-vvv', '--diff'),
      ];
      clearInterval(timer);
      await host().exec(['touch', '/tmp/kiln-ps-stop']);
      await sampling;
      const hostSeen = (await host().exec(['cat', '/tmp/kiln-ps'])).stdout;

      assert.equal(runs[0]!.result(host().name, 'record set').status, 'changed');
      const failed = runs[1]!.result(host().name, 'record set');
      assert.equal(failed.status, 'failed');
      assert.match(failed.msg, /NOTAUTH/);
      assert.equal(text[0]!.code, 0);
      assert.equal(text[1]!.code, 2);
      for (const [what, out] of [...runs.map((r, i) => [`--json run ${i}`, r.stdout + r.stderr] as const), ...text.map((r, i) => [`text run ${i}`, r.stdout + r.stderr] as const)]) {
        assert.ok(!out.includes(secret), `${what} shows the secret:\n${out}`);
      }
      // The samplers saw the processes they had to (kiln's own argv, a marker in the host)...
      assert.ok(seen.length > 5 && seen.some((s) => s.includes(secretVars)), 'the controller sampler never saw kiln run');
      assert.match(hostSeen, /^kiln-marker-argv$/m);
      assert.match(hostSeen, /^(dig|nsupdate)$/m, 'the host sampler never caught dig or nsupdate running');
      // ...and never the secret.
      assert.ok(!seen.some((s) => s.includes(secret)), 'the secret was in a controller process argv or environment');
      assert.ok(!hostSeen.includes(secret), 'the secret was in a host process argv or environment');
      // The key file's private folder is gone.
      assert.equal((await host().exec(['sh', '-c', 'grep -rl kiln-key /tmp 2>/dev/null | grep -v kiln-ps || true'])).stdout.trim(), '');
    });
  });
  describe('the module contract against the real server: apply runs exactly the steps check mode shows', () => {
    let conn: Connection | undefined;
    before(async () => {
      assert.ok(k);
      const knownHostsFile = join(k.dir, '.ssh/known_hosts');
      const settings: ConnectionSettings = { name: host().name, connection: 'ssh', host: host().ip, port: host().sshPort, user: host().user, privateKeyFile: host().keyFile, becomeMethod: 'sudo', hostKeyChecking: true, timeoutSec: 10, controlPersistSec: 0 };
      conn = await sshConnection(settings, { homeDir: k.dir, sshConfigFile: false, agent: false, globalKnownHostsFiles: [], knownHostsFile, hostKeyPolicy: 'strict' });
    });
    after(async () => conn?.close());

    it('zonefile: the write, then the reload (given only the write, the next plan is the reload)', async () => {
      assert.ok(conn);
      const original = (await host().exec(['cat', FOOBAR_FILE])).stdout;
      const reset = async (): Promise<void> => {
        const r = await host().exec(['sh', '-c', `cat > ${FOOBAR_FILE} && rndc reload foobar.com`], { input: original });
        assert.equal(r.code, 0, r.stderr);
      };
      const args: DnsRecordArgs = { zone: 'foobar.com', zone_file: FOOBAR_FILE, record: 'contract', value: ['10.0.0.77', '10.0.0.78'] };
      await assertAppliesItsPlan(dnsRecord, fakeCtx(conn), args, reset);
      assert.deepEqual((await ask(host(), 'contract.foobar.com', 'A')).answers, ['10.0.0.77', '10.0.0.78']);
    });

    it('nsupdate: the one update', async () => {
      assert.ok(conn);
      const reset = async (): Promise<void> => {
        const r = await host().exec(['nsupdate', '-k', '/etc/bind/kiln.key'], { input: `server ${host().ip}\nzone dyn.foobar.com\nupdate delete contract.dyn.foobar.com A\nsend\n` });
        assert.equal(r.code, 0, r.stdout + r.stderr);
      };
      const args: DnsRecordArgs = { server: host().ip, zone: 'dyn.foobar.com', record: 'contract', value: '10.0.0.77', key_name: KEY_NAME, key_secret: new Secret(secret) };
      await assertAppliesItsPlan(dnsRecord, fakeCtx(conn), args, reset);
      assert.deepEqual((await ask(host(), 'contract.dyn.foobar.com', 'A')).answers, ['10.0.0.77']);
    });
  });
});
