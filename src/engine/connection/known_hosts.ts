// Host key verification against OpenSSH known_hosts files: plain and hashed names, [host]:port,
// pattern lists, @revoked and @cert-authority markers; strict / accept-new / off policies.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { matchPatternList } from './ssh_config.js';

export interface KnownHostEntry {
  file: string;
  /** 1-based line number. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** The host field as written: patterns, or a hashed `|1|salt|hash`. */
  hosts: string;
  keyType: string;
  /** The decoded key blob (SSH wire format). */
  key: Buffer;
}

/** Parse known_hosts text; comments, blank and malformed lines are skipped. */
export function parseKnownHosts(text: string, file = '<known_hosts>'): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, idx) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/[ \t]+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift();
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else return; // an unknown marker: OpenSSH skips the line too
    }
    const [hosts, keyType, b64] = fields;
    if (!hosts || !keyType || !b64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return;
    const key = Buffer.from(b64, 'base64');
    if (key.length < 4) return;
    const entry: KnownHostEntry = { file, line: idx + 1, hosts, keyType, key };
    if (marker) entry.marker = marker;
    out.push(entry);
  });
  return out;
}

/** The name known_hosts uses for a host: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port = 22): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** A hashed host field `|1|salt|hash` (HMAC-SHA1 of the name keyed by the salt), as `ssh-keygen -H` writes. */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const mac = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${mac.toString('base64')}`;
}

/** Whether an entry's host field names `name` (already in `[host]:port` form when needed). */
export function hostFieldMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  return matchPatternList(name, [hosts]);
}

/** The key type written inside a key blob ("ssh-ed25519", "ssh-rsa", ...). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  if (len > blob.length - 4 || len > 64) return 'unknown';
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** OpenSSH's fingerprint: `SHA256:` and the unpadded base64 of the blob's SHA-256. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The entries of one file; a missing file has none. */
async function readKnownHostsFile(f: string): Promise<KnownHostEntry[]> {
  let text: string;
  try {
    text = await readFile(f, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw new Error(`cannot read known_hosts file ${f}: ${(e as Error).message}`, { cause: e });
  }
  return parseKnownHosts(text, f);
}

/**
 * known_hosts files read and parsed once, then shared by every connection that uses the cache
 * (one run's hosts). A file kiln writes (accept-new) is forgotten, so the next reader sees the key.
 */
export class KnownHostsCache {
  private readonly files = new Map<string, Promise<KnownHostEntry[]>>();

  read(file: string): Promise<KnownHostEntry[]> {
    let p = this.files.get(file);
    if (!p) this.files.set(file, (p = readKnownHostsFile(file)));
    return p;
  }

  forget(file: string): void {
    this.files.delete(file);
  }
}

/** Read the entries of several files (through `cache` when given); a missing file has none. */
export async function readKnownHosts(files: readonly string[], cache?: KnownHostsCache): Promise<KnownHostEntry[]> {
  const read = cache ? (f: string) => cache.read(f) : readKnownHostsFile;
  return (await Promise.all(files.map(read))).flat();
}

/** Entries (not cert-authority) that apply to `name`. */
export function entriesFor(entries: readonly KnownHostEntry[], name: string): KnownHostEntry[] {
  return entries.filter((e) => e.marker !== 'cert-authority' && hostFieldMatches(e.hosts, name));
}

export type HostKeyPolicy = 'strict' | 'accept-new' | 'off';

export interface HostKeyCheck {
  /** Address as connected to (after ssh config HostName). */
  host: string;
  port: number;
  /** known_hosts files to consult; the first is where accept-new records new keys. */
  files: readonly string[];
  /** Consulted, never written (e.g. /etc/ssh/ssh_known_hosts). */
  readOnlyFiles?: readonly string[];
  policy: HostKeyPolicy;
  /** Record new keys hashed (HashKnownHosts yes). */
  hash?: boolean;
  /** Files already read in this run (none: read them now). */
  cache?: KnownHostsCache;
}

export type HostKeyVerdict =
  | { ok: true; how: 'known' | 'off'; entry?: KnownHostEntry }
  | { ok: true; how: 'recorded'; file: string }
  | { ok: false; reason: 'revoked' | 'changed' | 'unknown'; message: string };

/** Check the key a server presented. Never throws for a refusal: the verdict says why. */
export async function checkHostKey(key: Buffer, c: HostKeyCheck): Promise<HostKeyVerdict> {
  if (c.policy === 'off') return { ok: true, how: 'off' };
  const name = knownHostName(c.host, c.port);
  const type = keyTypeOf(key);
  const fp = fingerprint(key);
  const relevant = entriesFor(await readKnownHosts([...c.files, ...(c.readOnlyFiles ?? [])], c.cache), name);
  const revoked = relevant.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) {
    return {
      ok: false,
      reason: 'revoked',
      message: `the host key of ${name} (${type} ${fp}) is marked @revoked in ${revoked.file}:${revoked.line}; refusing to connect`,
    };
  }
  const normal = relevant.filter((e) => e.marker === undefined);
  const same = normal.find((e) => e.key.equals(key));
  if (same) return { ok: true, how: 'known', entry: same };
  const old = normal.find((e) => keyTypeOf(e.key) === type) ?? normal[0];
  if (old) {
    const sameType = keyTypeOf(old.key) === type;
    return {
      ok: false,
      reason: 'changed',
      message:
        `the host key of ${name} has CHANGED: the server now presents ${type} ${fp}, ` +
        `but ${old.file}:${old.line} holds ${sameType ? 'a different key' : `a key of type ${keyTypeOf(old.key)}`} (${fingerprint(old.key)}). ` +
        `Someone could be intercepting the connection, or the host was reinstalled. ` +
        `If you are sure the new key is right, remove the old entry (ssh-keygen -R '${name}' -f ${old.file}) and connect again`,
    };
  }
  const record = c.files[0];
  if (c.policy === 'accept-new' && record) {
    try {
      await recordHostKey(record, name, key, { hash: c.hash });
    } finally {
      c.cache?.forget(record);
    }
    return { ok: true, how: 'recorded', file: record };
  }
  const keyscan = `ssh-keyscan${c.port === 22 ? '' : ` -p ${c.port}`} ${c.host} >> ${record ?? '~/.ssh/known_hosts'}`;
  return {
    ok: false,
    reason: 'unknown',
    message:
      `the host key of ${name} is not known (the server presents ${type} ${fp}) and host key checking is strict. ` +
      `Check that fingerprint out of band, then add the key: ${keyscan} ` +
      `(or let kiln record new keys: StrictHostKeyChecking accept-new in ~/.ssh/config)`,
  };
}

// Writers in this process take turns per file, so parallel hosts do not lose each other's lines.
const fileLocks = new Map<string, Promise<unknown>>();

/**
 * Append `name key` to a known_hosts file atomically (temp file + rename), unless the file already
 * has an entry for that name with the same key. Never rewrites or drops existing lines.
 */
export async function recordHostKey(path: string, name: string, key: Buffer, opts: { hash?: boolean } = {}): Promise<void> {
  // Write through a symlinked known_hosts rather than replacing the link.
  const file = await realpath(path).catch(() => path);
  const prev = fileLocks.get(file) ?? Promise.resolve();
  const next = prev.then(async () => {
    let text = '';
    let mode = 0o600;
    try {
      text = await readFile(file, 'utf8');
      mode = (await stat(file)).mode & 0o777;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    }
    if (entriesFor(parseKnownHosts(text, file), name).some((e) => e.marker === undefined && e.key.equals(key))) return;
    const host = opts.hash ? hashHostName(name) : name;
    const line = `${host} ${keyTypeOf(key)} ${key.toString('base64')}\n`;
    const body = text === '' || text.endsWith('\n') ? text + line : `${text}\n${line}`;
    const tmp = `${file}.kiln-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await writeFile(tmp, body, { mode, flag: 'wx' });
      await chmod(tmp, mode);
      await rename(tmp, file);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  });
  const settled = next.catch(() => undefined);
  fileLocks.set(file, settled);
  void settled.then(() => {
    if (fileLocks.get(file) === settled) fileLocks.delete(file);
  });
  return next;
}

/** ssh2 host key algorithm names for a known key type, most preferred first. */
export function algorithmsForKeyType(type: string): string[] {
  switch (type) {
    case 'ssh-ed25519':
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521':
      return [type];
    case 'ssh-rsa':
      return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
    default:
      return [];
  }
}
