// The systemd backend: systemctl show and is-enabled to read, systemctl to act.
import { ModuleError } from '../../engine/errors.js';
import type { ServiceBackend, ServiceState } from './types.js';

// Argument: the unit. Prints key=value lines: show's rc and properties (LoadState, ActiveState,
// SubState, NeedDaemonReload, FragmentPath), then is-enabled's word (which also answers for SysV scripts systemd wraps).
export const SYSTEMD_READ_SCRIPT = `export LC_ALL=C
u=$1
o=$(systemctl show -p LoadState -p ActiveState -p SubState -p NeedDaemonReload -p FragmentPath -- "$u" 2>&1)
echo "show_rc=$?"
printf '%s\\n' "$o"
printf 'enabled=%s\\n' "$(systemctl is-enabled -- "$u" 2>/dev/null | head -n 1)"`;

const UNIT_SUFFIX = /\.(service|socket|timer|target|mount|automount|path|swap|slice|scope|device)$/;

/** ActiveState words: what counts as running. "reloading" and "activating" are on their way up. */
const RUNNING = new Set(['active', 'reloading', 'activating']);
const STOPPED = new Set(['inactive', 'failed', 'deactivating']);

/** is-enabled words that need no enable/disable: the unit has no [Install] section of its own. */
const NOT_INSTALLABLE: Record<string, string> = {
  static: 'static (no [Install] section: it starts when another unit needs it, and cannot be enabled or disabled)',
  generated: 'generated (made at boot by a systemd generator; it cannot be enabled or disabled)',
  transient: 'transient (made at run time; it cannot be enabled or disabled)',
};

/** Parse SYSTEMD_READ_SCRIPT's output for `unit` (pure; exported for tests). */
export function parseSystemd(stdout: string, unit: string): ServiceState {
  const kv = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) kv.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const showRc = Number(kv.get('show_rc') ?? '1');
  if (showRc !== 0 || !kv.has('LoadState')) {
    const why = stdout.split('\n').filter((l) => l && !/^(show_rc|enabled)=/.test(l)).join(' ').trim();
    throw new ModuleError(`systemctl cannot read ${unit}: ${why || `rc ${showRc}`}; if PID 1 is not systemd here, set use: sysv`);
  }
  const load = kv.get('LoadState') ?? '';
  const active = kv.get('ActiveState') ?? '';
  const sub = kv.get('SubState') ?? '';
  const word = kv.get('enabled') ?? '';
  const s: ServiceState = {
    backend: 'systemd',
    unit,
    base: unit.replace(/\.service$/, ''),
    exists: load !== 'not-found' && load !== '',
    activeText: sub ? `${active} (${sub})` : active,
    enabledText: NOT_INSTALLABLE[word] ?? (word || 'unknown'),
  };
  if (s.exists && RUNNING.has(active)) s.running = true;
  else if (s.exists && STOPPED.has(active)) s.running = false;
  if (NOT_INSTALLABLE[word] !== undefined) s.noInstall = true;
  if (load === 'masked' || word.startsWith('masked')) s.masked = true;
  if (kv.get('NeedDaemonReload') === 'yes') s.needsReload = true;
  if (kv.get('FragmentPath')) s.fragmentPath = kv.get('FragmentPath');
  if (word === 'enabled' || word === 'enabled-runtime') s.enabled = true;
  else if (['disabled', 'indirect', 'alias', 'linked', 'linked-runtime', 'masked', 'masked-runtime'].includes(word)) s.enabled = false;
  return s;
}

export const systemd: ServiceBackend = {
  name: 'systemd',
  unitOf: (name) => (UNIT_SUFFIX.test(name) ? name : `${name}.service`),

  async read(ctx, unit) {
    const r = await ctx.conn.script(SYSTEMD_READ_SCRIPT, [unit], { becomeUser: ctx.becomeUser });
    if (r.rc !== 0) throw new ModuleError(`cannot read the state of ${unit}: ${r.stderr.trim() || `rc ${r.rc}`}`, r);
    return parseSystemd(r.stdout, unit);
  },

  commands: (s, action) => [['systemctl', action, s.unit]],

  missing: (s) => `no systemd unit ${s.unit} on this host (systemctl: LoadState=not-found); install the package that provides it in an earlier task, or check the name (systemctl list-unit-files)`,

  async explain(ctx, s) {
    const r = await ctx.conn.run(['systemctl', 'status', '--no-pager', '--lines=10', '--', s.unit], { env: { LC_ALL: 'C' }, becomeUser: ctx.becomeUser });
    return r.stdout.trim();
  },
};
