// Where vault passwords come from, as ansible-core takes them: --vault-password-file FILE,
// --vault-id [LABEL@]SOURCE (SOURCE a file, an executable that prints it, or "prompt"),
// --ask-vault-pass, and ANSIBLE_VAULT_PASSWORD_FILE (or KILN_VAULT_PASSWORD_FILE) when no flag
// gives one. A password never travels in argv.
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { UsageError } from '../errors.js';
import type { VaultSecret } from './keyring.js';

/** The vault options of a command. */
export interface VaultOpts {
  vaultPasswordFile?: string[];
  vaultId?: string[];
  askVaultPass?: boolean;
}

/** Asks for a password on the terminal without echoing it (the CLI's, so tests can pass their own). */
export type Prompt = (question: string) => Promise<string>;

/** The passwords the options (or the environment) give, read now; none when nothing was given. */
export async function readVaultSecrets(o: VaultOpts, prompt: Prompt, env: NodeJS.ProcessEnv = process.env): Promise<VaultSecret[]> {
  const wanted: { label: string; source: string }[] = [];
  for (const id of o.vaultId ?? []) {
    const at = id.indexOf('@');
    wanted.push(at > 0 ? { label: id.slice(0, at), source: id.slice(at + 1) } : { label: 'default', source: id });
  }
  for (const f of o.vaultPasswordFile ?? []) wanted.push({ label: 'default', source: f });
  if (o.askVaultPass) wanted.push({ label: 'default', source: 'prompt' });
  if (wanted.length === 0) {
    const f = env['KILN_VAULT_PASSWORD_FILE'] || env['ANSIBLE_VAULT_PASSWORD_FILE'];
    if (f) wanted.push({ label: 'default', source: f });
  }
  const out: VaultSecret[] = [];
  for (const w of wanted) {
    const password = w.source === 'prompt' ? await prompt(w.label === 'default' ? 'Vault password: ' : `Vault password (${w.label}): `) : passwordFrom(w.source, w.label);
    if (password === '') throw new UsageError(`the vault password from ${w.source === 'prompt' ? 'the prompt' : w.source} is empty; give the password the vault was encrypted with`);
    out.push({ label: w.label, password: Buffer.from(password, 'utf8'), source: w.source === 'prompt' ? 'prompt' : w.source });
  }
  return out;
}

/** A password file's content, or what an executable one prints (given `--vault-id LABEL`, as Ansible's client scripts are). */
function passwordFrom(file: string, label: string): string {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (e) {
    throw new UsageError(`cannot read the vault password file ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)}); check the path given to --vault-password-file or --vault-id`);
  }
  if (mode & 0o111) {
    try {
      const args = /-client(\.[^/]*)?$/.test(file) ? ['--vault-id', label] : [];
      return execFileSync(file, args, { encoding: 'utf8', stdio: ['inherit', 'pipe', 'inherit'], timeout: 60_000 }).trim();
    } catch (e) {
      throw new UsageError(`the vault password script ${file} failed (${(e as Error).message.split('\n')[0] ?? ''}); run it by hand to see why`);
    }
  }
  return readFileSync(file, 'utf8').trim();
}
