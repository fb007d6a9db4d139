// W5: the showcase, playbooks/site.yml, re-run on a test host it already converged (a fresh
// Debian 12 test host, test/support/testhost), kiln against ansible-core running the same roles
// with Jinja where kiln uses Handlebars (ansibleCopy below), over SSH to the host's private address.
import { appendFileSync, cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The collections the Ansible side needs (Debian's `ansible` package ships them). */
export const W5_NEEDS = [{ file: '/usr/lib/python3/dist-packages/ansible_collections/community/mysql', pkg: 'ansible', required: true }];

/**
 * The kiln roles and playbook, rewritten for ansible-playbook: Handlebars helpers become Jinja
 * filters and lookups, kiln's mysql_* become community.mysql's (same arguments, plus the socket),
 * and dns_record, which Ansible has no zone-file module for, becomes lineinfile on the line
 * dns_record writes (`www<TAB>IN<TAB>A<TAB>8.8.8.8`, its TTL left to $TTL). Templates are copied as they are: they use only `{{ var }}`.
 */
export function ansibleCopy(repo, dest) {
  cpSync(join(repo, 'roles'), join(dest, 'roles'), { recursive: true });
  writeFileSync(join(dest, 'site.yml'), readFileSync(join(repo, 'playbooks', 'site.yml'), 'utf8'));
  for (const role of readdirSync(join(dest, 'roles'))) {
    const file = join(dest, 'roles', role, 'tasks', 'main.yml');
    writeFileSync(file, toJinja(readFileSync(file, 'utf8')));
  }
}

/** One tasks file, rewritten (exported for the test that keeps it in step with the roles). */
export function toJinja(text) {
  let t = text
    .replace(/'\{\{file \(concat role_path "([^"]+)"\)\}\}'/g, (_, p) => `"{{ lookup('file', role_path + '${p}') }}"`)
    .replace(/\{\{(dirname|basename|quote) ([\w.]+)\}\}/g, (_, f, v) => `{{ ${v} | ${f} }}`)
    .replace(/^(\s+)mysql_(db|user):\n((?:\1 {2}.*\n)+)/gm, (_, ind, m, body) => `${ind}community.mysql.mysql_${m}:\n${body}${ind}  login_unix_socket: /run/mysqld/mysqld.sock\n`);
  t = t.replace(/^( {2})dns_record:\n(?:\1 {2}.*\n)+/m, (_, ind) =>
    [
      `${ind}lineinfile:`,
      `${ind}  path: "{{ dns_zone_file }}"`,
      `${ind}  regexp: "^{{ item.record | regex_escape }}\\\\s+(\\\\d+\\\\s+)?IN\\\\s+{{ item.type }}\\\\s"`,
      `${ind}  line: "{{ item.record }}\\tIN\\t{{ item.type }}\\t{{ item.value }}"`,
      '',
    ].join('\n'),
  );
  const left = /\{\{(?!\s)[a-z]|^\s+(mysql_db|mysql_user|dns_record):/m.exec(t);
  if (left) throw new Error(`bench W5: no Ansible equivalent for ${JSON.stringify(left[0])} in the roles; teach bench/lib/w5.mjs toJinja`);
  return t;
}

/**
 * Boot the test host, converge nothing yet, and write both inventories. The host's key goes into
 * each known_hosts file the tools read (host key checking stays on). Returns what plan() needs.
 */
export async function setupW5(ctx, repo, knownHostsFiles, onCleanup, log) {
  // The harness is TypeScript: tsx (a dev dependency, as the tests use) loads it.
  const { tsImport } = await import('tsx/esm/api');
  const { startHost } = await tsImport(pathToFileURL(join(repo, 'test/support/testhost/host.ts')).href, import.meta.url);
  log('W5: booting a fresh Debian 12 test host (systemd)');
  const host = await startHost({ name: 'bench-w5', flavour: 'systemd' });
  onCleanup(() => host.stop());
  const dir = join(ctx.tmp, 'w5');
  // ssh(1) reads ~/.ssh from the passwd entry, not $HOME: Ansible is given the file by name.
  mkdirSync(dir, { recursive: true });
  const knownHosts = join(dir, 'known_hosts');
  for (const f of [...knownHostsFiles, knownHosts]) appendFileSync(f, `${host.knownHostsLine}\n`);
  // Each tool gets site.yml with roles/ beside it, where both look for roles.
  cpSync(join(repo, 'roles'), join(dir, 'kiln', 'roles'), { recursive: true });
  cpSync(join(repo, 'playbooks', 'site.yml'), join(dir, 'kiln', 'site.yml'));
  ansibleCopy(repo, join(dir, 'ansible'));
  const kilnInv = join(dir, 'kiln.ini');
  writeFileSync(kilnInv, `[web]\n${host.name} kiln_host=${host.ip} kiln_user=root kiln_private_key_file=${host.keyFile}\n`);
  const ansibleInv = join(dir, 'ansible.ini');
  writeFileSync(ansibleInv, `[web]\n${host.name} ansible_host=${host.ip} ansible_user=root ansible_ssh_private_key_file=${host.keyFile} ansible_python_interpreter=/usr/bin/python3 ansible_ssh_common_args='-o UserKnownHostsFile=${knownHosts}'\n`);
  return { host, kilnInv, ansibleInv, kilnSite: join(dir, 'kiln', 'site.yml'), ansibleSite: join(dir, 'ansible', 'site.yml') };
}
