// kiln's connection variables, the Ansible names that map onto them, and the settings they resolve to.
import { homedir } from 'node:os';
import { Problem, ValidationError } from '../errors.js';
import { showValue } from '../schema/validate.js';
import { LOCALHOST_NAMES } from './types.js';

export interface ConnectionVar {
  /** kiln's own name; it wins over every alias when both are set. */
  name: string;
  /** Ansible names accepted for it, in order of preference. */
  aliases: readonly string[];
  type: 'string' | 'integer' | 'boolean' | 'enum';
  /** Allowed values for enums (after Ansible values are mapped). */
  values?: readonly string[];
  /** Shown in docs; the value is never echoed in messages. */
  secret: boolean;
  default?: string | number | boolean;
  description: string;
}

/** The table the README and the inventory schema are checked against. */
export const CONNECTION_VARS: readonly ConnectionVar[] = [
  { name: 'kiln_host', aliases: ['ansible_host', 'ansible_ssh_host'], type: 'string', secret: false, description: 'Address or DNS name to connect to, when it differs from the inventory name.' },
  { name: 'kiln_port', aliases: ['ansible_port', 'ansible_ssh_port'], type: 'integer', secret: false, default: 22, description: 'SSH port.' },
  { name: 'kiln_user', aliases: ['ansible_user', 'ansible_ssh_user'], type: 'string', secret: false, description: 'User to log in as (default: the SSH client default, usually your local user).' },
  { name: 'kiln_connection', aliases: ['ansible_connection'], type: 'enum', values: ['local', 'ssh'], secret: false, default: 'ssh', description: "How to reach the host: ssh, or local to run on this machine. Ansible's paramiko and smart mean ssh. localhost and 127.0.0.1 default to local." },
  { name: 'kiln_private_key_file', aliases: ['ansible_ssh_private_key_file', 'ansible_private_key_file'], type: 'string', secret: false, description: 'Private key file for SSH authentication (~ is expanded).' },
  { name: 'kiln_password', aliases: ['ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password'], type: 'string', secret: true, description: 'SSH login password. Prefer keys; keep it out of plain-text inventories.' },
  { name: 'kiln_private_key_passphrase', aliases: ['ansible_ssh_private_key_passphrase', 'ansible_private_key_passphrase'], type: 'string', secret: true, description: 'Passphrase of the private key file.' },
  { name: 'kiln_become_password', aliases: ['ansible_become_password', 'ansible_become_pass', 'ansible_sudo_pass', 'ansible_sudo_password'], type: 'string', secret: true, description: 'Password for sudo when a task uses become.' },
  { name: 'kiln_become_method', aliases: ['ansible_become_method'], type: 'enum', values: ['sudo'], secret: false, default: 'sudo', description: 'Privilege escalation method; only sudo is supported.' },
  { name: 'kiln_host_key_checking', aliases: ['ansible_host_key_checking', 'ansible_ssh_host_key_checking'], type: 'boolean', secret: false, default: true, description: 'Verify the host key against known_hosts; turn off only for throw-away hosts.' },
  { name: 'kiln_ssh_timeout', aliases: ['ansible_timeout', 'ansible_ssh_timeout'], type: 'integer', secret: false, default: 10, description: 'Seconds to wait for the SSH connection to be established.' },
  { name: 'kiln_known_hosts_file', aliases: [], type: 'string', secret: false, description: "The known_hosts file this host's key is checked against (and recorded in, with --accept-new-host-keys), before ~/.ssh/known_hosts (~ is expanded). Ansible users set UserKnownHostsFile in ansible_ssh_common_args for this." },
  { name: 'kiln_ssh_control_persist', aliases: [], type: 'integer', secret: false, default: 60, description: "Seconds an SSH connection stays open in kiln's background broker after its last use, so that the next run within that time skips the login (OpenSSH's ControlPersist); 0 connects directly. Default 60, or the environment variable KILN_SSH_CONTROL_PERSIST." },
];

/** The environment variable that sets kiln_ssh_control_persist's default. */
export const CONTROL_PERSIST_ENV = 'KILN_SSH_CONTROL_PERSIST';
const CONTROL_PERSIST_MAX = 86_400;

export interface ConnectionSettings {
  name: string;
  connection: 'local' | 'ssh';
  host: string;
  port: number;
  user?: string;
  privateKeyFile?: string;
  knownHostsFile?: string;
  password?: string;
  privateKeyPassphrase?: string;
  becomePassword?: string;
  becomeMethod: 'sudo';
  hostKeyChecking: boolean;
  timeoutSec: number;
  /** Seconds the broker keeps the SSH connection after its last use; 0: no broker, connect directly. */
  controlPersistSec: number;
}

const NAMES = new Map<string, readonly string[]>(CONNECTION_VARS.map((v) => [v.name, [v.name, ...v.aliases]]));

/** Every variable name (kiln's and the aliases) that sets the given kiln connection variable. */
export function connectionVarNames(kilnName: string): readonly string[] {
  return NAMES.get(kilnName) ?? [kilnName];
}

// Ansible connection plugins that are SSH under another name, including their collection names.
const SSH_LIKE = new Set(['ssh', 'smart', 'paramiko', 'paramiko_ssh', 'ansible.builtin.ssh', 'ansible.builtin.paramiko_ssh', 'ansible.legacy.ssh']);
const LOCAL_LIKE = new Set(['local', 'ansible.builtin.local', 'ansible.legacy.local']);

const TRUE_WORDS = new Set(['true', 'yes', 'on', '1', 'y', 't']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0', 'n', 'f']);

/**
 * Resolve the connection settings for a host from its merged variables (and the environment, for
 * defaults such as KILN_SSH_CONTROL_PERSIST); throws ValidationError listing every bad value.
 */
export function connectionSettings(hostName: string, vars: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): ConnectionSettings {
  const problems: Problem[] = [];
  const context = `host "${hostName}"`;
  // The first name set wins: kiln's own, then the aliases in table order.
  const pick = (kilnName: string): { key: string; value: unknown } | undefined => {
    for (const key of connectionVarNames(kilnName)) {
      if (Object.hasOwn(vars, key) && vars[key] !== null && vars[key] !== undefined) return { key, value: vars[key] };
    }
    return undefined;
  };
  const bad = (key: string, value: unknown, message: string, fix: string, secret = false): void => {
    problems.push(new Problem(`${key} ${message}`, { context, key, value: secret ? undefined : showValue(value), fix }));
  };

  const text = (kilnName: string, secret = false): string | undefined => {
    const got = pick(kilnName);
    if (!got) return undefined;
    if (typeof got.value === 'string' || typeof got.value === 'number') {
      const s = String(got.value);
      if (s !== '' || secret) return s;
    }
    bad(got.key, got.value, typeof got.value === 'string' ? 'is empty' : 'must be a string', 'set it to a non-empty string, or remove it', secret);
    return undefined;
  };

  const integer = (kilnName: string, min: number, max: number, fallback: number): number => {
    const got = pick(kilnName);
    if (!got) return fallback;
    const n = typeof got.value === 'number' ? got.value : typeof got.value === 'string' && /^\s*\d+\s*$/.test(got.value) ? Number(got.value) : NaN;
    if (Number.isInteger(n) && n >= min && n <= max) return n;
    bad(got.key, got.value, `must be a whole number from ${min} to ${max}`, `e.g. ${got.key}: ${fallback}`);
    return fallback;
  };

  const connection = ((): 'local' | 'ssh' => {
    const got = pick('kiln_connection');
    if (!got) return LOCALHOST_NAMES.includes(hostName) ? 'local' : 'ssh';
    const v = typeof got.value === 'string' ? got.value.trim().toLowerCase() : '';
    if (SSH_LIKE.has(v)) return 'ssh';
    if (LOCAL_LIKE.has(v)) return 'local';
    bad(got.key, got.value, 'names a connection kiln does not support', 'use ssh or local (Ansible\'s smart and paramiko are treated as ssh)');
    return 'ssh';
  })();

  const becomeMethod = ((): 'sudo' => {
    const got = pick('kiln_become_method');
    if (got && !(typeof got.value === 'string' && ['sudo', 'ansible.builtin.sudo'].includes(got.value.trim()))) {
      bad(got.key, got.value, 'is not supported: kiln only escalates with sudo', 'remove it or set it to sudo; for su-only hosts, install sudo first');
    }
    return 'sudo';
  })();

  const hostKeyChecking = ((): boolean => {
    const got = pick('kiln_host_key_checking');
    if (!got) return true;
    if (typeof got.value === 'boolean') return got.value;
    const s = String(got.value).trim().toLowerCase();
    if (TRUE_WORDS.has(s)) return true;
    if (FALSE_WORDS.has(s)) return false;
    bad(got.key, got.value, 'must be a boolean', 'write true or false');
    return true;
  })();

  const controlPersistSec = ((): number => {
    const fromEnv = env[CONTROL_PERSIST_ENV];
    let fallback = 60;
    if (fromEnv !== undefined && fromEnv.trim() !== '') {
      const n = /^\s*\d+\s*$/.test(fromEnv) ? Number(fromEnv) : NaN;
      if (n <= CONTROL_PERSIST_MAX) fallback = n;
      else bad(CONTROL_PERSIST_ENV, fromEnv, `(environment) must be a whole number of seconds from 0 to ${CONTROL_PERSIST_MAX}`, `e.g. ${CONTROL_PERSIST_ENV}=60, or 0 to connect directly`);
    }
    return integer('kiln_ssh_control_persist', 0, CONTROL_PERSIST_MAX, fallback);
  })();

  const settings: ConnectionSettings = {
    name: hostName,
    connection,
    host: text('kiln_host') ?? hostName,
    port: integer('kiln_port', 1, 65535, 22),
    becomeMethod,
    hostKeyChecking,
    timeoutSec: integer('kiln_ssh_timeout', 1, 3600, 10),
    controlPersistSec,
  };
  const user = text('kiln_user');
  if (user !== undefined) settings.user = user;
  const key = text('kiln_private_key_file');
  if (key !== undefined) settings.privateKeyFile = expandHome(key);
  const knownHosts = text('kiln_known_hosts_file');
  if (knownHosts !== undefined) settings.knownHostsFile = expandHome(knownHosts);
  const password = text('kiln_password', true);
  if (password !== undefined) settings.password = password;
  const passphrase = text('kiln_private_key_passphrase', true);
  if (passphrase !== undefined) settings.privateKeyPassphrase = passphrase;
  const become = text('kiln_become_password', true);
  if (become !== undefined) settings.becomePassword = become;
  if (problems.length) throw new ValidationError(problems);
  return settings;
}

// ssh expands ~ itself; a key path given to kiln goes to a library that does not.
function expandHome(path: string): string {
  if (path === '~') return homedir();
  return path.startsWith('~/') ? homedir() + path.slice(1) : path;
}
