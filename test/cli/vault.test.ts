// kiln and Ansible Vault through the real CLI: vaulted group_vars, inline !vault values with two
// vault ids, a vaulted inventory; no or a wrong password stops before any host is touched; the
// decrypted values appear in no output; kiln vault and ansible-vault read each other's files.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kiln } from '../support/cli.js';
import { removeDir, tempDir } from '../modules/helpers.js';

const SECRET = `it's; $ecret\\x`;
const KEY = 'api-key-7f3a9c';
/** Every process's argv and environment on this machine (the play's host), read until stopped. */
function sampleProcesses(): { stop: () => Promise<{ samples: number; seen: string[] }> } {
  const seen = new Set<string>();
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
        for (const f of ['cmdline', 'environ']) {
          try {
            seen.add(readFileSync(`/proc/${pid}/${f}`, 'latin1').split('\0').join(' '));
          } catch {
            // gone meanwhile, or not ours to read
          }
        }
      }
      samples++;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { samples, seen: [...seen] };
    },
  };
}

const vault = (args: string[]): string => execFileSync('ansible-vault', args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });

describe('kiln with Ansible Vault', function () {
  this.timeout(120_000);
  let dir = '';
  let pw = '';
  let pw2 = '';
  const out = (): string => join(dir, 'out.txt');
  before(() => {
    dir = tempDir('vault-cli');
    pw = join(dir, 'pw');
    pw2 = join(dir, 'pw2');
    writeFileSync(pw, 'first password\n', { mode: 0o600 });
    writeFileSync(pw2, 'second password\n', { mode: 0o600 });
    mkdirSync(join(dir, 'group_vars'));
    writeFileSync(join(dir, 'group_vars', 'all.yml'), `db_password: ${JSON.stringify(SECRET)}\n`);
    vault(['encrypt', '--vault-password-file', pw, join(dir, 'group_vars', 'all.yml')]);
    const inline = vault(['encrypt_string', '--vault-id', `dev@${pw2}`, '--name', 'api_key', KEY]);
    writeFileSync(join(dir, 'hosts.ini'), 'localhost ansible_connection=local\n');
    writeFileSync(
      join(dir, 'site.yml'),
      `- hosts: all\n  gather_facts: false\n  vars:\n${inline.split('\n').map((l) => `    ${l}`).join('\n')}\n  tasks:\n    - name: use both\n      copy:\n        content: "{{ db_password }}/{{ api_key }}"\n        dest: ${out()}\n    - debug: var=api_key\n`,
    );
  });
  after(() => removeDir(dir));

  it('without a password: exit 3 before any task, naming the file and the flag', async () => {
    const r = await kiln(['play', 'site.yml', '-i', 'hosts.ini'], { cwd: dir });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /group_vars\/all\.yml:1:1: this file is encrypted with Ansible Vault, and no vault password was given/);
    assert.match(r.stderr, /--vault-password-file/);
    assert.equal(existsSync(out()), false);
  });

  it('with a wrong password: exit 3, saying the HMAC did not match', async () => {
    const r = await kiln(['play', 'site.yml', '-i', 'hosts.ini', '--vault-password-file', pw2], { cwd: dir });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /cannot be decrypted: the HMAC did not match/);
    assert.equal(existsSync(out()), false);
  });

  it('converges with both vault ids; the values appear in no output, diff or --json', async () => {
    const args = ['play', 'site.yml', '-i', 'hosts.ini', '--vault-password-file', pw, '--vault-id', `dev@${pw2}`];
    const sampler = sampleProcesses();
    const first = await kiln([...args, '--diff', '-vvv'], { cwd: dir });
    const { samples, seen } = await sampler.stop();
    assert.ok(samples >= 3 && seen.some((a) => a.includes('site.yml')), `the sampler saw kiln itself (${samples} samples)`);
    assert.deepEqual(seen.filter((a) => a.includes(KEY) || a.includes('ecret')), [], 'no argv or environment held a decrypted value');
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.equal(readFileSync(out(), 'utf8'), `${SECRET}/${KEY}`);
    const json = await kiln([...args, '--json', '--check', '--diff'], { cwd: dir, env: { ANSIBLE_VAULT_PASSWORD_FILE: '' } });
    writeFileSync(out(), 'changed by hand');
    const again = await kiln([...args, '--diff', '-vvv'], { cwd: dir });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /\+\*\*\*\*\*\*\*\*/, 'the diff shows the mask');
    for (const text of [first.stdout, first.stderr, json.stdout, json.stderr, again.stdout, again.stderr]) {
      assert.ok(!text.includes(SECRET) && !text.includes(KEY) && !text.includes('ecret'), text);
    }
  });

  it('takes the password file from ANSIBLE_VAULT_PASSWORD_FILE', async () => {
    const r = await kiln(['validate', 'site.yml', '-i', 'hosts.ini', '--vault-id', `dev@${pw2}`], { cwd: dir, env: { ANSIBLE_VAULT_PASSWORD_FILE: pw } });
    assert.equal(r.code, 3, 'a --vault-id given on the command line replaces the variable, as in Ansible');
    const ok = await kiln(['validate', 'site.yml', '-i', 'hosts.ini', '--vault-id', `dev@${pw2}`, '--vault-id', pw], { cwd: dir });
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('kiln vault and ansible-vault read each other\'s files; rekey and encrypt_string too', async () => {
    const f = join(dir, 'notes.txt');
    writeFileSync(f, 'plain text\n');
    assert.equal((await kiln(['vault', 'encrypt', f, '--vault-id', `ops@${pw2}`])).code, 0);
    assert.match(readFileSync(f, 'utf8'), /^\$ANSIBLE_VAULT;1\.2;AES256;ops\n/);
    assert.equal(vault(['view', '--vault-id', `ops@${pw2}`, f]), 'plain text\n');
    assert.equal((await kiln(['vault', 'rekey', f, '--vault-id', `ops@${pw2}`, '--new-vault-password-file', pw])).code, 0);
    assert.equal(vault(['view', '--vault-password-file', pw, f]), 'plain text\n');
    const g = join(dir, 'theirs.txt');
    writeFileSync(g, 'from ansible\n');
    vault(['encrypt', '--vault-password-file', pw, g]);
    const view = await kiln(['vault', 'view', g, '--vault-password-file', pw]);
    assert.equal(view.stdout, 'from ansible\n');
    const s = await kiln(['vault', 'encrypt_string', '--vault-password-file', pw, '--name', 'token', 'tok-123']);
    assert.equal(s.code, 0, s.stderr);
    writeFileSync(join(dir, 'token.yml'), s.stdout);
    const adhoc = execFileSync('ansible', ['localhost', '-m', 'debug', '-a', 'var=token', '-e', `@${join(dir, 'token.yml')}`, '--vault-password-file', pw], { encoding: 'utf8', cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    assert.match(adhoc, /"token": "tok-123"/);
  });

  it('kiln inventory --list on a vaulted inventory: exit 3 without the password, ansible-inventory\'s answer with it', async () => {
    mkdirSync(join(dir, 'inv'));
    const inv = join(dir, 'inv', 'secret_hosts.ini');
    writeFileSync(inv, '[web]\nweb1 ansible_host=10.0.0.5 role_tag=frontend\n');
    vault(['encrypt', '--vault-password-file', pw, inv]);
    assert.equal((await kiln(['inventory', '-i', inv, '--list'])).code, 3);
    const mine = await kiln(['inventory', '-i', inv, '--list', '--vault-password-file', pw]);
    assert.equal(mine.code, 0, mine.stderr);
    const theirs = execFileSync('ansible-inventory', ['-i', inv, '--list', '--vault-password-file', pw], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    assert.deepEqual(JSON.parse(mine.stdout), JSON.parse(theirs));
  });
});
