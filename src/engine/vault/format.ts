// Ansible Vault's envelope (formats 1.1 and 1.2, cipher AES256), as ansible-core writes it:
//   $ANSIBLE_VAULT;1.1;AES256            or  $ANSIBLE_VAULT;1.2;AES256;<vault-id label>
//   hex(hex(salt) "\n" hex(hmac) "\n" hex(ciphertext)), in lines of 80 characters.
// Keys: PBKDF2-HMAC-SHA256(password, salt, 10000 rounds) gives 80 bytes: the AES-256 key, the
// HMAC-SHA256 key and the CTR counter's first block. The plaintext is PKCS#7-padded to 16 bytes.
import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const VAULT_HEADER = '$ANSIBLE_VAULT;';

/** A vaulted text, parsed: its version, label (1.2) and the three binary parts. */
export interface Envelope {
  version: '1.1' | '1.2';
  label?: string;
  salt: Buffer;
  hmac: Buffer;
  ciphertext: Buffer;
}

/** Why a vaulted text cannot be read: malformed, or no password matched its HMAC. */
export class VaultFormatError extends Error {}

/** Whether a text is an Ansible Vault envelope (a whole encrypted file or an inline !vault value). */
export function isVaulted(text: string): boolean {
  return text.trimStart().startsWith(VAULT_HEADER);
}

/** Parse an envelope; throws VaultFormatError saying what is wrong with it. */
export function parseEnvelope(text: string): Envelope {
  const lines = text.trim().split(/\r?\n/).map((l) => l.trim());
  const header = (lines.shift() ?? '').split(';');
  if (header[0] !== '$ANSIBLE_VAULT') throw new VaultFormatError('it does not start with $ANSIBLE_VAULT;');
  const version = header[1];
  if (version !== '1.1' && version !== '1.2') throw new VaultFormatError(`vault format ${String(version)} is not supported (1.1 and 1.2 are)`);
  if (header[2]?.trim() !== 'AES256') throw new VaultFormatError(`cipher ${String(header[2])} is not supported (AES256 is)`);
  const body = lines.join('');
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(body)) throw new VaultFormatError('its body is not hexadecimal');
  const parts = Buffer.from(body, 'hex').toString('latin1').split('\n');
  if (parts.length !== 3 || !parts.every((p) => /^(?:[0-9a-fA-F]{2})+$/.test(p))) throw new VaultFormatError('its body does not hold a salt, an HMAC and a ciphertext');
  const [salt, hmac, ciphertext] = parts.map((p) => Buffer.from(p, 'hex')) as [Buffer, Buffer, Buffer];
  const env: Envelope = { version, salt, hmac, ciphertext };
  if (version === '1.2' && header[3]) env.label = header[3].trim();
  return env;
}

function keys(password: Buffer, salt: Buffer): { aes: Buffer; mac: Buffer; iv: Buffer } {
  const k = pbkdf2Sync(password, salt, 10000, 80, 'sha256');
  return { aes: k.subarray(0, 32), mac: k.subarray(32, 64), iv: k.subarray(64, 80) };
}

/** The plaintext, or undefined when this password is not the one (the HMAC does not match). */
export function decryptWith(env: Envelope, password: Buffer): Buffer | undefined {
  const { aes, mac, iv } = keys(password, env.salt);
  const expected = createHmac('sha256', mac).update(env.ciphertext).digest();
  if (expected.length !== env.hmac.length || !timingSafeEqual(expected, env.hmac)) return undefined;
  const d = createDecipheriv('aes-256-ctr', aes, iv);
  const padded = Buffer.concat([d.update(env.ciphertext), d.final()]);
  const pad = padded[padded.length - 1] ?? 0;
  if (pad < 1 || pad > 16 || pad > padded.length) throw new VaultFormatError('its padding is broken (the file was changed after it was encrypted)');
  return padded.subarray(0, padded.length - pad);
}

/** Encrypt as ansible-vault does (a fresh random salt each time); 1.2 when a label other than "default" is given. */
export function encrypt(plaintext: Buffer, password: Buffer, label?: string): string {
  const salt = randomBytes(32);
  const { aes, mac, iv } = keys(password, salt);
  const pad = 16 - (plaintext.length % 16);
  const c = createCipheriv('aes-256-ctr', aes, iv);
  const ciphertext = Buffer.concat([c.update(Buffer.concat([plaintext, Buffer.alloc(pad, pad)])), c.final()]);
  const hmac = createHmac('sha256', mac).update(ciphertext).digest();
  const body = Buffer.from([salt, hmac, ciphertext].map((b) => b.toString('hex')).join('\n'), 'latin1').toString('hex');
  const header = label !== undefined && label !== 'default' ? `$ANSIBLE_VAULT;1.2;AES256;${label}` : '$ANSIBLE_VAULT;1.1;AES256';
  return `${header}\n${body.match(/.{1,80}/g)?.join('\n') ?? ''}\n`;
}
