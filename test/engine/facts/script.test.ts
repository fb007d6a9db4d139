// FACTS_SCRIPT itself: on this machine it must print what the programs it replaced print
// (uname, hostname -f, getconf, id, command -v), under every POSIX sh here; on a fake tree
// (its $1 root prefix) it must parse the files it reads with builtins; and it must stay
// nearly fork-free (counted with strace where strace exists).
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FACTS_SCRIPT, parseFacts } from '../../../src/engine/facts/gather.js';

/** Run the script as ShellConnection.script does: in a subshell, $1 the root prefix. */
function runScript(shell: string, root = ''): Record<string, string> {
  const out = execFileSync(shell, ['-c', `(\n${FACTS_SCRIPT}\n)`, 'sh', ...(root ? [root] : [])], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8' } });
  const kv: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) kv[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return kv;
}

/** A program's stdout without its trailing newline, or '' when it fails. */
function sh(cmd: string): string {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C.UTF-8' } });
  return (r.stdout ?? '').replace(/\n+$/, '');
}

const SHELLS = ['/bin/sh', '/usr/bin/dash', '/bin/bash'].filter((s) => existsSync(s));

describe('facts: FACTS_SCRIPT on this machine, against the programs it replaced', () => {
  for (const shell of SHELLS) {
    it(`${shell}: the same values as uname, hostname, getconf, id, ip and command -v`, () => {
      const kv = runScript(shell);
      assert.equal(kv['kernel'], sh('uname -s'));
      assert.equal(kv['arch'], sh('uname -m'));
      assert.equal(kv['kernel_release'], sh('uname -r'));
      assert.equal(kv['hostname'], sh('hostname 2>/dev/null || cat /proc/sys/kernel/hostname'));
      assert.equal(kv['fqdn'], sh('timeout 2 hostname -f 2>/dev/null || hostname 2>/dev/null'));
      assert.equal(kv['nproc'], sh('getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null'));
      assert.equal(kv['user'], sh('id -un'));
      assert.equal(kv['uid'], sh('id -u'));
      assert.equal(kv['python'], sh(`${shell} -c 'command -v python3' 2>/dev/null`));
      assert.equal(kv['pid1'], sh('cat /proc/1/comm 2>/dev/null'));
      assert.equal(kv['debian_version'], existsSync('/etc/debian_version') ? readFileSync('/etc/debian_version', 'utf8').trim() : undefined);
      assert.equal(kv['systemd'], existsSync('/run/systemd/system') ? '1' : undefined);
      const route = sh('ip -4 route get 1.0.0.0 2>/dev/null | head -n1');
      assert.equal(kv['route'], route || undefined);
      if (!/ src /.test(route)) assert.equal(kv['addr'], sh('ip -4 -o addr show scope global 2>/dev/null | head -n1') || undefined);
      const mem = /^MemTotal: *(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
      assert.equal(kv['memtotal_kb'], mem?.[1]);
      assert.match(kv['memfree_kb'] ?? '', /^\d+$/);
      if (existsSync('/etc/os-release')) {
        const os = readFileSync('/etc/os-release', 'utf8')
          .split('\n')
          .filter((l) => /^(ID|ID_LIKE|VERSION_ID|VERSION_CODENAME|PRETTY_NAME|NAME)=/.test(l));
        assert.deepEqual(
          Object.entries(kv)
            .filter(([k]) => k.startsWith('os_'))
            .map(([k, v]) => `${k.slice(3)}=${v}`),
          os,
        );
      }
    });
  }
});

describe('facts: FACTS_SCRIPT on a fake tree (its root prefix)', () => {
  let root: string;
  const put = (path: string, text: string): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'kiln-facts-root-'));
    put('/proc/sys/kernel/ostype', 'Linux\n');
    put('/proc/sys/kernel/arch', 'aarch64\n');
    put('/proc/sys/kernel/osrelease', '6.1.0-28-arm64\n');
    put('/proc/sys/kernel/hostname', 'web1\n');
    put('/proc/1/comm', 'tini\n');
    put('/proc/meminfo', 'MemTotal:        2014568 kB\nMemFree:         1523400 kB\nMemAvailable:    1800000 kB\n');
    put('/sys/devices/system/cpu/online', '0-3,5,7-8\n');
    put('/etc/nsswitch.conf', '# comment\npasswd:         files\nhosts:          files dns\n');
    put('/etc/hosts', '127.0.0.1\tlocalhost\n# 10.0.0.9 web1.wrong.example web1\n10.0.0.5  web1.example.org web1 # primary\n10.0.0.6 web1.other.example web1\n');
    // os-release without a final newline, keys kiln does not read, a commented key.
    put('/etc/os-release', 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n# ID=ubuntu\nVERSION_ID="12"\nHOME_URL="https://www.debian.org/"\nVERSION_CODENAME=bookworm\nID=debian');
    put('/etc/debian_version', '12.8\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads the kernel, host name, os-release, memory and CPUs from the files', () => {
    const kv = runScript('sh', root);
    assert.equal(kv['kernel'], 'Linux');
    assert.equal(kv['arch'], 'aarch64');
    assert.equal(kv['kernel_release'], '6.1.0-28-arm64');
    assert.equal(kv['hostname'], 'web1');
    assert.equal(kv['pid1'], 'tini');
    assert.equal(kv['memtotal_kb'], '2014568');
    assert.equal(kv['memfree_kb'], '1523400');
    assert.equal(kv['nproc'], '7');
    assert.equal(kv['debian_version'], '12.8');
    assert.equal(kv['systemd'], undefined);
    const f = parseFacts(Object.entries(kv).map(([k, v]) => `${k}=${v}`).join('\n'));
    assert.equal(f['distribution'], 'Debian');
    assert.equal(f['distribution_version'], '12.8');
    assert.equal(f['distribution_release'], 'bookworm');
    assert.equal(f['os_family'], 'Debian');
    assert.equal(f['processor_vcpus'], 7);
    assert.equal(f['memtotal_mb'], 1967);
  });

  it('the fqdn is the first name of the first /etc/hosts line naming the host, comments ignored', () => {
    assert.equal(runScript('sh', root)['fqdn'], 'web1.example.org');
  });

  it('asks hostname -f when /etc/hosts does not name the host, or nsswitch does not read it first', () => {
    put('/proc/sys/kernel/hostname', `${sh('cat /proc/sys/kernel/hostname')}\n`);
    put('/etc/hosts', '127.0.0.1 localhost\n');
    const real = sh('timeout 2 hostname -f 2>/dev/null || hostname 2>/dev/null');
    assert.equal(runScript('sh', root)['fqdn'], real);
    put('/etc/hosts', `10.9.9.9 fake.example ${sh('cat /proc/sys/kernel/hostname')}\n`);
    assert.equal(runScript('sh', root)['fqdn'], 'fake.example');
    put('/etc/nsswitch.conf', 'hosts: dns files\n');
    assert.equal(runScript('sh', root)['fqdn'], real);
  });

  it('falls back to the programs when a file is missing or unexpected', () => {
    rmSync(join(root, 'proc/sys/kernel/arch'));
    put('/sys/devices/system/cpu/online', 'garbage\n');
    const kv = runScript('sh', root);
    assert.equal(kv['arch'], sh('uname -m'));
    assert.equal(kv['nproc'], sh('getconf _NPROCESSORS_ONLN'));
  });

  it('takes the effective uid from /proc/self/status and its name from /etc/passwd', () => {
    put('/proc/self/status', 'Name:\tsh\nUmask:\t0022\nUid:\t1000\t1001\t1001\t1001\nGid:\t1000\t1000\t1000\t1000\n');
    put('/etc/passwd', 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\ndeploy:x:1001:1001::/srv:/bin/sh\n');
    const kv = runScript('sh', root);
    assert.equal(kv['uid'], '1001');
    assert.equal(kv['user'], 'deploy');
  });

  it('asks id when /etc/passwd does not name the uid (an LDAP user)', () => {
    put('/proc/self/status', 'Uid:\t4242\t4242\t4242\t4242\n');
    put('/etc/passwd', 'root:x:0:0:root:/root:/bin/bash\n');
    const kv = runScript('sh', root);
    // id answers for the real process: this machine's user.
    assert.equal(kv['uid'], sh('id -u'));
    assert.equal(kv['user'], sh('id -un'));
  });

  it('execs only ip when the files are there (strace)', function () {
    if (spawnSync('strace', ['-V']).status !== 0) this.skip();
    put('/proc/self/status', `Uid:\t${sh('id -u')}\t${sh('id -u')}\t0\t0\n`);
    put('/etc/passwd', `${sh('id -un')}:x:${sh('id -u')}:0::/:/bin/sh\n`);
    const log = join(root, 'strace.log');
    execFileSync('strace', ['-f', '-qq', '-o', log, '-e', 'trace=execve,fork,vfork,clone,clone3', 'sh', '-c', `(\n${FACTS_SCRIPT}\n)`, 'sh', root], { stdio: 'ignore' });
    const lines = readFileSync(log, 'utf8').split('\n');
    const execs = lines.filter((l) => /execve\(/.test(l) && /= 0$/.test(l)).map((l) => /execve\("[^"]*\/([^/"]+)"/.exec(l)?.[1]);
    // The first exec is sh itself; then at most `ip` twice (no default route: the address).
    assert.equal(execs[0], 'sh');
    assert.ok(execs.slice(1).every((p) => p === 'ip'), execs.join(' '));
    assert.ok(execs.length <= 3, execs.join(' '));
    const forks = lines.filter((l) => /\b(fork|vfork|clone|clone3)\(/.test(l) && !/= -1/.test(l)).length;
    assert.ok(forks <= 3, `${forks} forks`);
  });
});

describe('facts: gatherFacts in a shell whose positional parameters were changed', () => {
  it('reads / (an explicit empty root), not the session shell\'s $1', async () => {
    const { localConnection } = await import('../../../src/engine/connection/local.js');
    const { gatherFacts } = await import('../../../src/engine/facts/gather.js');
    const conn = localConnection();
    try {
      // `set` is a special builtin: run at the session's top level, it changes $1 for later frames.
      await conn.run(['set', '--', '/nonexistent-root']);
      const f = await gatherFacts(conn);
      if (existsSync('/etc/os-release')) assert.notEqual(f['distribution_version'], '');
      assert.equal(f['kernel'], sh('uname -r'));
    } finally {
      await conn.close();
    }
  });
});
