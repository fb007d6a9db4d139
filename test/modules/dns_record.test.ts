// dns_record: arguments, read/plan/apply of both backends against canned host answers (the real
// BIND runs in test/hosts/dns_record.test.ts), check mode's pending rule, the once-per-run serial,
// and the TSIG secret kept out of argv, messages and diffs.
import { strict as assert } from 'node:assert';
import type { Connection, PutOptions, RunOptions, RunResult } from '../../src/engine/connection/types.js';
import { PutError } from '../../src/engine/connection/shell_connection.js';
import { ModuleError } from '../../src/engine/errors.js';
import type { Change } from '../../src/engine/result.js';
import type { ModuleContext } from '../../src/engine/module.js';
import { PlannedState } from '../../src/engine/planned.js';
import { Secret } from '../../src/engine/secret.js';
import { validateAgainst } from '../../src/engine/schema/validate.js';
import { dns_record, type DnsPlan, type DnsRecordArgs } from '../../src/modules/dns_record.js';
import { fakeCtx, schemaChecks } from './helpers.js';

const FILE = '/etc/bind/db.foobar.com';
const ZONE_TEXT = `$TTL 3600
@ IN SOA ns1 hostmaster ( 7 3600 900 604800 300 )
  IN NS ns1
ns1 IN A 10.0.0.1 ; keep me
www IN A 1.2.3.4
`;
const SECRET = 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ=';

interface Call {
  kind: 'run' | 'script' | 'put' | 'get';
  argv: string[];
  script?: string;
  stdin?: string;
  put?: { path: string; bytes: Buffer; opts: PutOptions };
}

/** A host with files and canned command answers, recording every call. */
class Host implements Connection {
  readonly host = 'dns1';
  readonly calls: Call[] = [];
  readonly files = new Map<string, Buffer>();
  constructor(
    private readonly answer: (c: Call) => Partial<RunResult> = () => ({}),
    private readonly putFails?: string,
  ) {}
  run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return this.reply({ kind: 'run', argv: [...argv], stdin: opts.stdin?.toString() });
  }
  script(script: string, args: readonly string[] = [], opts: RunOptions = {}): Promise<RunResult> {
    return this.reply({ kind: 'script', argv: [...args], script, stdin: opts.stdin?.toString() });
  }
  async put(content: string | Buffer, path: string, opts: PutOptions = {}): Promise<{ backupPath?: string }> {
    const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
    this.calls.push({ kind: 'put', argv: [path], put: { path, bytes, opts } });
    if (this.putFails !== undefined) throw new PutError(path, 3, this.putFails);
    this.files.set(path, bytes);
    return {};
  }
  async get(path: string): Promise<Buffer | null> {
    this.calls.push({ kind: 'get', argv: [path] });
    return this.files.get(path) ?? null;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  private reply(c: Call): Promise<RunResult> {
    this.calls.push(c);
    return Promise.resolve({ rc: 0, stdout: '', stderr: '', ...this.answer(c) });
  }
}

/** The zone file host: named-checkzone is there, no journal. */
function zoneHost(text = ZONE_TEXT, extra: (c: Call) => Partial<RunResult> | undefined = () => undefined, putFails?: string): Host {
  const h = new Host((c) => extra(c) ?? (c.kind === 'script' && c.script?.includes('named-checkzone') ? { stdout: 'checkzone\n' } : {}), putFails);
  h.files.set(FILE, Buffer.from(text, 'latin1'));
  return h;
}

const ZF: DnsRecordArgs = { zone: 'foobar.com', zone_file: FILE, record: 'www', type: 'A', value: '8.8.8.8' };

async function run(conn: Connection, args: DnsRecordArgs, over: Partial<ModuleContext> = {}, check = false): Promise<DnsPlan> {
  const ctx = fakeCtx(conn, over);
  const plan = dns_record.plan(await dns_record.read(ctx, args), args) as DnsPlan;
  if (plan.steps.length === 0) assert.ok(plan.okReason);
  if (!check && plan.steps.length) await dns_record.apply(ctx, args, plan);
  return plan;
}

const changes = (plan: DnsPlan): Change[] => plan.steps.map((s) => s.change);

const fails = async (p: Promise<unknown>, re: RegExp): Promise<void> => {
  await assert.rejects(p, (e: unknown) => e instanceof ModuleError && re.test(e.message));
};

schemaChecks(dns_record);

describe('dns_record: arguments', () => {
  const problems = (args: Record<string, unknown>): string[] => validateAgainst('modules/dns_record.schema.json', args).map((p) => p.format());

  it('takes valid tasks of both backends, and community.general.nsupdate\'s arguments as they are', () => {
    assert.deepEqual(problems({ ...ZF }), []);
    assert.deepEqual(problems({ zone: 'foobar.com', zone_file: FILE, record: 'mail', type: 'MX', value: ['10 mail', '20 mx2.example.net.'], ttl: 300 }), []);
    assert.deepEqual(
      problems({ server: '10.0.0.53', port: 5353, key_name: 'kiln-key', key_secret: SECRET, key_algorithm: 'hmac-md5', zone: 'dyn.foobar.com', record: 'host', type: 'AAAA', value: ['2001:db8::1'], ttl: 600, state: 'present', protocol: 'udp' }),
      [],
    );
    assert.deepEqual(problems({ server: '10.0.0.53', record: 'www.dyn.foobar.com.', state: 'absent' }), []);
  });

  it('checks values per type in the schema, before any host is contacted', () => {
    const a = problems({ ...ZF, value: 'www' });
    assert.equal(a.length, 1);
    assert.match(a[0]!, /an A record's value is an IPv4 address/);
    assert.match(problems({ ...ZF, value: ['8.8.8.8', '8.8.8'] }).join('\n'), /IPv4 address/);
    assert.match(problems({ ...ZF, type: 'AAAA', value: '8.8.8.8' }).join('\n'), /IPv6 address/);
    assert.match(problems({ ...ZF, type: 'MX', value: 'mail' }).join('\n'), /preference and a mail server/);
    assert.match(problems({ ...ZF, type: 'CNAME', value: ['a', 'b'] }).join('\n'), /at most one CNAME/);
    assert.match(problems({ ...ZF, type: 'a' }).join('\n'), /A, AAAA, CNAME/);
    assert.match(problems({ zone: 'foobar.com', record: 'www', value: '8.8.8.8' }).join('\n'), /zone_file .* or server/);
    assert.match(problems({ ...ZF, value: undefined }).join('\n'), /value/);
    assert.match(problems({ ...ZF, ttl: '1h' }).join('\n'), /ttl/);
  });

  it('refuses in read, before contact, what the schema cannot say', async () => {
    const h = zoneHost();
    await fails(dns_record.read(fakeCtx(h), { ...ZF, record: 'www.foobar.com' }), /is relative, so it means www\.foobar\.com\.foobar\.com\./);
    await fails(dns_record.read(fakeCtx(h), { ...ZF, value: '8.8.8.300' }), /is not an IPv4 address/);
    await fails(dns_record.read(fakeCtx(h), { record: 'www', value: '8.8.8.8', zone_file: FILE, server: 'x' }), /say which backend/);
    await fails(dns_record.read(fakeCtx(h), { record: 'www', value: '8.8.8.8', zone_file: FILE }), /needs zone:/);
    await fails(dns_record.read(fakeCtx(h), { record: 'www', value: '8.8.8.8', server: '127.0.0.1' }), /relative, and no zone is given/);
    await fails(dns_record.read(fakeCtx(h), { ...ZF, server: '127.0.0.1', backend: 'nsupdate', key_name: 'k' }), /key_name and key_secret together/);
    await fails(dns_record.read(fakeCtx(h), { ...ZF, server: '127.0.0.1', backend: 'nsupdate', key_name: 'k', key_secret: new Secret('not base64!') }), /key_secret is not base64.*not shown/);
    assert.deepEqual(h.calls, [], 'nothing was asked of the host');
  });
});

describe('dns_record: zonefile backend', () => {
  it('is ok, saying why, when the set is as asked; the file and serial stay', async () => {
    const h = zoneHost();
    const plan = await run(h, { ...ZF, value: '1.2.3.4' });
    assert.equal(plan.steps.length, 0);
    assert.equal(plan.okReason, `www.foobar.com. A in ${FILE} already is 1.2.3.4 (TTL 3600)`);
    assert.equal(plan.data?.['serial'], 7);
    assert.equal(h.calls.filter((c) => c.kind === 'put' || c.kind === 'run').length, 0);
  });

  it('writes through named-checkzone, keeps the rest of the file, bumps the serial and reloads', async () => {
    const h = zoneHost();
    const plan = await run(h, ZF);
    assert.deepEqual(
      changes(plan).map((c) => c.summary),
      [`www.foobar.com. A: add 8.8.8.8, remove 1.2.3.4 in ${FILE}; SOA serial 7 -> 8`, 'rndc reload foobar.com'],
    );
    assert.deepEqual(changes(plan)[0]?.diff, {
      path: `www.foobar.com. A (${FILE})`,
      before: 'www.foobar.com. 3600 IN A 1.2.3.4\n',
      after: 'www.foobar.com. 3600 IN A 8.8.8.8\n',
      beforeHeader: `www.foobar.com. A (${FILE})`,
      afterHeader: `www.foobar.com. A (${FILE})`,
    });
    const put = h.calls.find((c) => c.kind === 'put')!.put!;
    assert.deepEqual(put.opts.validate, ['named-checkzone', 'foobar.com', '%s']);
    assert.equal(put.bytes.toString('latin1'), ZONE_TEXT.replace('( 7 ', '( 8 ').replace('1.2.3.4', '8.8.8.8'));
    assert.deepEqual(h.calls.at(-1)?.argv, ['rndc', 'reload', 'foobar.com']);
    assert.deepEqual(plan.data, { backend: 'zonefile', zone: 'foobar.com.', zone_file: FILE, record: 'www.foobar.com.', type: 'A', before: ['1.2.3.4'], value: ['8.8.8.8'], ttl: 3600, serial: 8 });
  });

  it('bumps the serial once per run: later tasks (or loop items) on the zone keep it', async () => {
    const h = zoneHost();
    await run(h, ZF);
    const second = await run(h, { ...ZF, record: 'ftp', value: '10.0.0.21' });
    assert.match(changes(second)[0]!.summary, /SOA serial 8 already bumped by an earlier task of this run$/);
    const third = await run(h, { ...ZF, record: 'ftp', value: '10.0.0.21' });
    assert.equal(third.steps.length, 0);
    assert.match(h.files.get(FILE)!.toString(), /\( 8 3600/);
    // Another run (another connection) to the same file bumps again.
    const other = zoneHost(h.files.get(FILE)!.toString('latin1'));
    const next = await run(other, { ...ZF, value: '9.9.9.9' });
    assert.match(changes(next)[0]!.summary, /SOA serial 8 -> 9$/);
  });

  it('check mode plans the same, writes nothing and remembers nothing', async () => {
    const h = zoneHost();
    const a = await run(h, ZF, {}, true);
    const b = await run(h, { ...ZF, record: 'ftp', value: '10.0.0.21' }, {}, true);
    assert.match(changes(a)[0]!.summary, /SOA serial 7 -> 8$/);
    assert.match(changes(b)[0]!.summary, /SOA serial 7 -> 8$/);
    assert.equal(h.calls.filter((c) => c.kind === 'put' || c.kind === 'run').length, 0);
  });

  it('reload: false leaves the reload to a handler', async () => {
    const h = zoneHost();
    const plan = await run(h, { ...ZF, reload: false });
    assert.equal(plan.steps.length, 1);
    assert.equal(h.calls.filter((c) => c.kind === 'run').length, 0);
  });

  it('a candidate named-checkzone rejects fails the task with its message and the real file name; no reload', async () => {
    const said = `/etc/bind/.kiln.Ab3dEf9h:12: www.foobar.com: CNAME and other data\nzone foobar.com/IN: loading from master file /etc/bind/.kiln.Ab3dEf9h failed: CNAME and other data\nkiln: validation failed: named-checkzone foobar.com %s`;
    const h = zoneHost(ZONE_TEXT, undefined, said);
    await fails(
      run(h, ZF),
      new RegExp(`^named-checkzone foobar.com rejects ${FILE} with this change, so the file was not changed and named serves the zone as before:\\n${FILE}:12: www.foobar.com: CNAME and other data\\nzone foobar.com/IN: loading from master file ${FILE} failed: CNAME and other data$`),
    );
    assert.equal(h.files.get(FILE)!.toString('latin1'), ZONE_TEXT);
    assert.equal(h.calls.filter((c) => c.kind === 'run').length, 0);
  });

  it('says what to do when rndc cannot reload', async () => {
    const h = zoneHost(ZONE_TEXT, (c) => (c.kind === 'run' ? { rc: 1, stderr: 'rndc: connect failed: 127.0.0.1#953: connection refused' } : undefined));
    await fails(run(h, ZF), /rndc reload foobar\.com failed \(rc 1\): rndc: connect failed: 127\.0\.0\.1#953: connection refused; the zone file is written.*set reload: false/);
  });

  it('refuses a zone with a journal, a missing file and a missing named-checkzone; check mode marks planned ones pending', async () => {
    const jnl = zoneHost(ZONE_TEXT, (c) => (c.kind === 'script' ? { stdout: 'journal\ncheckzone\n' } : undefined));
    await fails(run(jnl, ZF), /db\.foobar\.com\.jnl exists: foobar\.com\. takes dynamic updates.*use backend: nsupdate/);
    const none = zoneHost();
    none.files.clear();
    await fails(run(none, ZF), /zone file \/etc\/bind\/db\.foobar\.com does not exist/);
    const planned = new PlannedState();
    planned.record({ kind: 'path', key: FILE, state: 'file' }, 'write the zone');
    const p = await run(none, ZF, { planned }, true);
    assert.deepEqual(changes(p), [{ summary: `www.foobar.com. A: set to 8.8.8.8 in ${FILE}`, pending: `${FILE} is planned by task 'write the zone'` }]);

    const noTool = zoneHost(ZONE_TEXT, (c) => (c.kind === 'script' ? { stdout: '' } : undefined));
    await fails(run(noTool, ZF), /named-checkzone is not installed.*install bind9-utils/);
    const pkg = new PlannedState();
    pkg.record({ kind: 'package', key: 'bind9', state: 'present' }, 'install bind');
    const q = await run(noTool, ZF, { planned: pkg }, true);
    assert.equal(changes(q)[0]?.pending, "named-checkzone comes with bind9, planned for install by task 'install bind'");
  });

  it('reloads a zone whose file is newer than what named serves, even when the records are right', async () => {
    const probe = (lines: string) => (c: Call) => (c.kind === 'script' ? { stdout: `checkzone\n${lines}` } : undefined);
    const fresh = zoneHost(ZONE_TEXT, probe('mtime 1700000000\nloaded_serial 7\nloaded_at Tue, 14 Nov 2023 22:13:21 GMT\n'));
    const ok = await run(fresh, { ...ZF, value: '1.2.3.4' });
    assert.equal(ok.steps.length, 0);
    assert.deepEqual(fresh.calls[0]?.argv, [FILE, '1', 'foobar.com']);
    const old = zoneHost(ZONE_TEXT, probe('mtime 1700000000\nloaded_serial 6\nloaded_at Tue, 14 Nov 2023 22:13:21 GMT\n'));
    const p = await run(old, { ...ZF, value: '1.2.3.4' });
    assert.deepEqual(changes(p), [{ summary: `rndc reload foobar.com: named serves serial 6, ${FILE} has 7` }]);
    assert.deepEqual(old.calls.at(-1)?.argv, ['rndc', 'reload', 'foobar.com']);
    const touched = zoneHost(ZONE_TEXT, probe('mtime 1700000100\nloaded_serial 7\nloaded_at Tue, 14 Nov 2023 22:13:21 GMT\n'));
    assert.deepEqual(changes(await run(touched, { ...ZF, value: '1.2.3.4' }, {}, true)), [{ summary: `rndc reload foobar.com: ${FILE} changed after named last loaded it` }]);
    // named not running (rndc says nothing): nothing to compare, so no reload is planned; reload: false asks nothing.
    assert.equal((await run(zoneHost(ZONE_TEXT, probe('mtime 1700000100\n')), { ...ZF, value: '1.2.3.4' })).steps.length, 0);
    const off = zoneHost(ZONE_TEXT, probe('loaded_serial 6\nloaded_at Tue, 14 Nov 2023 22:13:21 GMT\n'));
    assert.equal((await run(off, { ...ZF, value: '1.2.3.4', reload: false })).steps.length, 0);
    assert.equal(off.calls[0]?.argv[1], '0');
  });

  it('refuses a CNAME beside the name\'s A record before touching anything', async () => {
    const h = zoneHost();
    await fails(run(h, { ...ZF, type: 'CNAME', value: 'ns1' }), /www\.foobar\.com\. has A records, so it cannot have a CNAME/);
    assert.equal(h.calls.filter((c) => c.kind === 'put').length, 0);
  });
});

// ---- nsupdate ---------------------------------------------------------------------------------

const NS: DnsRecordArgs = { server: '127.0.0.1', zone: 'dyn.foobar.com', record: 'www', value: '8.8.8.8', key_name: 'kiln-key', key_secret: new Secret(SECRET) };

/** dig +noall +comments +answer output for one query, framed as the scripts print it. */
function dig(name: string, type: string, answers: string[], o: { status?: string; aa?: boolean; rc?: number } = {}): string {
  const head = o.rc && o.rc !== 0 ? [';; communications error to 127.0.0.1#53: connection refused', ';; no servers could be reached'] : [';; Got answer:', `;; ->>HEADER<<- opcode: QUERY, status: ${o.status ?? 'NOERROR'}, id: 4242`, `;; flags: qr${o.aa === false ? '' : ' aa'}; QUERY: 1, ANSWER: ${answers.length}, AUTHORITY: 0, ADDITIONAL: 1`, '', ';; OPT PSEUDOSECTION:', '; EDNS: version: 0, flags:; udp: 1232', ';; ANSWER SECTION:'];
  return [`== q ${name} ${type} +noall`, ...head, ...answers, '', `== rc ${o.rc ?? 0}`, ''].join('\n');
}

function nsHost(reads: string[], update?: string): Host {
  return new Host((c) => {
    if (c.kind !== 'script') return {};
    if (c.script?.includes('nsupdate -k')) return { stdout: update ?? '' };
    return { stdout: reads.shift() ?? '' };
  });
}

describe('dns_record: nsupdate backend', () => {
  it('reads the set with the key on stdin only, and is ok when it is as asked', async () => {
    const h = nsHost([dig('www.dyn.foobar.com.', 'A', ['www.dyn.foobar.com.\t3600\tIN\tA\t8.8.8.8'])]);
    const plan = await run(h, NS);
    assert.equal(plan.okReason, 'www.dyn.foobar.com. A on DNS server 127.0.0.1 port 53 already is 8.8.8.8 (TTL 3600)');
    const c = h.calls[0]!;
    assert.deepEqual(c.argv, ['1', '127.0.0.1', '53', 'tcp', 'www.dyn.foobar.com.', 'A', '0', '0']);
    assert.equal(c.stdin, `key "kiln-key" { algorithm hmac-sha256; secret "${SECRET}"; };\n`);
    assert.ok(!c.script!.includes(SECRET));
  });

  it('sends one update guarded by what it read, then checks the server answers the new set', async () => {
    const before = dig('www.dyn.foobar.com.', 'A', ['www.dyn.foobar.com.\t300\tIN\tA\t1.2.3.4']);
    const after = `; TSIG ok\n== nsupdate 0\n${dig('www.dyn.foobar.com.', 'A', ['www.dyn.foobar.com.\t300\tIN\tA\t8.8.8.8', 'www.dyn.foobar.com.\t300\tIN\tA\t8.8.4.4'])}`;
    const h = nsHost([before], after);
    const plan = await run(h, { ...NS, value: ['8.8.8.8', '8.8.4.4'] });
    assert.deepEqual(
      changes(plan).map((c) => c.summary),
      ['www.dyn.foobar.com. A: add 8.8.8.8, 8.8.4.4, remove 1.2.3.4 (dynamic update to 127.0.0.1 port 53)'],
    );
    assert.deepEqual(changes(plan)[0]?.diff?.before, 'www.dyn.foobar.com. 300 IN A 1.2.3.4\n');
    assert.deepEqual(changes(plan)[0]?.diff?.after, 'www.dyn.foobar.com. 300 IN A 8.8.8.8\nwww.dyn.foobar.com. 300 IN A 8.8.4.4\n');
    const u = h.calls.at(-1)!;
    assert.deepEqual(u.argv, ['1', '127.0.0.1', '53', 'tcp', 'www.dyn.foobar.com.', 'A']);
    assert.equal(
      u.stdin,
      `key "kiln-key" { algorithm hmac-sha256; secret "${SECRET}"; };\n` +
        [
          'server 127.0.0.1 53',
          'zone dyn.foobar.com.',
          'prereq yxrrset www.dyn.foobar.com. IN A 1.2.3.4',
          'update delete www.dyn.foobar.com. IN A 1.2.3.4',
          'update add www.dyn.foobar.com. 300 IN A 8.8.8.8',
          'update add www.dyn.foobar.com. 300 IN A 8.8.4.4',
          'send',
          '',
        ].join('\n'),
    );
    assert.ok(!JSON.stringify(plan).includes(SECRET), 'the plan holds no secret');
  });

  it('a new set: prereq nxrrset and the default TTL; absent: delete the whole set', async () => {
    const h = nsHost([dig('new.dyn.foobar.com.', 'TXT', [], { status: 'NXDOMAIN' })]);
    const plan = await run(h, { ...NS, record: 'new', type: 'TXT', value: 'hello world' }, {}, true);
    const text = (plan.steps[0]!.do as { commands: string }).commands;
    assert.match(text, /prereq nxrrset new\.dyn\.foobar\.com\. IN TXT\nupdate add new\.dyn\.foobar\.com\. 3600 IN TXT "hello world"\nsend/);
    const gone = nsHost([dig('www.dyn.foobar.com.', 'A', ['www.dyn.foobar.com.\t60\tIN\tA\t1.2.3.4'])]);
    const del = await run(gone, { ...NS, value: undefined, state: 'absent' }, {}, true);
    assert.match((del.steps[0]!.do as { commands: string }).commands, /prereq yxrrset www\.dyn\.foobar\.com\. IN A 1\.2\.3\.4\nupdate delete www\.dyn\.foobar\.com\. IN A\nsend/);
  });

  it('a TTL change rewrites the whole set', async () => {
    const h = nsHost([dig('www.dyn.foobar.com.', 'A', ['www.dyn.foobar.com.\t60\tIN\tA\t8.8.8.8'])]);
    const plan = await run(h, { ...NS, ttl: 300 }, {}, true);
    assert.equal(changes(plan)[0]?.summary, 'www.dyn.foobar.com. A: TTL 60 -> 300 (dynamic update to 127.0.0.1 port 53)');
    assert.match((plan.steps[0]!.do as { commands: string }).commands, /update delete www\.dyn\.foobar\.com\. IN A\nupdate add www\.dyn\.foobar\.com\. 300 IN A 8\.8\.8\.8\n/);
  });

  it('refuses a CNAME beside other data, reading every type at the name', async () => {
    const h = nsHost([dig('www.dyn.foobar.com.', 'CNAME', []) + dig('www.dyn.foobar.com.', 'ANY', ['www.dyn.foobar.com.\t60\tIN\tA\t8.8.8.8'])]);
    await fails(run(h, { ...NS, type: 'CNAME', value: 'web' }), /has A records, so it cannot have a CNAME/);
    assert.equal(h.calls[0]!.argv[6], '1');
    const c = nsHost([dig('www.dyn.foobar.com.', 'A', ['www.dyn.foobar.com.\t60\tIN\tCNAME\tweb.dyn.foobar.com.', 'web.dyn.foobar.com.\t60\tIN\tA\t1.1.1.1'])]);
    await fails(run(c, NS), /has a CNAME, so it cannot have A records/);
  });

  it('finds the zone from the SOA when none is given', async () => {
    const soa = dig('www.dyn.foobar.com.', 'SOA', ['dyn.foobar.com.\t300\tIN\tSOA\tns1.foobar.com. hostmaster.foobar.com. 5 3600 900 604800 300'], { status: 'NXDOMAIN' });
    const h = nsHost([soa + dig('www.dyn.foobar.com.', 'A', [], { status: 'NXDOMAIN' })]);
    const plan = await run(h, { ...NS, zone: undefined, record: 'www.dyn.foobar.com.' }, {}, true);
    assert.equal(plan.data?.['zone'], 'dyn.foobar.com.');
    assert.match((plan.steps[0]!.do as { commands: string }).commands, /^zone dyn\.foobar\.com\.$/m);
  });

  it('fails with what the server said, never with the secret', async () => {
    const refused = nsHost([dig('www.dyn.foobar.com.', 'A', [], { status: 'REFUSED' })]);
    await fails(run(refused, NS), /answered REFUSED to www\.dyn\.foobar\.com\. A \(is the zone served there/);
    const notAa = nsHost([dig('www.dyn.foobar.com.', 'A', [], { aa: false })]);
    await fails(run(notAa, NS), /is not authoritative/);
    const down = nsHost([dig('www.dyn.foobar.com.', 'A', [], { rc: 9 })]);
    await fails(run(down, NS), /gave no answer to www\.dyn\.foobar\.com\. A: ;; communications error/);
    const badKey = nsHost([dig('www.dyn.foobar.com.', 'A', [])], `; TSIG error with server: tsig indicates error (echo of ${SECRET})\nupdate failed: NOTAUTH(BADSIG)\n== nsupdate 2\n`);
    await assert.rejects(run(badKey, NS), (e: unknown) => {
      assert.ok(e instanceof ModuleError);
      assert.match(e.message, /^nsupdate failed \(rc 2\): .*update failed: NOTAUTH\(BADSIG\); the server does not accept the key/s);
      assert.ok(!e.message.includes(SECRET) && !JSON.stringify(e.details).includes(SECRET), e.message);
      return true;
    });
    const raced = nsHost([dig('www.dyn.foobar.com.', 'A', [])], 'update failed: YXRRSET\n== nsupdate 2\n');
    await fails(run(raced, NS), /changed on the server since it was read: run again/);
  });

  it('fails when the server accepted the update but answers something else', async () => {
    const h = nsHost([dig('www.dyn.foobar.com.', 'A', [])], `== nsupdate 0\n${dig('www.dyn.foobar.com.', 'A', [])}`);
    await fails(run(h, NS), /the server accepted the update, but answers www\.dyn\.foobar\.com\. A with nothing instead of 8\.8\.8\.8 \(TTL 3600\)/);
  });

  it('check mode: dig or the server an earlier task would install make the change pending', async () => {
    const noDig = new Host(() => ({ stdout: 'kiln-dns: missing dig\n' }));
    await fails(run(noDig, NS), /dig is not installed on this host.*bind9-dnsutils/);
    const planned = new PlannedState();
    planned.record({ kind: 'package', key: 'bind9-dnsutils', state: 'present' }, 'tools');
    const p = await run(noDig, NS, { planned }, true);
    assert.deepEqual(changes(p), [{ summary: 'www.dyn.foobar.com. A: set to 8.8.8.8 on DNS server 127.0.0.1 port 53', pending: "dig is not installed yet; bind9-dnsutils is planned for install by task 'tools'" }]);
    const down = nsHost([dig('www.dyn.foobar.com.', 'A', [], { rc: 9 })]);
    const bind = new PlannedState();
    bind.record({ kind: 'package', key: 'bind9', state: 'present' }, 'install bind');
    const q = await run(down, NS, { planned: bind }, true);
    assert.match(changes(q)[0]!.pending!, /gave no answer.*; bind9 is planned for install by task 'install bind'$/s);
  });
});
