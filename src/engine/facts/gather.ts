// Host facts in one round trip: one shell script, one parse, cached per host per run.
import type { Connection } from '../connection/types.js';
import { ModuleError } from '../errors.js';

// Prints key=value lines; every value is one line. Only POSIX sh and files under /proc, /etc.
// `hostname -f` asks the resolver when /etc/hosts does not know the name: capped at 2 s.
export const FACTS_SCRIPT = `
echo "kernel=$(uname -s)"
echo "arch=$(uname -m)"
echo "kernel_release=$(uname -r)"
echo "hostname=$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)"
echo "fqdn=$(timeout 2 hostname -f 2>/dev/null || hostname 2>/dev/null)"
if [ -r /etc/os-release ]; then sed -n 's/^\\(ID\\|ID_LIKE\\|VERSION_ID\\|VERSION_CODENAME\\|PRETTY_NAME\\|NAME\\)=/os_\\1=/p' /etc/os-release; fi
[ -r /etc/debian_version ] && echo "debian_version=$(cat /etc/debian_version)"
[ -d /run/systemd/system ] && echo "systemd=1"
echo "pid1=$(cat /proc/1/comm 2>/dev/null)"
for m in apt-get dnf yum apk pacman zypper; do command -v $m >/dev/null 2>&1 && { echo "pkg=$m"; break; }; done
sed -n 's/^MemTotal: *\\([0-9]*\\) kB/memtotal_kb=\\1/p; s/^MemFree: *\\([0-9]*\\) kB/memfree_kb=\\1/p' /proc/meminfo 2>/dev/null
echo "nproc=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null)"
r=$(ip -4 route get 1.0.0.0 2>/dev/null | head -n1)
[ -n "$r" ] && echo "route=$r"
a=$(ip -4 -o addr show scope global 2>/dev/null | head -n1)
[ -n "$a" ] && echo "addr=$a"
echo "user=$(id -un)"
echo "uid=$(id -u)"
echo "python=$(command -v python3 2>/dev/null)"
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
  const r = await conn.script(FACTS_SCRIPT);
  if (r.rc !== 0 && !r.stdout) throw new ModuleError(`fact gathering failed: ${r.stderr.trim()}`, r);
  return parseFacts(r.stdout);
}

/** The variables facts become: ansible_facts.x, kiln_facts.x and the injected ansible_x names. */
export function factVars(facts: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ansible_facts: facts, kiln_facts: facts };
  for (const [k, v] of Object.entries(facts)) out[`ansible_${k}`] = v;
  return out;
}
