// known_hosts parsing, hashed names, [host]:port, markers and the strict / accept-new / off policies.
import { strict as assert } from 'node:assert';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkHostKey,
  entriesFor,
  fingerprint,
  hashHostName,
  hostFieldMatches,
  keyTypeOf,
  knownHostName,
  parseKnownHosts,
  recordHostKey,
} from '../../../src/engine/connection/known_hosts.js';
import { generateKey, keygenFingerprint, runProgram } from '../../support/sshd.js';

/** An SSH wire-format string: uint32 length, then the bytes. */
function sshString(b: Buffer | string): Buffer {
  const body = Buffer.from(b);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** A fresh ed25519 public key blob in SSH wire format. */
function ed25519Blob(): Buffer {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');
  return Buffer.concat([sshString('ssh-ed25519'), sshString(raw)]);
}

const line = (hosts: string, blob: Buffer): string => `${hosts} ${keyTypeOf(blob)} ${blob.toString('base64')}`;

describe('known_hosts', function () {
  let dir: string;
  beforeEach(async function () {
    dir = await mkdtemp(join(tmpdir(), 'kiln-kh-'));
  });
  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  describe('parsing and matching', function () {
    it('parses entries with their line numbers; skips comments, blanks and malformed lines', function () {
      const a = ed25519Blob();
      const b = ed25519Blob();
      const text = [
        '# comment',
        '',
        line('web1,10.0.0.1', a),
        'garbage',
        `@revoked * ${keyTypeOf(b)} ${b.toString('base64')}`,
        `@cert-authority *.example.com ${keyTypeOf(b)} ${b.toString('base64')} ca comment`,
        `@unknown-marker web1 ${keyTypeOf(b)} ${b.toString('base64')}`,
        'web2 ssh-ed25519 !!!not-base64!!!',
        '   ' + line('[web3]:2222', b) + ' trailing comment',
      ].join('\n');
      const entries = parseKnownHosts(text, 'kh');
      assert.deepEqual(
        entries.map((e) => [e.line, e.marker, e.hosts, e.keyType]),
        [
          [3, undefined, 'web1,10.0.0.1', 'ssh-ed25519'],
          [5, 'revoked', '*', 'ssh-ed25519'],
          [6, 'cert-authority', '*.example.com', 'ssh-ed25519'],
          [9, undefined, '[web3]:2222', 'ssh-ed25519'],
        ],
      );
      assert.ok(entries[0]?.key.equals(a));
      assert.equal(entries[0]?.file, 'kh');
    });

    it('names hosts as ssh does: plain on port 22, [host]:port otherwise', function () {
      assert.equal(knownHostName('web1', 22), 'web1');
      assert.equal(knownHostName('web1', 2222), '[web1]:2222');
      assert.equal(knownHostName('::1', 2222), '[::1]:2222');
    });

    it('matches comma lists, wildcards and negations; [host]:port only for that port', function () {
      assert.equal(hostFieldMatches('web1,10.0.0.1', '10.0.0.1'), true);
      assert.equal(hostFieldMatches('web1,10.0.0.1', 'web2'), false);
      assert.equal(hostFieldMatches('*.example.com,!bad.example.com', 'good.example.com'), true);
      assert.equal(hostFieldMatches('*.example.com,!bad.example.com', 'bad.example.com'), false);
      assert.equal(hostFieldMatches('[web1]:2222', knownHostName('web1', 2222)), true);
      assert.equal(hostFieldMatches('[web1]:2222', knownHostName('web1', 22)), false);
      assert.equal(hostFieldMatches('web1', knownHostName('web1', 2222)), false);
      assert.equal(hostFieldMatches('WEB1', 'web1'), true);
    });

    it('matches hashed names (HMAC-SHA1), ours and those ssh-keygen -H writes', async function () {
      const hashed = hashHostName('[web1]:2222');
      assert.match(hashed, /^\|1\|[A-Za-z0-9+/]+=*\|[A-Za-z0-9+/]+=*$/);
      assert.equal(hostFieldMatches(hashed, '[web1]:2222'), true);
      assert.equal(hostFieldMatches(hashed, 'web1'), false);
      assert.notEqual(hashHostName('web1'), hashHostName('web1'), 'a fresh salt every time');
      // Cross-check with OpenSSH's own hashing.
      const blob = ed25519Blob();
      const file = join(dir, 'kh');
      await writeFile(file, `${line('[10.1.2.3]:2222', blob)}\n${line('plain.example', blob)}\n`);
      const r = await runProgram('ssh-keygen', ['-H', '-f', file]);
      assert.equal(r.code, 0, r.stderr);
      const entries = parseKnownHosts(await readFile(file, 'utf8'), file);
      assert.equal(entries.length, 2);
      assert.ok(entries.every((e) => e.hosts.startsWith('|1|')));
      assert.deepEqual(entriesFor(entries, '[10.1.2.3]:2222').map((e) => e.line), [1]);
      assert.deepEqual(entriesFor(entries, 'plain.example').map((e) => e.line), [2]);
      assert.deepEqual(entriesFor(entries, '10.1.2.3'), []);
    });

    it('ignores @cert-authority lines when looking up a host', function () {
      const blob = ed25519Blob();
      const entries = parseKnownHosts(`@cert-authority * ${keyTypeOf(blob)} ${blob.toString('base64')}\n`);
      assert.deepEqual(entriesFor(entries, 'web1'), []);
    });

    it('fingerprints like ssh-keygen -l (SHA256, unpadded base64)', async function () {
      const key = join(dir, 'k');
      await generateKey(key);
      const blob = Buffer.from((await readFile(`${key}.pub`, 'utf8')).split(' ')[1] as string, 'base64');
      assert.equal(keyTypeOf(blob), 'ssh-ed25519');
      assert.equal(fingerprint(blob), await keygenFingerprint(`${key}.pub`));
    });
  });

  describe('checkHostKey', function () {
    const check = (key: Buffer, files: string[], policy: 'strict' | 'accept-new' | 'off', extra: { hash?: boolean; port?: number } = {}) =>
      checkHostKey(key, { host: 'web1', port: extra.port ?? 2222, files, policy, hash: extra.hash });

    it('accepts a known key, on the right port only', async function () {
      const key = ed25519Blob();
      const file = join(dir, 'kh');
      await writeFile(file, `${line('[web1]:2222', key)}\n`);
      const ok = await check(key, [file], 'strict');
      assert.equal(ok.ok, true);
      const otherPort = await check(key, [file], 'strict', { port: 22 });
      assert.equal(otherPort.ok, false);
    });

    it('refuses a changed key with the old file:line and both fingerprints', async function () {
      const old = ed25519Blob();
      const now = ed25519Blob();
      const file = join(dir, 'kh');
      await writeFile(file, `# first\n${line('other', now)}\n${line('web1,[web1]:2222', old)}\n`);
      for (const policy of ['strict', 'accept-new'] as const) {
        const v = await check(now, [join(dir, 'missing'), file], policy);
        assert.equal(v.ok, false);
        assert.ok(!v.ok && v.reason === 'changed');
        assert.ok(!v.ok && v.message.includes(`${file}:3`), !v.ok ? v.message : '');
        assert.ok(!v.ok && v.message.includes(fingerprint(now)) && v.message.includes(fingerprint(old)));
        assert.ok(!v.ok && v.message.includes(`ssh-keygen -R '[web1]:2222' -f ${file}`));
      }
      assert.equal(await readFile(file, 'utf8'), `# first\n${line('other', now)}\n${line('web1,[web1]:2222', old)}\n`);
    });

    it('treats a key of another type, when one is known, as changed', async function () {
      const known = ed25519Blob();
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = publicKey.export({ format: 'jwk' });
      const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x as string, 'base64url'), Buffer.from(jwk.y as string, 'base64url')]);
      const ecdsa = Buffer.concat([sshString('ecdsa-sha2-nistp256'), sshString('nistp256'), sshString(point)]);
      assert.equal(keyTypeOf(ecdsa), 'ecdsa-sha2-nistp256');
      const file = join(dir, 'kh');
      await writeFile(file, `${line('[web1]:2222', known)}\n`);
      const v = await check(ecdsa, [file], 'accept-new');
      assert.ok(!v.ok && v.reason === 'changed' && /holds a key of type ssh-ed25519/.test(v.message), JSON.stringify(v));
    });

    it('refuses a @revoked key even when it is also listed as known', async function () {
      const key = ed25519Blob();
      const file = join(dir, 'kh');
      await writeFile(file, `${line('[web1]:2222', key)}\n@revoked * ${keyTypeOf(key)} ${key.toString('base64')}\n`);
      const v = await check(key, [file], 'accept-new');
      assert.ok(!v.ok && v.reason === 'revoked' && v.message.includes(`${file}:2`), JSON.stringify(v));
      const other = await check(ed25519Blob(), [join(dir, 'none')], 'accept-new');
      assert.equal(other.ok, true, 'a revoked line does not make other keys "changed"');
    });

    it('does not let a @cert-authority line make a host key known or changed', async function () {
      const key = ed25519Blob();
      const file = join(dir, 'kh');
      await writeFile(file, `@cert-authority [web1]:2222 ${keyTypeOf(key)} ${key.toString('base64')}\n`);
      const same = await check(key, [file], 'strict');
      assert.ok(!same.ok && same.reason === 'unknown');
      const other = await check(ed25519Blob(), [file], 'strict');
      assert.ok(!other.ok && other.reason === 'unknown');
    });

    it('strict: an unknown host is refused with the ssh-keyscan fix', async function () {
      const key = ed25519Blob();
      const v = await check(key, [join(dir, 'kh')], 'strict');
      assert.ok(!v.ok && v.reason === 'unknown');
      assert.ok(!v.ok && v.message.includes(`ssh-keyscan -p 2222 web1 >> ${join(dir, 'kh')}`), !v.ok ? v.message : '');
      assert.ok(!v.ok && v.message.includes(fingerprint(key)));
      const p22 = await check(key, [join(dir, 'kh')], 'strict', { port: 22 });
      assert.ok(!p22.ok && p22.message.includes(`ssh-keyscan web1 >> `));
    });

    it('accept-new: records into the first file atomically, keeping what was there', async function () {
      const key = ed25519Blob();
      const first = join(dir, 'sub', 'kh');
      const v = await check(key, [first, join(dir, 'other')], 'accept-new');
      assert.deepEqual(v, { ok: true, how: 'recorded', file: first });
      assert.equal(await readFile(first, 'utf8'), `${line('[web1]:2222', key)}\n`);
      assert.equal((await stat(first)).mode & 0o777, 0o600);
      // Existing content (even without a final newline) and the file mode are kept.
      const file = join(dir, 'kh');
      await writeFile(file, '# mine, no newline at the end', { mode: 0o644 });
      await check(key, [file], 'accept-new');
      assert.equal(await readFile(file, 'utf8'), `# mine, no newline at the end\n${line('[web1]:2222', key)}\n`);
      assert.equal((await stat(file)).mode & 0o777, 0o644);
      assert.deepEqual((await readdir(dir)).sort(), ['kh', 'sub'], 'no temp file is left behind');
      const again = await check(key, [file], 'accept-new');
      assert.equal(again.ok && again.how, 'known');
    });

    it('accept-new with HashKnownHosts writes a hashed name', async function () {
      const key = ed25519Blob();
      const file = join(dir, 'kh');
      await check(key, [file], 'accept-new', { hash: true });
      const text = await readFile(file, 'utf8');
      assert.match(text, /^\|1\|/);
      assert.ok(!text.includes('web1'));
      assert.equal((await check(key, [file], 'strict')).ok, true);
    });

    it('parallel records to one file keep every line', async function () {
      const file = join(dir, 'kh');
      const keys = Array.from({ length: 20 }, () => ed25519Blob());
      await Promise.all(keys.map((k, i) => recordHostKey(file, `host${i}`, k)));
      const entries = parseKnownHosts(await readFile(file, 'utf8'), file);
      assert.equal(entries.length, 20);
      keys.forEach((k, i) => assert.ok(entriesFor(entries, `host${i}`)[0]?.key.equals(k), `host${i}`));
    });

    it('off: anything goes and nothing is written', async function () {
      const file = join(dir, 'kh');
      await writeFile(file, `${line('[web1]:2222', ed25519Blob())}\n`);
      const before = await readFile(file, 'utf8');
      assert.deepEqual(await check(ed25519Blob(), [file], 'off'), { ok: true, how: 'off' });
      assert.equal(await readFile(file, 'utf8'), before);
    });
  });
});
