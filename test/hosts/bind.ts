// A real BIND 9 on a test host, authoritative only: installed while named cannot start (masked, and a
// policy-rc.d that forbids starts), configured with recursion no, dnssec-validation no and no root
// hints, and only then started. It serves foobar.com from a zone file and dyn.foobar.com by dynamic
// update with a TSIG key. It never asks anything of any other server.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import type { TestHost } from '../support/testhost/host.js';

export const KEY_NAME = 'kiln-key';
export const FOOBAR_FILE = '/etc/bind/db.foobar.com';
export const DYN_FILE = '/var/lib/bind/db.dyn.foobar.com';

/** foobar.com as an operator keeps it: comments, $TTL, a multi-line SOA with a plain serial. */
export const FOOBAR_ZONE = `; foobar.com: kept by hand, and by kiln's dns_record
$TTL 3600
@\tIN\tSOA\tns1.foobar.com. hostmaster.foobar.com. (
\t\t1\t; serial
\t\t3600\t; refresh
\t\t900\t; retry
\t\t604800\t; expire
\t\t300 )\t; negative caching TTL
\tIN\tNS\tns1
ns1\tIN\tA\t127.0.0.1
; the application's own records
app\tIN\tA\t10.0.0.10
\tIN\tTXT\t"app server; do not remove"
`;

const DYN_ZONE = `$TTL 3600
@\tIN\tSOA\tns1.foobar.com. hostmaster.foobar.com. ( 1 3600 900 604800 300 )
\tIN\tNS\tns1.foobar.com.
`;

/** A fresh TSIG secret (base64 of 32 random bytes), as tsig-keygen makes them. */
export function newSecret(): string {
  return randomBytes(32).toString('base64');
}

async function sh(h: TestHost, script: string, input?: string): Promise<string> {
  const r = await h.exec(['sh', '-c', script], { timeoutMs: 10 * 60_000, ...(input !== undefined ? { input } : {}) });
  assert.equal(r.code, 0, `${h.name}: ${script}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** Install, configure and start named on `h`; the key's secret goes over stdin. */
export async function setupBind(h: TestHost, secret: string): Promise<void> {
  // Nothing may start named before it is configured.
  await sh(h, "printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && systemctl mask named.service");
  await sh(h, 'DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bind9 bind9-dnsutils >/dev/null');
  const conf = `options {
  directory "/var/cache/bind";
  recursion no;
  dnssec-validation no;
  allow-transfer { none; };
  listen-on { any; };
  listen-on-v6 { none; };
  notify no;
};
include "/etc/bind/named.conf.zones";
`;
  // No default-zones include: no root hints ("." type hint), nothing to ask the root servers.
  await sh(h, 'cat > /etc/bind/named.conf', conf);
  await sh(h, `umask 027; { printf 'key "${KEY_NAME}" { algorithm hmac-sha256; secret "'; cat; printf '"; };\\n'; } > /etc/bind/kiln.key && chgrp bind /etc/bind/kiln.key`, secret);
  const zones = `include "/etc/bind/kiln.key";
zone "foobar.com" { type primary; file "${FOOBAR_FILE}"; };
zone "dyn.foobar.com" { type primary; file "${DYN_FILE}"; update-policy { grant ${KEY_NAME} zonesub ANY; }; };
`;
  await sh(h, 'cat > /etc/bind/named.conf.zones', zones);
  await sh(h, `cat > ${FOOBAR_FILE} && chgrp bind ${FOOBAR_FILE} && chmod 0644 ${FOOBAR_FILE}`, FOOBAR_ZONE);
  await sh(h, `cat > ${DYN_FILE} && chown bind:bind ${DYN_FILE}`, DYN_ZONE);
  await sh(h, 'named-checkconf -z /etc/bind/named.conf >/dev/null');
  await sh(h, 'rm -f /usr/sbin/policy-rc.d && systemctl unmask named.service && systemctl start named.service');
  // Ready when it answers for both zones.
  for (let i = 0; ; i++) {
    const r = await h.exec(['dig', `@${h.ip}`, '+norecurse', '+short', 'dyn.foobar.com', 'SOA']);
    if (r.code === 0 && r.stdout.trim() !== '') break;
    if (i > 50) throw new Error(`named does not answer on ${h.ip}: ${r.stdout}${r.stderr}\n${await sh(h, 'journalctl -u named --no-pager | tail -20')}`);
    await new Promise((done) => setTimeout(done, 200));
  }
}

/** `dig @host NAME TYPE`, asked inside the host (no packet leaves the host's namespace): status and answers. */
export async function ask(h: TestHost, name: string, type: string): Promise<{ status: string; answers: string[] }> {
  const r = await h.exec(['dig', `@${h.ip}`, '+norecurse', '+noall', '+comments', '+answer', name, type]);
  assert.equal(r.code, 0, `dig ${name} ${type}: ${r.stdout}${r.stderr}`);
  const status = /status: ([A-Z]+)/.exec(r.stdout)?.[1] ?? 'none';
  const answers = r.stdout
    .split('\n')
    .filter((l) => l && !l.startsWith(';'))
    .map((l) => l.split(/\s+/).slice(4).join(' '))
    .sort();
  return { status, answers };
}

/** The zone's SOA serial as the server answers it. */
export async function serial(h: TestHost, zone: string): Promise<number> {
  const r = await h.exec(['dig', `@${h.ip}`, '+norecurse', '+short', zone, 'SOA']);
  const n = Number(r.stdout.trim().split(/\s+/)[2]);
  assert.ok(Number.isInteger(n), `no SOA for ${zone}: ${r.stdout}${r.stderr}`);
  return n;
}

/** sha256 of a file on the host. */
export async function checksum(h: TestHost, path: string): Promise<string> {
  return (await sh(h, `sha256sum ${path}`)).split(' ')[0] as string;
}
