// The SysV backend (no systemd as PID 1, e.g. containers): `service NAME status` and its LSB exit
// code to read, /etc/rc?.d links for "enabled", `service` and update-rc.d to act.
import { ModuleError } from '../../engine/errors.js';
import type { ServiceBackend, ServiceState } from './types.js';

// Argument: the script name. Prints key=value lines: whether /etc/init.d/NAME and `service`
// exist, the status exit code and its first output lines, then one link= line per rc link.
export const SYSV_READ_SCRIPT = `export LC_ALL=C
n=$1
command -v service >/dev/null 2>&1 && echo service=1
if [ -f "/etc/init.d/$n" ]; then
  echo exists=1
  if command -v service >/dev/null 2>&1; then o=$(service "$n" status 2>&1); else o=$("/etc/init.d/$n" status 2>&1); fi
  echo "status_rc=$?"
  printf 'status=%s\\n' "$(printf '%s\\n' "$o" | head -n 3 | tr '\\n' ' ')"
else
  echo exists=0
fi
for f in /etc/rc[0-6S].d/[SK][0-9][0-9]"$n"; do
  if [ -e "$f" ] || [ -L "$f" ]; then echo "link=\${f#/etc/}"; fi
done`;

/** What the LSB init-script spec says a `status` exit code means. */
export function lsbStatus(rc: number): { running?: boolean; text: string } {
  switch (rc) {
    case 0:
      return { running: true, text: 'running' };
    case 1:
      return { running: false, text: 'dead, but its pid file remains (status rc 1)' };
    case 2:
      return { running: false, text: 'dead, but its lock file remains (status rc 2)' };
    case 3:
      return { running: false, text: 'not running (status rc 3)' };
    default:
      return { text: `in an unknown state (status rc ${rc})` };
  }
}

/** The runlevels a Debian system boots into (2-5) and its boot-time rcS. */
const BOOT_LEVELS = /^rc[2-5S]\.d$/;

/** Parse SYSV_READ_SCRIPT's output for `name` (pure; exported for tests). */
export function parseSysv(stdout: string, name: string): ServiceState {
  const kv = new Map<string, string>();
  const links: string[] = [];
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const k = line.slice(0, eq);
    if (k === 'link') links.push(line.slice(eq + 1));
    else kv.set(k, line.slice(eq + 1));
  }
  if (!kv.has('exists')) throw new ModuleError(`unexpected output reading the state of /etc/init.d/${name}: ${JSON.stringify(stdout.slice(0, 200))}`);
  const exists = kv.get('exists') === '1';
  const s: ServiceState = { backend: 'sysv', unit: name, base: name, exists, activeText: 'missing', enabledText: '', serviceCmd: kv.get('service') === '1', hasLinks: links.length > 0 };
  if (exists) {
    const st = lsbStatus(Number(kv.get('status_rc') ?? '4'));
    s.activeText = st.text;
    const said = (kv.get('status') ?? '').trim();
    if (said) s.statusOutput = said;
    if (st.running !== undefined) s.running = st.running;
  }
  const starts = links.filter((l) => {
    const [dir, file] = l.split('/');
    return dir !== undefined && BOOT_LEVELS.test(dir) && file?.startsWith('S');
  });
  s.enabled = starts.length > 0;
  s.enabledText = starts.length
    ? `started at boot (${starts.join(', ')})`
    : links.length
      ? `not started at boot (only ${links.filter((l) => /\/K/.test(l)).length ? 'K' : 'other'} links in /etc/rc?.d)`
      : 'not started at boot (no links in /etc/rc?.d)';
  return s;
}

export const sysv: ServiceBackend = {
  name: 'sysv',
  unitOf: (name) => name.replace(/\.service$/, ''),

  async read(ctx, name) {
    const r = await ctx.conn.script(SYSV_READ_SCRIPT, [name], { becomeUser: ctx.becomeUser });
    if (r.rc !== 0) throw new ModuleError(`cannot read the state of /etc/init.d/${name}: ${r.stderr.trim() || `rc ${r.rc}`}`, r);
    return parseSysv(r.stdout, name);
  },

  commands(s, action) {
    const n = s.unit;
    switch (action) {
      case 'enable':
        // A script never registered has no links for `enable` to flip: create them first.
        return s.hasLinks ? [['update-rc.d', n, 'enable']] : [['update-rc.d', n, 'defaults'], ['update-rc.d', n, 'enable']];
      case 'disable':
        return [['update-rc.d', n, 'disable']];
      default:
        return [s.serviceCmd === false ? [`/etc/init.d/${n}`, action] : ['service', n, action]];
    }
  },

  missing: (s) => `no init script /etc/init.d/${s.unit} on this host; install the package that provides it in an earlier task, or check the name (ls /etc/init.d)`,
};
