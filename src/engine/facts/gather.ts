// Host facts in one round trip: one shell script, one parse, cached per host per run.
import type { Connection } from '../connection/types.js';
import { ModuleError } from '../errors.js';

// Prints key=value lines; every value is one line. POSIX sh (dash, busybox), nearly fork-free:
// files are read with the `read` builtin (each `$(…)` or pipe costs a fork, each program an
// exec), so a host pays one exec (`ip`) plus fallbacks where /proc or /etc lack a file (`id`
// when the user is not in /etc/passwd, an LDAP user say).
// $1, when given, is a root prefix for the files read (tests point it at a fake tree).
// `hostname -f` runs only when /etc/hosts (consulted first per nsswitch.conf) does not name the
// host, since it then asks the resolver: capped at 2 s.
export const FACTS_SCRIPT = `R=\${1-}
set -f
nl='
'
r1() { v=; [ -r "$R$1" ] && { IFS= read -r v <"$R$1" || [ -n "$v" ]; }; }
r1 /proc/sys/kernel/ostype || v=$(uname -s); printf 'kernel=%s\\n' "$v"
r1 /proc/sys/kernel/arch || v=$(uname -m); printf 'arch=%s\\n' "$v"
r1 /proc/sys/kernel/osrelease || v=$(uname -r); printf 'kernel_release=%s\\n' "$v"
r1 /proc/sys/kernel/hostname || v=$(hostname 2>/dev/null); h=$v; printf 'hostname=%s\\n' "$h"
f=
if [ -n "$h" ] && [ -r "$R/etc/nsswitch.conf" ] && [ -r "$R/etc/hosts" ]; then
  while read -r k s _ || [ -n "$k" ]; do
    [ "$k" = hosts: ] || continue
    [ "$s" = files ] || break
    while IFS= read -r l || [ -n "$l" ]; do
      set -- \${l%%#*}
      [ $# -ge 2 ] || continue
      shift
      c=$1
      for n do [ "$n" = "$h" ] && { f=$c; break 3; }; done
    done <"$R/etc/hosts"
    break
  done <"$R/etc/nsswitch.conf"
fi
[ -n "$f" ] || f=$(timeout 2 hostname -f 2>/dev/null) || f=$h
printf 'fqdn=%s\\n' "$f"
if [ -r "$R/etc/os-release" ]; then
  while IFS= read -r l || [ -n "$l" ]; do
    case $l in ID=*|ID_LIKE=*|VERSION_ID=*|VERSION_CODENAME=*|PRETTY_NAME=*|NAME=*) printf 'os_%s\\n' "$l";; esac
  done <"$R/etc/os-release"
fi
r1 /etc/debian_version && printf 'debian_version=%s\\n' "$v"
[ -d "$R/run/systemd/system" ] && echo systemd=1
r1 /proc/1/comm; printf 'pid1=%s\\n' "$v"
for m in apt-get dnf yum apk pacman zypper; do command -v $m >/dev/null 2>&1 && { echo "pkg=$m"; break; }; done
if [ -r "$R/proc/meminfo" ]; then
  t=
  while read -r k n _; do
    case $k in MemTotal:) printf 'memtotal_kb=%s\\n' "$n"; t=$t.;; MemFree:) printf 'memfree_kb=%s\\n' "$n"; t=$t.;; esac
    [ "$t" = .. ] && break
  done <"$R/proc/meminfo"
fi
n=
if r1 /sys/devices/system/cpu/online; then
  case $v in ''|*[!0-9,-]*) ;; *)
    o=$IFS; IFS=,; set -- $v; IFS=$o
    n=0
    for c do case $c in *-*) n=$((n + \${c#*-} - \${c%-*} + 1));; *) n=$((n + 1));; esac; done;;
  esac
fi
[ -n "$n" ] || n=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null)
printf 'nproc=%s\\n' "$n"
r=$(ip -4 route get 1.0.0.0 2>/dev/null) && r=\${r%%"$nl"*} && [ -n "$r" ] && printf 'route=%s\\n' "$r"
case $r in *' src '*) ;; *) a=$(ip -4 -o addr show scope global 2>/dev/null) && a=\${a%%"$nl"*} && [ -n "$a" ] && printf 'addr=%s\\n' "$a";; esac
u= n=
if [ -r "$R/proc/self/status" ]; then
  while IFS='	 ' read -r k a b rest; do case $k in Uid:) u=$b; break;; esac; done <"$R/proc/self/status"
fi
if [ -n "$u" ] && [ -r "$R/etc/passwd" ]; then
  while IFS=: read -r a b c rest; do [ "$c" = "$u" ] && { n=$a; break; }; done <"$R/etc/passwd"
fi
if [ -z "$n" ]; then
  i=$(LC_ALL=C id 2>/dev/null)
  case $i in *' euid='*) u=\${i#*' euid='};; *) u=\${i#uid=};; esac
  u=\${u%%' '*}
  case $u in *'('*')') n=\${u#*'('}; n=\${n%')'};; *) n=;; esac
  u=\${u%%'('*}
fi
printf 'uid=%s\\n' "$u"
printf 'user=%s\\n' "$n"
p=
o=$IFS; IFS=:; for d in $PATH; do [ -f "\${d:-.}/python3" ] && [ -x "\${d:-.}/python3" ] && { p=\${d:-.}/python3; break; }; done; IFS=$o
printf 'python=%s\\n' "$p"
`;

export interface Facts {
  /** The facts under Ansible's names (ansible_facts.*). */
  ansible: Record<string, unknown>;
}

const FAMILY: Record<string, string> = {
  debian: 'Debian',
  ubuntu: 'Debian',
  raspbian: 'Debian',
  fedora: 'RedHat',
  rhel: 'RedHat',
  centos: 'RedHat',
  rocky: 'RedHat',
  almalinux: 'RedHat',
  alpine: 'Alpine',
  arch: 'Archlinux',
  opensuse: 'Suse',
  sles: 'Suse',
};

/** Ansible's `distribution` by os-release ID, where the NAME's first word is not it. */
const DISTRIBUTION: Record<string, string> = {
  rhel: 'RedHat',
  almalinux: 'AlmaLinux',
  'opensuse-leap': 'openSUSE Leap',
  'opensuse-tumbleweed': 'openSUSE Tumbleweed',
  sles: 'SLES',
  amzn: 'Amazon',
  arch: 'Archlinux',
};

const PKG: Record<string, string> = { 'apt-get': 'apt', dnf: 'dnf', yum: 'yum', apk: 'apk', pacman: 'pacman', zypper: 'zypper' };

/** Parse the script's output into Ansible-named facts. Pure, for tests. */
export function parseFacts(out: string): Record<string, unknown> {
  const kv: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) kv[line.slice(0, eq)] = line.slice(eq + 1).replace(/^"(.*)"$|^'(.*)'$/, '$1$2');
  }
  const id = (kv['os_ID'] ?? kv['kernel'] ?? '').toLowerCase();
  const like = (kv['os_ID_LIKE'] ?? '').toLowerCase().split(/\s+/);
  const family = FAMILY[id] ?? like.map((l) => FAMILY[l]).find(Boolean) ?? kv['os_NAME'] ?? kv['kernel'] ?? 'unknown';
  const version = kv['os_VERSION_ID'] ?? kv['debian_version'] ?? '';
  const route = kv['route'] ?? '';
  const addr = kv['addr'] ?? '';
  const defaultIf = /\bdev (\S+)/.exec(route)?.[1] ?? /^\d+: (\S+)/.exec(addr)?.[1];
  const defaultAddr = /\bsrc (\S+)/.exec(route)?.[1] ?? /inet (\d+\.\d+\.\d+\.\d+)/.exec(addr)?.[1];
  const gateway = /\bvia (\S+)/.exec(route)?.[1];
  const hostname = kv['hostname'] ?? '';
  return {
    system: kv['kernel'] ?? 'Linux',
    kernel: kv['kernel_release'] ?? '',
    architecture: kv['arch'] ?? '',
    machine: kv['arch'] ?? '',
    hostname: hostname.split('.')[0] ?? hostname,
    nodename: hostname,
    fqdn: kv['fqdn'] || hostname,
    distribution: DISTRIBUTION[id] ?? kv['os_NAME']?.split(' ')[0] ?? family,
    distribution_release: kv['os_VERSION_CODENAME'] ?? '',
    distribution_version: kv['debian_version'] && id === 'debian' ? kv['debian_version'] : version,
    distribution_major_version: version.split('.')[0] ?? '',
    os_family: family,
    pkg_mgr: PKG[kv['pkg'] ?? ''] ?? 'unknown',
    // sd_booted(3): systemd is the init system exactly when /run/systemd/system exists. A
    // container whose PID 1 is tini or a shell has only SysV scripts (`service`) to offer.
    service_mgr: kv['systemd'] ? 'systemd' : 'sysvinit',
    default_ipv4: defaultAddr ? { address: defaultAddr, interface: defaultIf, gateway } : {},
    memtotal_mb: kv['memtotal_kb'] ? Math.round(Number(kv['memtotal_kb']) / 1024) : undefined,
    memfree_mb: kv['memfree_kb'] ? Math.round(Number(kv['memfree_kb']) / 1024) : undefined,
    processor_vcpus: kv['nproc'] ? Number(kv['nproc']) : undefined,
    processor_nproc: kv['nproc'] ? Number(kv['nproc']) : undefined,
    user_id: kv['user'],
    user_uid: kv['uid'] ? Number(kv['uid']) : undefined,
    python: kv['python'] ? { executable: kv['python'] } : undefined,
  };
}

/** Gather facts on a host: one round trip. */
export async function gatherFacts(conn: Connection): Promise<Record<string, unknown>> {
  // The root prefix given explicitly (empty): never whatever $1 the session's shell holds.
  const r = await conn.script(FACTS_SCRIPT, ['']);
  if (r.rc !== 0 && !r.stdout) throw new ModuleError(`fact gathering failed: ${r.stderr.trim()}`, r);
  return parseFacts(r.stdout);
}

/** The variables facts become: ansible_facts.x, kiln_facts.x and the injected ansible_x names. */
export function factVars(facts: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ansible_facts: facts, kiln_facts: facts };
  for (const [k, v] of Object.entries(facts)) out[`ansible_${k}`] = v;
  return out;
}
