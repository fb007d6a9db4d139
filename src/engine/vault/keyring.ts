// The vault passwords of this run, and decryption with errors that say where and how to fix.
// Every decrypted text is a secret from then on: masked in task output, diffs, --json and errors.
import { hideSecretText, Problem, ValidationError, type Loc } from '../errors.js';
import { decryptWith, parseEnvelope, VaultFormatError } from './format.js';

/** One vault password: its vault id label ("default" when none) and where it came from. */
export interface VaultSecret {
  label: string;
  password: Buffer;
  /** For messages: "--vault-password-file pw.txt", "prompt". */
  source: string;
}

let secrets: readonly VaultSecret[] = [];

const HOW = 'give the password with --vault-password-file FILE, --vault-id LABEL@FILE or --ask-vault-pass (or set ANSIBLE_VAULT_PASSWORD_FILE)';

/** Set the passwords the run was given (the CLI does, before anything is loaded). */
export function setVaultSecrets(list: readonly VaultSecret[]): void {
  secrets = list;
}

export function vaultSecrets(): readonly VaultSecret[] {
  return secrets;
}

/**
 * The plaintext of a vaulted text found at `loc` (`what`: "this file", "the !vault value of
 * db_password"). Passwords whose vault id matches the envelope's label are tried first, then the
 * others, as ansible-core does. Throws ValidationError: nothing was contacted yet.
 */
export function decryptVaulted(text: string, loc: Loc, what: string): Buffer {
  let env;
  try {
    env = parseEnvelope(text);
  } catch (e) {
    if (!(e instanceof VaultFormatError)) throw e;
    throw new ValidationError(new Problem(`${what} is not a readable Ansible Vault text: ${e.message}`, { loc, fix: 'encrypt it again with kiln vault encrypt or ansible-vault encrypt' }));
  }
  if (secrets.length === 0) throw new ValidationError(new Problem(`${what} is encrypted with Ansible Vault, and no vault password was given`, { loc, fix: HOW }));
  const ordered = [...secrets.filter((s) => s.label === env.label), ...secrets.filter((s) => s.label !== env.label)];
  for (const s of ordered) {
    let plain: Buffer | undefined;
    try {
      plain = decryptWith(env, s.password);
    } catch (e) {
      if (!(e instanceof VaultFormatError)) throw e;
      throw new ValidationError(new Problem(`${what} decrypts, but ${e.message}`, { loc, fix: 'encrypt it again from its clear text' }));
    }
    if (plain) return plain;
  }
  const tried = secrets.map((s) => `${s.label} (${s.source})`).join(', ');
  const label = env.label ? ` It was encrypted with vault id "${env.label}".` : '';
  throw new ValidationError(new Problem(`${what} cannot be decrypted: the HMAC did not match with any vault password given (tried ${tried}).${label}`, { loc, fix: `check the password; ${HOW}` }));
}

/** Treat a decrypted text as a secret from now on: it, and each of its lines (a file's content). */
export function rememberSecretText(text: string): void {
  const trimmed = text.trim();
  for (const t of [text, trimmed, ...trimmed.split('\n').map((l) => l.trim())]) hideSecretText(t);
}

/** Treat every string in a decrypted variables file as a secret (numbers and booleans are not). */
export function rememberSecretValues(value: unknown): void {
  if (typeof value === 'string') hideSecretText(value);
  else if (Array.isArray(value)) value.forEach(rememberSecretValues);
  else if (value && typeof value === 'object') Object.values(value).forEach(rememberSecretValues);
}
