// kiln vault: encrypt, decrypt, view, edit, encrypt_string and rekey files in Ansible Vault's
// format (1.1, or 1.2 with a vault id), compatible both ways with ansible-vault. Also the vault
// options of play, validate, inventory and facts, read before anything is loaded.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { UsageError } from '../engine/errors.js';
import { EXIT } from '../engine/exit_codes.js';
import { encrypt, isVaulted } from '../engine/vault/format.js';
import { decryptVaulted, setVaultSecrets, vaultSecrets, type VaultSecret } from '../engine/vault/keyring.js';
import { readVaultSecrets, type VaultOpts } from '../engine/vault/passwords.js';

/** Read the vault passwords a command was given, before it loads anything. */
export async function applyVaultOptions(o: VaultOpts): Promise<void> {
  setVaultSecrets(await readVaultSecrets(o, promptHidden));
}

/** Ask on the terminal, echoing nothing. */
export function promptHidden(question: string): Promise<string> {
  if (!process.stdin.isTTY) return Promise.reject(new UsageError('asking for a vault password needs a terminal; give --vault-password-file FILE instead'));
  let muted = false;
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output: out, terminal: true });
  return new Promise((resolve) => {
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
    muted = true;
  });
}

export interface VaultCommandOpts extends VaultOpts {
  encryptVaultId?: string;
  newVaultPasswordFile?: string;
  newVaultId?: string;
  output?: string;
  name?: string[];
  stdinName?: string;
}

/** The password new ciphertext is made with: the only one given, or the one --encrypt-vault-id names. */
function encryptingSecret(o: VaultCommandOpts): VaultSecret {
  const all = vaultSecrets();
  if (all.length === 0) throw new UsageError('no vault password was given; use --vault-password-file FILE, --vault-id LABEL@FILE or --ask-vault-pass');
  if (o.encryptVaultId !== undefined) {
    const s = all.find((x) => x.label === o.encryptVaultId);
    if (!s) throw new UsageError(`--encrypt-vault-id ${o.encryptVaultId} names no vault id given (${all.map((x) => x.label).join(', ')})`);
    return s;
  }
  if (all.length > 1) throw new UsageError(`several vault ids were given (${all.map((x) => x.label).join(', ')}); say which encrypts with --encrypt-vault-id LABEL`);
  return all[0] as VaultSecret;
}

/** Replace a file atomically: a temp file beside it (mode 0600), then rename. */
function writeAtomic(file: string, text: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.kiln-${process.pid}`);
  try {
    writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

function decryptFile(file: string): Buffer {
  const text = read(file);
  if (!isVaulted(text)) throw new UsageError(`${file} is not encrypted with Ansible Vault`);
  return decryptVaulted(text, { file, line: 1, col: 1 }, 'this file');
}

/** `kiln vault ACTION [FILES…]`; returns the exit code. */
export async function vaultCommand(action: string, args: string[], o: VaultCommandOpts): Promise<number> {
  await applyVaultOptions(o);
  switch (action) {
    case 'encrypt': {
      const s = encryptingSecret(o);
      for (const f of need(args, 'encrypt')) {
        const text = read(f);
        if (isVaulted(text)) throw new UsageError(`${f} is already encrypted; use kiln vault rekey to change its password`);
        writeAtomic(o.output ?? f, encrypt(Buffer.from(text, 'utf8'), s.password, s.label));
      }
      process.stderr.write('Encryption successful\n');
      return EXIT.OK;
    }
    case 'decrypt': {
      for (const f of need(args, 'decrypt')) {
        const plain = decryptFile(f);
        if (o.output === '-') process.stdout.write(plain);
        else writeAtomic(o.output ?? f, plain.toString('utf8'));
      }
      process.stderr.write('Decryption successful\n');
      return EXIT.OK;
    }
    case 'view':
      for (const f of need(args, 'view')) process.stdout.write(decryptFile(f));
      return EXIT.OK;
    case 'edit':
      return edit(need(args, 'edit'), o);
    case 'encrypt_string':
      return encryptString(args, o);
    case 'rekey': {
      const files = need(args, 'rekey');
      const plain = files.map(decryptFile);
      const fresh = await readVaultSecrets({ vaultPasswordFile: o.newVaultPasswordFile ? [o.newVaultPasswordFile] : [], vaultId: o.newVaultId ? [o.newVaultId] : [] }, promptHidden, {});
      const s = fresh[0];
      if (!s) throw new UsageError('rekey needs the new password: --new-vault-password-file FILE or --new-vault-id LABEL@FILE');
      files.forEach((f, i) => writeAtomic(f, encrypt(plain[i] as Buffer, s.password, s.label)));
      process.stderr.write('Rekey successful\n');
      return EXIT.OK;
    }
    default:
      throw new UsageError(`unknown vault action ${action}; use encrypt, decrypt, view, edit, encrypt_string or rekey`);
  }
}

function need(args: string[], action: string): string[] {
  if (args.length === 0) throw new UsageError(`kiln vault ${action} needs at least one file`);
  return args;
}

/** Decrypt into a private temp folder, run $EDITOR on it, encrypt again when it changed. */
function edit(files: string[], o: VaultCommandOpts): number {
  const s = encryptingSecret(o);
  for (const f of files) {
    const plain = decryptFile(f).toString('utf8');
    const dir = mkdtempSync(join(tmpdir(), 'kiln-vault-'));
    chmodSync(dir, 0o700);
    const tmp = join(dir, basename(f));
    try {
      writeFileSync(tmp, plain, { mode: 0o600 });
      const editor = process.env['EDITOR'] || process.env['VISUAL'] || 'vi';
      const r = spawnSync('sh', ['-c', `${editor} "$1"`, 'editor', tmp], { stdio: 'inherit' });
      if (r.status !== 0) throw new UsageError(`the editor (${editor}) exited with ${String(r.status ?? r.signal)}; ${f} is unchanged`);
      const after = readFileSync(tmp, 'utf8');
      if (after !== plain) writeAtomic(f, encrypt(Buffer.from(after, 'utf8'), s.password, s.label));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return EXIT.OK;
}

/** `name: !vault |` and the envelope indented by ten spaces, as ansible-vault prints it. */
async function encryptString(args: string[], o: VaultCommandOpts): Promise<number> {
  const s = encryptingSecret(o);
  const names = o.name ?? [];
  let values = args;
  if (values.length === 0) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    values = [Buffer.concat(chunks).toString('utf8')];
    if (o.stdinName !== undefined) names.unshift(o.stdinName);
  }
  values.forEach((v, i) => {
    const body = encrypt(Buffer.from(v, 'utf8'), s.password, s.label).trimEnd().split('\n').map((l) => `          ${l}`).join('\n');
    const name = names[i];
    process.stdout.write(name !== undefined ? `${name}: !vault |\n${body}\n` : `!vault |\n${body}\n`);
  });
  process.stderr.write('Encryption successful\n');
  return EXIT.OK;
}
