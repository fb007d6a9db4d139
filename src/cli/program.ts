// kiln's command line: the commands, and the only place that turns errors into exit codes.
import { Argument, Command, CommanderError, Option } from 'commander';
import { EXIT } from '../engine/exit_codes.js';
import { KilnError } from '../engine/errors.js';
import { packageJson } from '../engine/paths.js';
import type { PlayOpts } from './play.js';
// Each subcommand's code is imported when it runs: start-up pays only for what is used.

const collect = (v: string, prev: string[]): string[] => [...prev, v];
const verbosity = (_v: string, prev: number): number => prev + 1;

/** The vault options (ansible-playbook's): passwords for Ansible Vault files and !vault values. */
function vaultOptions(c: Command): Command {
  return c
    .option('--vault-password-file <file>', 'a file holding the vault password, or an executable that prints it (repeatable)', collect, [])
    .option('--vault-id <id>', 'a vault id: LABEL@FILE, LABEL@prompt, or FILE (repeatable)', collect, [])
    .option('-J, --ask-vault-pass', 'ask for the vault password', false);
}

/** Before a command that loads files: read its vault passwords (or ANSIBLE_VAULT_PASSWORD_FILE's). */
async function readVaultPasswords(_: Command, action: Command): Promise<void> {
  if (action.name() === 'vault') return;
  const o = action.opts() as { vaultPasswordFile?: string[]; vaultId?: string[]; askVaultPass?: boolean };
  const given = o.vaultPasswordFile?.length || o.vaultId?.length || o.askVaultPass || process.env['ANSIBLE_VAULT_PASSWORD_FILE'] || process.env['KILN_VAULT_PASSWORD_FILE'];
  if (given && 'vaultId' in o) await (await import('./vault.js')).applyVaultOptions(o);
}

function program(): Command {
  const p = new Command('kiln')
    .description('A declarative configuration engine: Ansible playbooks, validated by JSON Schema, converged fast.')
    .version(packageJson().version, '--version')
    .exitOverride()
    .showHelpAfterError('(run kiln --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .hook('preAction', readVaultPasswords);

  p.command('play')
    .description('run a playbook against an inventory')
    .argument('<playbook>', 'the playbook file')
    .option('-i, --inventory <path>', 'inventory file, folder, script or comma list (repeatable; default: localhost)', collect, [])
    .option('-C, --check', 'dry run: report what would change, change nothing', false)
    .option('-D, --diff', 'show the unified diff of every changed file', false)
    .option('-e, --extra-vars <vars>', 'extra variables: key=value, a JSON/YAML mapping, or @file.yml (repeatable)', collect, [])
    .option('-t, --tags <tags>', 'only run tasks with these tags (comma list, repeatable)', collect, [])
    .option('--skip-tags <tags>', 'skip tasks with these tags (comma list, repeatable)', collect, [])
    .option('-l, --limit <pattern>', 'further limit the hosts (pattern, or @file)')
    .addOption(new Option('-f, --forks <n>', 'hosts worked on in parallel').default(10).argParser(positiveInt('--forks')))
    .option('--json', 'print NDJSON events (one JSON object per line) instead of text', false)
    .option('-v, --verbose', 'more output (repeat: -vv)', verbosity, 0)
    .option('--force-handlers', 'run notified handlers even after a task failed', false)
    .option('--detailed-exitcodes', `exit ${EXIT.CHANGED} when the run changed (or would change) something`, false)
    .option('--accept-new-host-keys', 'record the key of an SSH host seen for the first time (changed keys are still refused)', false);
  vaultOptions(p.commands.at(-1) as Command).action(async (playbook: string, o: PlayOpts) => {
      process.exitCode = await (await import('./play.js')).playCommand(playbook, o);
    });

  p.command('validate')
    .description('check playbooks or roles without running them (no host is contacted)')
    .argument('<paths...>', 'playbook files or role folders')
    .option('-i, --inventory <path>', 'inventory whose variables count as defined', collect, [])
    .option('-e, --extra-vars <vars>', 'extra variables that count as defined', collect, []);
  vaultOptions(p.commands.at(-1) as Command).action(async (paths: string[], o: { inventory: string[]; extraVars: string[] }) => {
      process.exitCode = await (await import('./validate.js')).validateCommand(paths, o);
    });

  p.command('inventory')
    .description('show an inventory as Ansible does (--list JSON or --graph)')
    .option('-i, --inventory <path>', 'inventory (repeatable)', collect, [])
    .option('--list', 'print the inventory as dynamic-inventory JSON', false)
    .option('--graph', 'print the group tree', false);
  vaultOptions(p.commands.at(-1) as Command).action(async (o: { inventory: string[]; list: boolean; graph: boolean }) => {
      process.exitCode = await (await import('./inventory.js')).inventoryCommand(o);
    });

  p.command('doc')
    .description("print a module's arguments from its schema, like ansible-doc")
    .argument('[module]', 'module name (omit to list modules)')
    .action(async (m: string | undefined) => {
      process.exitCode = (await import('./doc.js')).docCommand(m);
    });

  p.command('facts')
    .description('gather and print the facts of a host')
    .argument('<host>', 'an inventory host')
    .option('-i, --inventory <path>', 'inventory (repeatable)', collect, []);
  vaultOptions(p.commands.at(-1) as Command).action(async (host: string, o: { inventory: string[] }) => {
      process.exitCode = await (await import('./facts.js')).factsCommand(host, o);
    });

  vaultOptions(
    p
      .command('vault')
      .description('encrypt, decrypt, view, edit, encrypt_string or rekey, in Ansible Vault format (like ansible-vault)')
      .addArgument(new Argument('<action>', 'what to do').choices(['encrypt', 'decrypt', 'view', 'edit', 'encrypt_string', 'rekey']))
      .argument('[args...]', 'files (encrypt_string: the strings; none reads standard input)'),
  )
    .option('--encrypt-vault-id <label>', 'the vault id to encrypt with, when several are given')
    .option('--new-vault-password-file <file>', 'rekey: the new password')
    .option('--new-vault-id <id>', 'rekey: the new vault id (LABEL@FILE)')
    .option('--output <file>', 'encrypt/decrypt: write here instead of in place ("-": standard output)')
    .option('-n, --name <name>', 'encrypt_string: the variable name of each string (repeatable)', collect, [])
    .option('--stdin-name <name>', 'encrypt_string: the variable name of the string read from standard input')
    .action(async (action: string, args: string[], o: import('./vault.js').VaultCommandOpts) => {
      process.exitCode = await (await import('./vault.js')).vaultCommand(action, args, o);
    });

  p.command('ssh-broker')
    .description('show (status) or stop (stop) the background process that keeps SSH logins between runs, as ssh -O check / -O exit')
    .addArgument(new Argument('[action]', 'status or stop').choices(['status', 'stop']).default('status'))
    .action(async (action: 'status' | 'stop') => {
      process.exitCode = await (await import('./ssh_broker.js')).sshBrokerControl(action);
    });

  // The SSH connection broker (src/engine/connection/broker/start.ts starts it); not for users.
  p.command('__ssh-broker', { hidden: true })
    .argument('<socket>')
    .action(async (socket: string) => {
      process.exitCode = await (await import('./ssh_broker.js')).sshBrokerCommand(socket);
    });

  const role = p.command('role').description('work with roles');
  role
    .command('init')
    .description('scaffold a complete role: folders, README, argument spec, test playbook')
    .argument('<name>', 'role name (created under ./roles unless --path)')
    .option('--path <dir>', 'folder to create the role in', 'roles')
    .action(async (name: string, o: { path: string }) => {
      process.exitCode = (await import('./role_init.js')).roleInitCommand(name, o.path);
    });
  return p;
}

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new CommanderErrorInvalid(`${name} must be a whole number of at least 1 (got ${JSON.stringify(v)})`);
    return n;
  };
}

class CommanderErrorInvalid extends CommanderError {
  constructor(message: string) {
    super(EXIT.USAGE, 'commander.invalidArgument', message);
  }
}

/**
 * The bin: run kiln, then exit as soon as everything written has reached stdout and stderr. node
 * would otherwise first tear its heap down (20-25 ms after a 50-task play here); nothing kiln
 * started is left waiting: connections are closed, shells killed, files written synchronously.
 */
export async function mainAndExit(argv: string[]): Promise<never> {
  await main(argv);
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((resolve) => s.write('', () => resolve()))));
  process.exit();
}

/** Run kiln with node's argv (argv[2] onwards are kiln's arguments); sets process.exitCode. */
export async function main(argv: string[]): Promise<void> {
  // `kiln play --json | head`: a closed pipe ends the output quietly, not with a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK);
    throw e;
  });
  const p = program();
  if (argv.length <= 2) {
    p.outputHelp();
    process.exitCode = EXIT.USAGE;
    return;
  }
  try {
    await p.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; everything else is a usage error.
      process.exitCode = e.exitCode === 0 ? 0 : EXIT.USAGE;
      if (e instanceof CommanderErrorInvalid) process.stderr.write(`error: ${e.message}\n`);
      return;
    }
    if (e instanceof KilnError) {
      process.stderr.write(`${e.message}\n`);
      process.exitCode = e.exitCode;
      return;
    }
    process.stderr.write(`kiln: internal error (a bug, please report it): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = EXIT.BUG;
  }
}

