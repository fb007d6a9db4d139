// How an SSH login authenticates: the keys kiln can read (and why others cannot be used), the
// agent, then the password (also for keyboard-interactive), each tried only when the server
// accepts its method. Secrets go to ssh2 and nowhere else: never into a label or a note.
import { readFile } from 'node:fs/promises';
import type { AnyAuthMethod, AuthenticationType, AuthHandlerMiddleware, ParsedKey } from 'ssh2';
import { loadSsh2 } from './ssh2_lib.js';
import type { KeyOutcome, SshRunCache } from './ssh_cache.js';
import type { LinkTarget, LoginTrace, SshSecrets } from './ssh_target.js';

export interface Attempt {
  method: AnyAuthMethod;
  /** For the failure message: what was tried ("publickey /root/.ssh/id_ed25519"). */
  label: string;
  /** The server's method name this needs. */
  needs: AuthenticationType;
}

export interface LoginMethods {
  /** In the order they are tried: keys, the agent, the password. */
  attempts: Attempt[];
  /** Keys that could not be used, and why. Never includes a passphrase. */
  notes: string[];
}

/** Every way this login may authenticate, with the keys read (through the run's cache when given). */
export async function loginMethods(t: LinkTarget, secrets: SshSecrets, cache: SshRunCache | undefined): Promise<LoginMethods> {
  const attempts: Attempt[] = [];
  const notes: string[] = [];
  const passphrase = secrets.privateKeyPassphrase;
  const outcomes = await Promise.all(t.identityFiles.map((f) => (cache ? cache.key(f, passphrase, () => readKey(f, passphrase)) : readKey(f, passphrase))));
  t.identityFiles.forEach((file, i) => {
    const o = outcomes[i] as KeyOutcome;
    if ('key' in o) attempts.push({ method: { type: 'publickey', username: t.user, key: o.key }, label: `publickey ${file}`, needs: 'publickey' });
    // The ~/.ssh/id_* defaults are only tried when they exist, as ssh does.
    else if (!o.unreadable || t.explicitIdentities) notes.push(o.problem);
  });
  if (t.useAgent) attempts.push({ method: { type: 'agent', username: t.user, agent: t.useAgent }, label: `ssh-agent (${t.useAgent})`, needs: 'publickey' });
  if (secrets.password !== undefined) {
    const password = secrets.password;
    attempts.push({ method: { type: 'password', username: t.user, password }, label: 'password', needs: 'password' });
    attempts.push({
      method: {
        type: 'keyboard-interactive',
        username: t.user,
        prompt: (_name, _instr, _lang, prompts, finish) => finish(prompts.map((p) => (p.echo ? '' : password))),
      },
      label: 'keyboard-interactive (password)',
      needs: 'keyboard-interactive',
    });
  }
  return { attempts, notes };
}

/** Why there is nothing to try, for a login with no attempts. */
export function nothingToTry(user: string, notes: readonly string[]): string {
  return notes.length
    ? `no usable way to authenticate as ${user}: ${notes.join('; ')}`
    : `no way to authenticate as ${user}: set kiln_private_key_file (or IdentityFile in ~/.ssh/config), run an ssh-agent, or set kiln_password`;
}

/**
 * ssh2's authHandler: the attempts in order, skipping those whose method the server does not
 * accept; what it tried and what the server accepts go into `trace` for the failure message.
 */
export function authHandler(attempts: readonly Attempt[], trace: LoginTrace): AuthHandlerMiddleware {
  const pending = [...attempts];
  return (methodsLeft, _partial, next) => {
    if (methodsLeft) trace.serverMethods = methodsLeft;
    while (pending.length) {
      const a = pending.shift() as Attempt;
      if (methodsLeft && !methodsLeft.includes(a.needs)) continue;
      trace.tried.push(a.label);
      return next(a.method);
    }
    return next(false as unknown as AnyAuthMethod);
  };
}

async function readKey(file: string, passphrase: string | undefined): Promise<KeyOutcome> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (e) {
    return { problem: `key ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, unreadable: true };
  }
  const { utils } = await loadSsh2();
  let parsed = utils.parseKey(data, passphrase);
  if (parsed instanceof Error && passphrase !== undefined && !isEncrypted(data)) parsed = utils.parseKey(data);
  if (parsed instanceof Error) {
    const m = parsed.message;
    if (/no passphrase given/i.test(m)) return { problem: `key ${file} is encrypted and no passphrase is set (kiln_private_key_passphrase)`, unreadable: false };
    if (/passphrase|integrity|decrypt/i.test(m)) return { problem: `key ${file}: wrong passphrase (kiln_private_key_passphrase)`, unreadable: false };
    return { problem: `key ${file} is not a private key kiln can read (${m})`, unreadable: false };
  }
  const key: ParsedKey | undefined = Array.isArray(parsed) ? (parsed[0] as ParsedKey | undefined) : parsed;
  if (!key || !key.isPrivateKey()) return { problem: `key ${file} holds no private key`, unreadable: false };
  return { key };
}

function isEncrypted(data: Buffer): boolean {
  const text = data.toString('latin1');
  if (text.includes('ENCRYPTED')) return true;
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END/.exec(text);
  if (!m) return false;
  // openssh-key-v1\0, then the cipher name: "none" when unencrypted.
  const blob = Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64');
  const len = blob.length >= 19 ? blob.readUInt32BE(15) : 0;
  return blob.subarray(19, 19 + len).toString('latin1') !== 'none';
}
