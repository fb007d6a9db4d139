// The workloads: for each, the kiln and the ansible-playbook command, what a run must report to
// count, and what to do before it. Files live in the bench's temp dir (see setupFiles).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIFTY, TEN, tasks, writeFactsPlaybook, writeLocalInventory, writeSshInventory, writeTaskPlaybook } from './playbooks.mjs';

export const GROUPS = ['W1', 'W2', 'W3', 'W4', 'W5', 'floor', 'validate'];
export const FLEET_HOSTS = 20;
const FORKS = '10';

/** Single-quote for sh. */
export function sq(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`;
}

/** Write playbooks and inventories under `tmp`; returns their paths. `sshd` may be undefined. */
export function setupFiles(tmp, sshd) {
  const play = join(tmp, 'play');
  const inv = join(tmp, 'inv');
  const targets = join(tmp, 'targets');
  for (const d of [play, inv, targets]) mkdirSync(d, { recursive: true });
  const f = {
    play,
    targets,
    site50: writeTaskPlaybook(play, 'site50.yml', FIFTY, 'fifty tasks'),
    site10: writeTaskPlaybook(play, 'site10.yml', TEN, 'ten tasks'),
    facts: writeFactsPlaybook(play),
    root: (tool, w) => join(targets, tool, w),
  };
  for (const tool of ['kiln', 'ansible']) {
    f[`${tool}Local`] = writeLocalInventory(join(inv, `${tool}-local.ini`), f.root(tool, 'w1'));
    f[`${tool}First`] = writeLocalInventory(join(inv, `${tool}-first.ini`), f.root(tool, 'w1-first'));
    if (sshd) {
      f[`${tool}Ssh`] = writeSshInventory(join(inv, `${tool}-ssh.ini`), { ports: sshd.ports.slice(0, 1), clientKey: sshd.clientKey, rootBase: f.root(tool, 'w2'), single: true });
      f[`${tool}Fleet`] = writeSshInventory(join(inv, `${tool}-fleet.ini`), { ports: sshd.ports.slice(0, FLEET_HOSTS), clientKey: sshd.clientKey, rootBase: f.root(tool, 'w3') });
    }
  }
  f.floorRoot = f.root('floor', 'w1');
  f.floorInv = writeLocalInventory(join(inv, 'floor.ini'), f.floorRoot);
  return f;
}

/** ssh(1) options for the floor: one ControlMaster for all 50 commands, host key checked. */
function floorSsh(tmp, sshd) {
  const cm = join(tmp, 'cm-floor');
  mkdirSync(cm, { recursive: true, mode: 0o700 });
  return {
    dir: cm,
    args: ['-o', 'ControlMaster=auto', '-o', 'ControlPersist=300s', '-o', `ControlPath=${cm}/%C`, '-o', `UserKnownHostsFile=${sshd.knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-i', sshd.clientKey, '-p', String(sshd.ports[0]), 'root@127.0.0.1'],
  };
}

/**
 * The plan: groups of `pairs` (kiln vs Ansible, alternating, with `companions` run in the same
 * loop) and `singles` (floor commands without their workload). A side is
 * { cmd, args, expect, before? }; expect is { hosts, changed } checked against the recap, or
 * { exitOnly: true }.
 */
export function plan(ctx, selected) {
  const { cli, f, sshd, tmp } = ctx;
  const node = process.execPath;
  // The bin runs itself, through its first line, as `kiln` and `npx kiln` do (that line starts
  // node without NODE_EXTRA_CA_CERTS: src/cli/extra_ca_certs.ts).
  const kiln = (...args) => ({ cmd: cli, args });
  const ansible = (...args) => ({ cmd: 'ansible-playbook', args });
  const n50 = tasks(FIFTY).length;
  const groups = [];

  // The floor: the checks a no-op run has to make, as the cheapest commands that make them.
  // Each floor command runs in the same A B loop as the workload it is compared with (W1: local,
  // W2: SSH), so both see the same load; without that workload it runs on its own.
  const floor = { local: [], ssh: [] };
  if (selected.has('floor')) {
    const checks = tasks(FIFTY).map((t) => `test ${t.check.test} ${sq(join(f.floorRoot, t.check.path))}`);
    const script = `set -e\n${checks.join('\n')}\n`;
    const dir = join(tmp, 'floor');
    mkdirSync(dir, { recursive: true });
    const localEach = join(dir, 'local-each.sh');
    writeFileSync(localEach, `set -e\n${checks.map((c) => `sh -c ${sq(c)}`).join('\n')}\n`);
    const ssh = floorSsh(tmp, sshd);
    ctx.controlDirs.push(ssh.dir);
    const sshEach = join(dir, 'ssh-each.sh');
    writeFileSync(sshEach, `set -e\n${checks.map((c) => `ssh ${ssh.args.map(sq).join(' ')} ${sq(c)}`).join('\n')}\n`);
    const ok = { exitOnly: true };
    floor.local = [
      { id: 'floor-local-each', title: "floor, local: 50 `sh -c 'test …'` spawned from bash", cmd: 'bash', args: [localEach], expect: ok },
      { id: 'floor-local-batch', title: 'floor, local: the 50 checks as one sh script', cmd: 'sh', args: ['-c', script], expect: ok },
    ];
    floor.ssh = [
      { id: 'floor-ssh-each', title: 'floor, SSH: 50 separate `ssh` commands over one warm ControlMaster', cmd: 'bash', args: [sshEach], expect: ok },
      { id: 'floor-ssh-batch', title: 'floor, SSH: the 50 checks as one remote script, one `ssh` over the ControlMaster', cmd: 'ssh', args: [...ssh.args, script], expect: ok },
    ];
    groups.push({
      name: 'floor',
      prime: { ...kiln('play', f.site50, '-i', f.floorInv), expect: { hosts: 1, changed: n50 } },
      pairs: [],
      singles: [...(selected.has('W1') ? [] : floor.local), ...(selected.has('W2') ? [] : floor.ssh)],
    });
  }

  if (selected.has('W1')) {
    const fresh = (tool) => () => rmSync(f.root(tool, 'w1-first'), { recursive: true, force: true });
    groups.push({
      name: 'W1',
      pairs: [
        {
          id: 'W1-first',
          title: 'W1: 50 file/copy tasks, local, first run (fresh target)',
          kiln: { ...kiln('play', f.site50, '-i', f.kilnFirst), before: fresh('kiln'), expect: { hosts: 1, changed: n50 } },
          ansible: { ...ansible('-i', f.ansibleFirst, f.site50), before: fresh('ansible'), expect: { hosts: 1, changed: n50 } },
          compare: [[f.root('kiln', 'w1-first'), f.root('ansible', 'w1-first')]],
        },
        {
          id: 'W1-noop',
          title: 'W1: 50 file/copy tasks, local, no-op re-run',
          prime: { hosts: 1, changed: n50 },
          kiln: { ...kiln('play', f.site50, '-i', f.kilnLocal), expect: { hosts: 1, changed: 0 } },
          ansible: { ...ansible('-i', f.ansibleLocal, f.site50), expect: { hosts: 1, changed: 0 } },
          compare: [[f.root('kiln', 'w1'), f.root('ansible', 'w1')]],
          companions: floor.local,
        },
      ],
      singles: [],
    });
  }
  if (selected.has('W2')) {
    groups.push({
      name: 'W2',
      pairs: [
        {
          id: 'W2-noop',
          title: 'W2: 50 file/copy tasks, SSH, no-op re-run',
          prime: { hosts: 1, changed: n50 },
          kiln: { ...kiln('play', f.site50, '-i', f.kilnSsh), expect: { hosts: 1, changed: 0 } },
          ansible: { ...ansible('-i', f.ansibleSsh, f.site50), expect: { hosts: 1, changed: 0 } },
          compare: [[f.root('kiln', 'w2'), f.root('ansible', 'w2')]],
          companions: floor.ssh,
        },
      ],
      singles: [],
    });
  }
  if (selected.has('W3')) {
    const hosts = Array.from({ length: FLEET_HOSTS }, (_, i) => `h${String(i + 1).padStart(2, '0')}`);
    groups.push({
      name: 'W3',
      pairs: [
        {
          id: 'W3-noop',
          title: `W3: ${FLEET_HOSTS} SSH hosts × ${tasks(TEN).length} tasks, forks ${FORKS}, no-op re-run`,
          prime: { hosts: FLEET_HOSTS, changed: tasks(TEN).length },
          kiln: { ...kiln('play', f.site10, '-i', f.kilnFleet, '--forks', FORKS), expect: { hosts: FLEET_HOSTS, changed: 0 } },
          ansible: { ...ansible('-i', f.ansibleFleet, '--forks', FORKS, f.site10), expect: { hosts: FLEET_HOSTS, changed: 0 } },
          compare: hosts.map((h) => [join(f.root('kiln', 'w3'), h), join(f.root('ansible', 'w3'), h)]),
        },
      ],
      singles: [],
    });
  }
  if (selected.has('W4')) {
    groups.push({
      name: 'W4',
      pairs: [
        {
          id: 'W4-local',
          title: 'W4: fact gathering alone, local',
          kiln: { ...kiln('play', f.facts, '-i', f.kilnLocal), expect: { hosts: 1, changed: 0 } },
          ansible: { ...ansible('-i', f.ansibleLocal, f.facts), expect: { hosts: 1, changed: 0 } },
        },
        {
          id: 'W4-ssh',
          title: 'W4: fact gathering alone, SSH',
          kiln: { ...kiln('play', f.facts, '-i', f.kilnSsh), expect: { hosts: 1, changed: 0 } },
          ansible: { ...ansible('-i', f.ansibleSsh, f.facts), expect: { hosts: 1, changed: 0 } },
        },
      ],
      singles: [],
    });
  }
  if (selected.has('W5') && ctx.w5) {
    const w = ctx.w5;
    groups.push({
      name: 'W5',
      pairs: [
        {
          id: 'W5-noop',
          title: 'W5: playbooks/site.yml (the showcase stack), one SSH test host, no-op re-run',
          // kiln converges the fresh host; Ansible's first run on it must then find nothing to do,
          // or the two playbooks are not equivalent.
          prime: { kiln: { hosts: 1, changed: 'any' }, ansible: { hosts: 1, changed: 0 } },
          kiln: { ...kiln('play', w.kilnSite, '-i', w.kilnInv), expect: { hosts: 1, changed: 0 } },
          ansible: { ...ansible('-i', w.ansibleInv, w.ansibleSite), expect: { hosts: 1, changed: 0 } },
        },
      ],
      singles: [],
    });
  }
  if (selected.has('validate')) {
    groups.push({
      name: 'validate',
      pairs: [
        {
          id: 'validate',
          title: '`kiln validate` vs `ansible-playbook --syntax-check`, 50-task playbook',
          kiln: { ...kiln('validate', f.site50, '-i', f.kilnLocal), expect: { exitOnly: true } },
          ansible: { ...ansible('--syntax-check', '-i', f.ansibleLocal, f.site50), expect: { exitOnly: true } },
          companions: [
            { id: 'node-empty', title: 'start-up reference: `node -e 0`', cmd: node, args: ['-e', '0'], expect: { exitOnly: true } },
            ...(process.env.NODE_EXTRA_CA_CERTS
              ? [{ id: 'node-empty-no-ca', title: 'start-up reference: `node -e 0` without NODE_EXTRA_CA_CERTS (as the bin starts node)', cmd: 'env', args: ['-u', 'NODE_EXTRA_CA_CERTS', node, '-e', '0'], expect: { exitOnly: true } }]
              : []),
            { id: 'kiln-version', title: 'start-up reference: `kiln --version` (loads the CLI; subcommands load lazily)', cmd: cli, args: ['--version'], expect: { exitOnly: true } },
          ],
        },
      ],
      singles: [],
    });
  }
  return groups;
}
