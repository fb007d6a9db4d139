// Issue 18's modules (user, group, lineinfile, blockinfile, systemd, stat) through the real CLI on a
// fresh Debian 12 host (systemd): a truthful --check that changes nothing, a real run, a re-run and
// a --check with changed=0; then ansible-playbook runs the same playbook on a second fresh host and
// both hosts end in the same state.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, type KilnOnHosts, kilnOnHosts, type PlayRun } from './kiln_run.js';
import type { Connection } from '../../src/engine/connection/types.js';
import { sshConnection } from '../../src/engine/connection/ssh.js';
import { Secret } from '../../src/engine/secret.js';
import group from '../../src/modules/group.js';
import systemd from '../../src/modules/systemd.js';
import user from '../../src/modules/user.js';
import { assertAppliesItsPlan } from '../support/contract.js';
import { startHost, type TestHost } from '../support/testhost/host.js';
import { fakeCtx } from '../modules/helpers.js';

const hasAnsible = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).status === 0;

async function sh(h: TestHost, script: string): Promise<string> {
  const r = await h.exec(['sh', '-c', script], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, `${h.name}: ${script}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** What the playbook manages, as the host itself reports it (its name and address taken out of /etc/hosts). */
async function endState(h: TestHost): Promise<Record<string, string>> {
  const q = async (script: string): Promise<string> => (await h.exec(['sh', '-c', script])).stdout.split(h.name).join('HOST').split(h.ip).join('IP');
  return {
    passwd: await q('getent passwd app games'),
    shadow: await q('getent shadow app | cut -d: -f1,2'),
    groups: await q('getent group app deploy adm | cut -d: -f1,4; id app'),
    deployIsSystem: await q('[ "$(getent group deploy | cut -d: -f3)" -lt 1000 ] && echo system'),
    home: await q('stat -c "%U %G %a" /srv/app; ls -A /srv/app | sort'),
    sshKey: await q('stat -c "%U %G %a" /srv/app/.ssh/id_rsa /srv/app/.ssh/id_rsa.pub /srv/app/.ssh | tr "\\n" " " | sed "s/ $//"; echo; cut -d" " -f1,3- /srv/app/.ssh/id_rsa.pub'),
    env: await q('stat -c "%U %G %a" /srv/app/env; cat /srv/app/env'),
    sshd: await q('grep -n MaxAuthTries /etc/ssh/sshd_config'),
    hosts: await q('cat /etc/hosts'),
    unit: await q('systemctl is-active kiln-app; systemctl is-enabled kiln-app; systemctl show -p User -p MainPID kiln-app | sed "s/MainPID=[1-9][0-9]*/MainPID=running/"'),
    timer: await q('systemctl is-enabled apt-daily.timer; readlink /etc/systemd/system/apt-daily.timer'),
  };
}

describe('hosts: user, group, lineinfile, blockinfile, systemd and stat on fresh Debian 12, through the CLI', function () {
  this.timeout(20 * 60_000);
  let host: TestHost | undefined;
  let k: KilnOnHosts | undefined;
  const timings: string[] = [];

  const h = (): TestHost => {
    assert.ok(host, 'the host did not start');
    return host;
  };
  const play = async (label: string, ...args: string[]): Promise<PlayRun> => {
    assert.ok(k);
    const r = await k.play('modules.yml', ...args);
    timings.push(`${label}: ${r.seconds.toFixed(1)} s`);
    assert.equal(r.code, 0, `kiln play modules.yml ${args.join(' ')} exited ${r.code}:\n${r.stdout}${r.stderr}`);
    return r;
  };

  before(async () => {
    host = await startHost({ name: 'mods', flavour: 'systemd' });
    k = await kilnOnHosts([host]);
  });
  after(async () => {
    await k?.remove();
    await host?.stop();
    console.log(`      timings:\n${timings.map((t) => `        ${t}`).join('\n')}`);
  });

  it('--check on the fresh host: every change reported, dependent ones pending; nothing changes', async () => {
    const before = await endState(h());
    assert.equal(before.passwd?.includes('app:'), false, 'the host is not fresh');
    const r = await play('--check (fresh)', '--check');
    const name = h().name;
    assert.deepEqual(r.recap[name], { ok: 12, changed: 11, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 }, r.stdout);
    const user = r.result(name, 'app user');
    assert.deepEqual(
      user.changes.map((c) => [c.summary, c.pending]),
      [
        ['create user app (uid 1500)', "group app is planned by task 'app group'; group deploy is planned by task 'deploy group'"],
        ['set the password of app', "group app is planned by task 'app group'; group deploy is planned by task 'deploy group'"],
        ['generate an SSH key /srv/app/.ssh/id_rsa (rsa) for app', "group app is planned by task 'app group'; group deploy is planned by task 'deploy group'"],
      ],
    );
    assert.deepEqual(r.result(name, 'app environment').changes[0], { summary: 'create /srv/app/env and add line "PORT=8000"', pending: "directory /srv/app is planned by task 'app user'" });
    assert.deepEqual(r.result(name, 'no debug line').changes, [{ summary: 'edit /srv/app/env', pending: "file /srv/app/env is planned by task 'app environment'" }], 'its content is not known yet');
    assert.deepEqual(
      r.result(name, 'app runs').changes.map((c) => c.summary),
      ["reload systemd's unit files (daemon-reload): kiln-app.service changes on disk", 'start kiln-app.service: it is not loaded yet', 'enable kiln-app.service: it is not known yet'],
    );
    assert.ok(r.result(name, 'app runs').changes.every((c) => c.pending === "/etc/systemd/system/kiln-app.service is planned by task 'app unit file'"));
    assert.deepEqual(r.result(name, 'apt timer masked').changes.map((c) => c.summary), ['mask apt-daily.timer']);
    assert.deepEqual(r.result(name, 'stat the environment').data?.['stat'], { exists: true, path: '/srv/app/env', isreg: true, isdir: false, islnk: false });
    assert.deepEqual(await endState(h()), before, '--check changed the host');
  });

  it('converges for real', async () => {
    const r = await play('real run');
    const name = h().name;
    assert.equal(r.recap[name]?.failed, 0, r.stdout);
    assert.equal(r.recap[name]?.changed, 10, r.stdout);
    const s = await endState(h());
    assert.match(s['passwd'] ?? '', /^app:x:1500:1500:App user:\/srv\/app:\/bin\/bash$/m);
    assert.doesNotMatch(s['passwd'] ?? '', /^games:/m);
    assert.equal(s['shadow'], 'app:$6$kilnsalt$07XHnFv1irChK6OVLOKXvBS1wgKGdfseYbvh4SoJAVJ7RGW96wA4B.gXPNMMBDT1APcZM3ztG5iYSqdBf/APW1\n');
    assert.match(s['groups'] ?? '', /groups=1500\(app\),4\(adm\),\d+\(deploy\)/);
    assert.equal(s['deployIsSystem'], 'system\n');
    assert.equal(s['sshKey'], 'app app 600 app app 644 app app 700\nssh-rsa ansible-generated on HOST\n');
    const userData = r.result(name, 'app user').data ?? {};
    assert.equal(userData['ssh_key_file'], '/srv/app/.ssh/id_rsa');
    assert.match(String(userData['ssh_public_key']), /^ssh-rsa AAAA\S+ ansible-generated on mods$/);
    assert.match(s['home'] ?? '', /^app app 7\d\d\n/, 'the home is made and owned by app');
    assert.equal(s['env'], 'app app 640\nPORT=8000\n');
    assert.match(s['sshd'] ?? '', /^\d+:MaxAuthTries 4$/m);
    assert.match(s['hosts'] ?? '', /# BEGIN ANSIBLE MANAGED BLOCK\n10\.0\.0\.1 db\.internal\n10\.0\.0\.2 cache\.internal\n# END ANSIBLE MANAGED BLOCK\n$/);
    assert.match(s['unit'] ?? '', /^active\nenabled\nMainPID=running\nUser=app\n$/);
    assert.equal(s['timer'], 'masked\n/dev/null\n');
    const st = r.result(name, 'stat the environment').data?.['stat'] as Record<string, unknown>;
    assert.deepEqual([st['exists'], st['isreg'], st['mode'], st['pw_name'], st['gr_name'], st['size']], [true, true, '0640', 'app', 'app', 10]);
    assert.equal(st['checksum'], (await sh(h(), 'sha1sum /srv/app/env')).split(' ')[0]);
  });

  it('a re-run and a --check of the converged host change nothing, each ok saying why', async () => {
    const name = h().name;
    const again = await play('re-run');
    assert.equal(again.recap[name]?.changed, 0, again.stdout);
    assert.equal(again.result(name, 'app user').msg, 'user app exists with uid 1500, home /srv/app, shell /bin/bash, groups deploy,adm, an SSH key /srv/app/.ssh/id_rsa and this password');
    assert.equal(again.result(name, 'app runs').msg, 'systemd has loaded kiln-app.service as it is on disk, so no daemon-reload is needed; kiln-app.service is active (running); kiln-app.service is enabled');
    assert.equal(again.result(name, 'sshd allows four tries').msg, '/etc/ssh/sshd_config already has the line "MaxAuthTries 4" where regexp matches');
    const check = await play('--check (converged)', '--check');
    assert.equal(check.recap[name]?.changed, 0, check.stdout);
  });

  it('ansible-playbook gives a second fresh host the same end state', async function () {
    if (!hasAnsible) {
      if (process.env['CI']) throw new Error("ansible-playbook is missing; .ci/run installs Debian's ansible-core");
      this.skip();
    }
    const kilnState = await endState(h());
    const other = await startHost({ name: 'mods-ansible', flavour: 'systemd' });
    try {
      // Ansible runs its modules in Python on the target, over SSH with the host's key checked.
      const t0 = Date.now();
      await sh(other, 'apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3 >/dev/null');
      timings.push(`python3 on the ansible host: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      assert.ok(k);
      const known = join(k.dir, 'ansible_known_hosts');
      writeFileSync(known, `${other.knownHostsLine}\n`);
      const inventory = join(k.dir, 'ansible.ini');
      writeFileSync(inventory, `${other.name} ansible_host=${other.ip} ansible_user=root ansible_ssh_private_key_file=${other.keyFile} ansible_python_interpreter=/usr/bin/python3 ansible_ssh_common_args='-o UserKnownHostsFile=${known} -o StrictHostKeyChecking=yes'\n`);
      const t1 = Date.now();
      const a = spawnSync('ansible-playbook', ['-i', inventory, join(FIXTURES, 'modules.yml')], {
        encoding: 'utf8',
        env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_HOME: join(k.dir, '.ansible'), ANSIBLE_LOCAL_TEMP: join(k.dir, '.ansible-tmp') },
        timeout: 600_000,
      });
      timings.push(`ansible-playbook: ${((Date.now() - t1) / 1000).toFixed(1)} s`);
      assert.equal(a.status, 0, a.stdout + a.stderr);
      assert.match(a.stdout, new RegExp(`${other.name}\\s+: ok=12\\s+changed=10\\s+unreachable=0\\s+failed=0`), a.stdout);
      const ansibleState = await endState(other);
      // The deploy group's gid is the next free system gid on each host: the same, as both are fresh.
      assert.deepEqual(kilnState, ansibleState);
    } finally {
      await other.stop();
    }
  });

  it('user, group and systemd apply exactly the steps of their plans (the module contract), over kiln\'s SSH connection', async () => {
    assert.ok(k);
    const known = join(k.dir, 'contract_known_hosts');
    writeFileSync(known, `${h().knownHostsLine}\n`);
    const conn: Connection = await sshConnection(
      { name: h().name, connection: 'ssh', host: h().ip, port: h().sshPort, user: h().user, privateKeyFile: h().keyFile, becomeMethod: 'sudo', hostKeyChecking: true, timeoutSec: 10, controlPersistSec: 0 },
      { homeDir: k.dir, sshConfigFile: false, agent: false, globalKnownHostsFiles: [], knownHostsFile: known, hostKeyPolicy: 'strict' },
    );
    try {
      const reset = (script: string) => async (): Promise<void> => void (await h().exec(['sh', '-c', script]));
      const hash = '$6$kilnsalt$07XHnFv1irChK6OVLOKXvBS1wgKGdfseYbvh4SoJAVJ7RGW96wA4B.gXPNMMBDT1APcZM3ztG5iYSqdBf/APW1';
      await assertAppliesItsPlan(user, fakeCtx(conn), { name: 'kc', groups: ['adm'], shell: '/bin/bash', password: new Secret(hash) }, reset('userdel -r kc 2>/dev/null; true'));
      await assertAppliesItsPlan(group, fakeCtx(conn), { name: 'kcg', gid: 1600 }, reset('groupdel kcg 2>/dev/null; true'));
      await assertAppliesItsPlan(systemd, fakeCtx(conn), { name: 'kiln-app', state: 'stopped', enabled: false }, reset('systemctl enable --now kiln-app'));
      await assert.rejects(systemd.read(fakeCtx(conn), { name: 'kiln-app', masked: true }).then((s) => systemd.plan(s, { name: 'kiln-app', masked: true })), /kiln-app.service cannot be masked: its unit file is \/etc\/systemd\/system\/kiln-app.service/);
    } finally {
      await conn.close();
    }
  });
});
