// Ansible Vault's format against ansible-vault itself (Debian's ansible-core): what one writes,
// the other reads, for 1.1 and 1.2 (vault ids), files and inline strings.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decryptWith, encrypt, isVaulted, parseEnvelope, VaultFormatError } from '../../../src/engine/vault/format.js';
import { removeDir, tempDir } from '../../modules/helpers.js';

const vault = (args: string[], input?: string): string => execFileSync('ansible-vault', args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });

describe('vault: format and crypto against ansible-vault', function () {
  this.timeout(60_000);
  let dir = '';
  before(() => {
    dir = tempDir('vault');
    writeFileSync(join(dir, 'pw'), 'correct horse\n');
    writeFileSync(join(dir, 'pw2'), 'battery staple\n');
  });
  after(() => removeDir(dir));

  it('reads a file ansible-vault encrypted (1.1), and refuses a wrong password by its HMAC', () => {
    const f = join(dir, 'a.yml');
    writeFileSync(f, 'db_password: "it\'s; $ecret\\\\"\nünïcode: ✓\n');
    const clear = readFileSync(f);
    vault(['encrypt', '--vault-password-file', join(dir, 'pw'), f]);
    const text = readFileSync(f, 'utf8');
    assert.ok(text.startsWith('$ANSIBLE_VAULT;1.1;AES256\n') && isVaulted(text));
    const env = parseEnvelope(text);
    assert.deepEqual(decryptWith(env, Buffer.from('correct horse')), clear);
    assert.equal(decryptWith(env, Buffer.from('correct horsf')), undefined);
  });

  it('reads a 1.2 inline string with a vault id label', () => {
    const out = vault(['encrypt_string', '--vault-id', `prod@${join(dir, 'pw2')}`, '--name', 'k', 'a value']);
    const body = out.replace(/^k: !vault \|\n/, '').split('\n').map((l) => l.trim()).join('\n');
    const env = parseEnvelope(body);
    assert.equal(env.version, '1.2');
    assert.equal(env.label, 'prod');
    assert.equal(decryptWith(env, Buffer.from('battery staple'))?.toString(), 'a value');
  });

  it('writes what ansible-vault reads: 1.1 without a label, 1.2 with one; a new salt every time', () => {
    const plain = Buffer.from('x: 1\nempty and binary: \u0000\u00ff\n');
    for (const label of [undefined, 'dev']) {
      const f = join(dir, `k-${label ?? 'none'}.yml`);
      const text = encrypt(plain, Buffer.from(label ? 'battery staple' : 'correct horse'), label);
      writeFileSync(f, text);
      const id = label ? `${label}@${join(dir, 'pw2')}` : join(dir, 'pw');
      assert.equal(vault(['view', '--vault-id', id, f]), plain.toString('utf8'));
      assert.match(text.split('\n')[0] ?? '', label ? /^\$ANSIBLE_VAULT;1\.2;AES256;dev$/ : /^\$ANSIBLE_VAULT;1\.1;AES256$/);
      assert.ok(text.split('\n').slice(1).every((l) => l.length <= 80));
    }
    assert.notEqual(encrypt(plain, Buffer.from('p')), encrypt(plain, Buffer.from('p')));
    for (const n of [0, 1, 15, 16, 17, 1000]) {
      const b = Buffer.alloc(n, 7);
      assert.deepEqual(decryptWith(parseEnvelope(encrypt(b, Buffer.from('p'))), Buffer.from('p')), b, `${n} bytes`);
    }
  });

  it('says what is wrong with a malformed envelope', () => {
    assert.throws(() => parseEnvelope('$ANSIBLE_VAULT;1.0;AES256\nabcd'), VaultFormatError);
    assert.throws(() => parseEnvelope('$ANSIBLE_VAULT;1.1;AES\nabcd'), /cipher AES is not supported/);
    assert.throws(() => parseEnvelope('$ANSIBLE_VAULT;1.1;AES256\nzz'), /not hexadecimal/);
    assert.throws(() => parseEnvelope('$ANSIBLE_VAULT;1.1;AES256\nabcd'), /salt, an HMAC and a ciphertext/);
    assert.equal(isVaulted('db: x'), false);
  });
});
