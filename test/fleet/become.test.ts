// [fleet] acceptance 6: become (sudo with a password) over SSH; the password never shows.
import { strict as assert } from 'node:assert';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../../src/engine/exit_codes.js';
import { type CliResult, recap } from '../support/cli.js';
import { runProgram, type SshdFixture, startSshd, TEST_USERS } from '../support/sshd.js';
import { type Home, kilnAt, knownLine, makeHome, resultLines, writePlay } from './fleet.js';

const WRONG = 'not-the-sudo-password-4Kp';

describe('fleet: become over SSH as a user whose sudo asks for a password', function () {
  this.timeout(60_000);
  let f: SshdFixture;
  let home: Home;
  let root: string;

  before(async () => {
    f = await startSshd();
    home = makeHome('become');
    writeFileSync(home.knownHosts, knownLine(f));
    // Only root may write here: the task succeeds through sudo or not at all.
    root = join(home.dir, 'root-only');
    mkdirSync(root, { mode: 0o755 });
    chmodSync(home.dir, 0o755);
  });
  after(async () => {
    await f?.stop();
    if (home) rmSync(home.dir, { recursive: true, force: true });
  });

  // One run, watched from outside; the cases below read what it left.
  const password = TEST_USERS.pw.password;
  let r: CliResult;
  let out: string;
  let polls = 0;
  let sawSudo = false;
  const leaks: string[] = [];

  before(async () => {
    const inventory = join(home.dir, 'hosts.yml');
    const login = { ansible_host: '127.0.0.1', ansible_port: f.port, ansible_user: TEST_USERS.pw.name, ansible_ssh_private_key_file: f.clientKey };
    // JSON is YAML: the password's quotes and spaces survive as they are.
    writeFileSync(
      inventory,
      JSON.stringify({
        all: {
          hosts: {
            right: { ...login, ansible_become_password: password },
            // An Ansible alias of the become password: it must be as secret as the kiln name.
            wrong: { ...login, ansible_sudo_pass: WRONG },
          },
        },
      }),
    );
    const playbook = writePlay(
      home.dir,
      'site.yml',
      'all',
      [
        `  - name: login user\n    command: id -un\n    register: login\n`,
        // A careless task that prints the secret: every output path must mask it.
        `  - name: careless\n    debug:\n      msg: "sudo password: {{ ansible_sudo_pass }}"\n    when: inventory_hostname == 'wrong'\n`,
        `  - name: a root-owned file\n    become: true\n    copy:\n      dest: "${root}/{{ inventory_hostname }}.conf"\n      content: "written by {{ login.stdout }} as root\\n"\n      mode: "0600"\n`,
        `  - name: hold the session open a moment\n    become: true\n    command: sleep 1\n`,
      ].join(''),
    );
    let running = true;
    const poller = (async () => {
      while (running) {
        const ps = await runProgram('ps', ['-eww', '-o', 'args']);
        polls++;
        for (const line of ps.stdout.split('\n')) {
          if (/^sudo -S /.test(line)) sawSudo = true;
          if (line.includes(password) || line.includes('9Zr') || line.includes(WRONG)) leaks.push(line);
        }
        await new Promise((res) => setTimeout(res, 50));
      }
    })();
    r = await kilnAt(home, ['play', playbook, '-i', inventory, '-v']).finally(() => (running = false));
    await poller;
    out = r.stdout + r.stderr;
  });

  it('writes a root-owned file through sudo with the inventory password', () => {
    assert.equal(r.code, EXIT.HOST_FAILED, out);
    assert.deepEqual(recap(r.stdout)['right'], { ok: 3, changed: 3, unreachable: 0, failed: 0, skipped: 1, rescued: 0, ignored: 0 }, out);
    const st = statSync(join(root, 'right.conf'));
    assert.equal(st.uid, 0, 'owned by root');
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal(readFileSync(join(root, 'right.conf'), 'utf8'), `written by ${TEST_USERS.pw.name} as root\n`);
  });

  it('never shows a password in any process argv while the run is in flight (ps every 50 ms)', () => {
    assert.deepEqual(leaks, [], 'a password showed in a process argv');
    assert.ok(sawSudo, `ps never saw the sudo session (${polls} polls): the poll proves nothing`);
  });

  it('a wrong password fails that host only, with a message that names the problem and not the password', () => {
    const counts = recap(r.stdout);
    assert.equal(counts['wrong']?.failed, 1, out);
    assert.equal(counts['wrong']?.ok, 2, out);
    const fatal = resultLines(r.stdout).find((l) => l.host === 'wrong' && l.status === 'fatal')?.line ?? '';
    assert.match(fatal, /incorrect become password/, out);
    assert.ok(!fatal.includes(WRONG), fatal);
    assert.ok(!existsSync(join(root, 'wrong.conf')));
  });

  it('masks the password wherever output shows it, whichever alias named it', () => {
    assert.match(r.stdout, /sudo password: \*{8}/, 'the careless task shows the mask');
    assert.ok(!out.includes(WRONG), 'the wrong password was printed');
    assert.ok(!out.includes(password) && !out.includes('9Zr'), 'the password was printed');
  });
});
