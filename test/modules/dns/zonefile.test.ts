// The zone-file lexer, parser and editor: BIND's syntax, record-set edits that keep every other byte,
// and the refusals ($INCLUDE, $GENERATE, a CNAME beside other data).
import { strict as assert } from 'node:assert';
import { ModuleError } from '../../../src/engine/errors.js';
import { parseValue, type RrType } from '../../../src/modules/dns/rdata.js';
import type { Want } from '../../../src/modules/dns/recordset.js';
import { lex } from '../../../src/modules/dns/tokens.js';
import { editZone } from '../../../src/modules/dns/zone_edit.js';
import { parseTtl, parseZone, type Zone } from '../../../src/modules/dns/zonefile.js';

const ZONE = 'foobar.com.';

const FOOBAR = `; foobar.com, kept by hand
$TTL 1h
$ORIGIN foobar.com.
@\tIN\tSOA\tns1 hostmaster (
\t\t2 ; serial, not date-shaped
\t\t3600 900 604800 300 ) ; the rest
\tIN\tNS\tns1
ns1\tIN\tA\t10.0.0.1
www\tIN\tA\t1.2.3.4 ; the web server
\tIN\tAAAA\t2001:DB8:0::1
mail\t300\tIN\tMX\t10 mail.example.net.
txt\tIN 60\tTXT\t"v=spf1 -all; really" "second \\"part\\""
$ORIGIN lab.foobar.com.
host\tIN\tA\t10.9.9.9
`;

const zone = (text = FOOBAR): Zone => parseZone(text, ZONE, 'db.foobar.com');
const want = (owner: string, type: RrType, values: string[], more: Partial<Want> = {}): Want => ({ owner, type, state: 'present', values: values.map((v) => parseValue(type, v, ZONE)), ...more });
const throws = (fn: () => unknown, re: RegExp): void => assert.throws(fn, (e: unknown) => e instanceof ModuleError && re.test(e.message), `expected ${re}`);

/** The lines of `after` that are not in `before`, and those of `before` not in `after`. */
function lineDiff(before: string, after: string): { added: string[]; removed: string[] } {
  const b = before.split('\n');
  const a = after.split('\n');
  return { added: a.filter((l) => !b.includes(l)), removed: b.filter((l) => !a.includes(l)) };
}

describe('dns zone file: lexer', () => {
  it('keeps offsets, quoted strings with escapes and semicolons, and parentheses across lines', () => {
    const text = 'a ( 1\n 2 ) ; c\nb "x;y\\"z" \\059q\n';
    const [e1, e2] = lex(text, 't');
    assert.deepEqual(
      e1!.tokens.map((t) => t.raw),
      ['a', '1', '2'],
    );
    assert.equal(e1!.end, text.indexOf('b'));
    assert.equal(e1!.parens, true);
    assert.deepEqual(
      e2!.tokens.map((t) => [t.raw, t.value, t.quoted]),
      [
        ['b', 'b', false],
        ['"x;y\\"z"', 'x;y"z', true],
        ['\\059q', ';q', false],
      ],
    );
    assert.equal(text.slice(e2!.tokens[1]!.start, e2!.tokens[1]!.end), '"x;y\\"z"');
  });

  it('says where a parenthesis or a quote is not closed', () => {
    throws(() => lex('a (\nb\n', 'db'), /db line 1: a parenthesis opened here is never closed/);
    throws(() => lex('a )\n', 'db'), /db line 1: a closing parenthesis without an opening one/);
    throws(() => lex('a "b\n', 'db'), /db line 2: a quoted string is never closed/);
  });
});

describe('dns zone file: parser', () => {
  it('reads $ORIGIN, $TTL with units, @, relative and inherited owners, TTL and class in either order', () => {
    const z = zone();
    const rows = z.records.map((r) => `${r.owner} ${r.ttl} ${r.cls} ${r.type} ${r.rdata.map((t) => t.raw).join(' ')}`);
    assert.deepEqual(rows, [
      'foobar.com. 3600 IN SOA ns1 hostmaster 2 3600 900 604800 300',
      'foobar.com. 3600 IN NS ns1',
      'ns1.foobar.com. 3600 IN A 10.0.0.1',
      'www.foobar.com. 3600 IN A 1.2.3.4',
      'www.foobar.com. 3600 IN AAAA 2001:DB8:0::1',
      'mail.foobar.com. 300 IN MX 10 mail.example.net.',
      'txt.foobar.com. 60 IN TXT "v=spf1 -all; really" "second \\"part\\""',
      'host.lab.foobar.com. 3600 IN A 10.9.9.9',
    ]);
    assert.equal(z.soa.serial, 2);
    assert.equal(z.soa.token.raw, '2');
  });

  it('inherits the previous TTL where there is no $TTL (the first record: the SOA minimum)', () => {
    const z = parseZone('@ SOA ns1 h 1 2 3 4 300\n NS ns1\nns1 120 A 10.0.0.1\nwww A 10.0.0.2\n', ZONE, 'db');
    assert.deepEqual(
      z.records.map((r) => r.ttl),
      [300, 300, 120, 120],
    );
  });

  it('parses TTL units as BIND does', () => {
    assert.equal(parseTtl('1h30m'), 5400);
    assert.equal(parseTtl('1W'), 604800);
    assert.equal(parseTtl('86400'), 86400);
  });

  it('refuses $INCLUDE and $GENERATE clearly, and a file without the zone SOA', () => {
    throws(() => zone(`${FOOBAR}$INCLUDE /etc/bind/extra.db\n`), /db\.foobar\.com line 15: \$INCLUDE \/etc\/bind\/extra\.db is not supported: dns_record edits the one zone file it is given/);
    throws(() => zone(`${FOOBAR}$GENERATE 1-10 host$ A 10.0.0.$\n`), /\$GENERATE is not supported/);
    throws(() => parseZone('www A 10.0.0.1\n', ZONE, 'db'), /db has no SOA record for foobar\.com\./);
    throws(() => parseZone('@ SOA ns1 h x 1 2 3 4\n', ZONE, 'db'), /the SOA serial "x" is not a number/);
  });
});

describe('dns zone file: editor', () => {
  it('adds a value to a set: one new line after the set, written like its last line, serial replaced', () => {
    const e = editZone(zone(), want('www.foobar.com.', 'A', ['1.2.3.4', '8.8.8.8']), 'db', 3);
    assert.equal(e.changed, true);
    assert.deepEqual(lineDiff(FOOBAR, e.text), { added: ['\t\t3 ; serial, not date-shaped', 'www\tIN\tA\t8.8.8.8'], removed: ['\t\t2 ; serial, not date-shaped'] });
    assert.equal(e.text.indexOf('www\tIN\tA\t8.8.8.8\n'), e.text.indexOf('www\tIN\tA\t1.2.3.4 ; the web server\n') + 'www\tIN\tA\t1.2.3.4 ; the web server\n'.length);
    assert.deepEqual(
      e.after.map((r) => r.key),
      ['1.2.3.4', '8.8.8.8'],
    );
  });

  it('replaces a value in place, keeping the comment on its line', () => {
    const e = editZone(zone(), want('www.foobar.com.', 'A', ['8.8.8.8']), 'db', 3);
    assert.deepEqual(lineDiff(FOOBAR, e.text).added, ['\t\t3 ; serial, not date-shaped', 'www\tIN\tA\t8.8.8.8 ; the web server']);
    assert.equal(e.text.length, FOOBAR.length);
  });

  it('record set semantics: [a, b] then [b] leaves exactly b', () => {
    const two = editZone(zone(), want('www.foobar.com.', 'A', ['1.2.3.4', '8.8.4.4']), 'db', 3);
    const one = editZone(zone(two.text), want('www.foobar.com.', 'A', ['8.8.4.4']), 'db', 4);
    const www = parseZone(one.text, ZONE, 'db').records.filter((r) => r.owner === 'www.foobar.com.' && r.type === 'A');
    assert.deepEqual(
      www.map((r) => r.rdata[0]!.raw),
      ['8.8.4.4'],
    );
  });

  it('changes nothing, not even the serial, when the set is already as asked (values compared canonically)', () => {
    for (const [owner, type, values] of [
      ['www.foobar.com.', 'A', ['1.2.3.4']],
      ['www.foobar.com.', 'AAAA', ['2001:db8::1']],
      ['mail.foobar.com.', 'MX', ['10 mail.EXAMPLE.net.']],
      ['txt.foobar.com.', 'TXT', ['"v=spf1 -all; really" "second \\"part\\""']],
      ['host.lab.foobar.com.', 'A', ['10.9.9.9']],
    ] as const) {
      const e = editZone(zone(), want(owner, type, [...values]), 'db', 3);
      assert.equal(e.changed, false, `${owner} ${type}`);
      assert.equal(e.text, FOOBAR);
    }
    assert.equal(editZone(zone(), { owner: 'nope.foobar.com.', type: 'A', state: 'absent', values: [] }, 'db', 3).changed, false);
  });

  it('removes a set; the next line, which inherited its owner, gets the owner written out', () => {
    const e = editZone(zone(), { owner: 'www.foobar.com.', type: 'A', state: 'absent', values: [] }, 'db', 3);
    const z = parseZone(e.text, ZONE, 'db');
    assert.deepEqual(
      z.records.filter((r) => r.owner === 'www.foobar.com.').map((r) => r.type),
      ['AAAA'],
    );
    assert.deepEqual(lineDiff(FOOBAR, e.text), {
      added: ['\t\t3 ; serial, not date-shaped', 'www\tIN\tAAAA\t2001:DB8:0::1'],
      removed: ['\t\t2 ; serial, not date-shaped', 'www\tIN\tA\t1.2.3.4 ; the web server', '\tIN\tAAAA\t2001:DB8:0::1'],
    });
  });

  it('absent with values removes only those', () => {
    const two = editZone(zone(), want('www.foobar.com.', 'A', ['1.2.3.4', '8.8.4.4']), 'db', 3);
    const e = editZone(zone(two.text), { owner: 'www.foobar.com.', type: 'A', state: 'absent', values: [parseValue('A', '1.2.3.4', ZONE)] }, 'db', 4);
    assert.deepEqual(
      e.after.map((r) => r.key),
      ['8.8.4.4'],
    );
    assert.match(e.text, /^www\tIN\tA\t8\.8\.4\.4$/m);
  });

  it('changes a TTL in place: the token when there is one, else a TTL is written', () => {
    const e = editZone(zone(), want('mail.foobar.com.', 'MX', ['10 mail.example.net.'], { ttl: 600 }), 'db', 3);
    assert.deepEqual(lineDiff(FOOBAR, e.text).added.slice(1), ['mail\t600\tIN\tMX\t10 mail.example.net.']);
    const w = editZone(zone(), want('www.foobar.com.', 'A', ['1.2.3.4'], { ttl: 60 }), 'db', 3);
    assert.deepEqual(lineDiff(FOOBAR, w.text).added.slice(1), ['www\t60 IN\tA\t1.2.3.4 ; the web server']);
  });

  it('adds a new name at the end, relative to the $ORIGIN in force there, TXT quoted', () => {
    const e = editZone(zone(), want('new.foobar.com.', 'TXT', ['hello "world"']), 'db', 3);
    assert.ok(e.text.endsWith('host\tIN\tA\t10.9.9.9\nnew.foobar.com.\tIN\tTXT\t"hello \\"world\\""\n'), e.text);
    const sub = editZone(zone(), want('web.lab.foobar.com.', 'CNAME', ['www']), 'db', 3);
    assert.ok(sub.text.endsWith('web\tIN\tCNAME\twww.foobar.com.\n'), sub.text);
  });

  it('adds beside the name\'s other records when the set is new', () => {
    const e = editZone(zone(), want('www.foobar.com.', 'TXT', ['web']), 'db', 3);
    assert.match(e.text, /\tIN\tAAAA\t2001:DB8:0::1\nwww\tIN\tTXT\t"web"\nmail/);
  });

  it('keeps inherited TTLs right where there is no $TTL', () => {
    const text = '@ 300 SOA ns1 h 1 2 3 4 300\n NS ns1\nold 60 A 10.0.0.9\nnext A 10.0.0.2\n';
    const e = editZone(parseZone(text, ZONE, 'db'), { owner: 'old.foobar.com.', type: 'A', state: 'absent', values: [] }, 'db', 2);
    const z = parseZone(e.text, ZONE, 'db');
    assert.equal(z.records.find((r) => r.owner === 'next.foobar.com.')?.ttl, 60);
    assert.match(e.text, /^next 60 A 10\.0\.0\.2$/m);
  });

  it('keeps every byte it does not change: other encodings, CRLF-free odd spacing, no final newline', () => {
    const latin = Buffer.concat([Buffer.from('; caf\xe9 \xff\n', 'latin1'), Buffer.from('; naïve UTF-8\n@ SOA ns1 h 7 1 2 3 4\n  NS ns1\nwww   A   10.0.0.1', 'utf8')]).toString('latin1');
    const e = editZone(parseZone(latin, ZONE, 'db'), want('ftp.foobar.com.', 'A', ['10.0.0.2']), 'db', 8);
    const out = Buffer.from(e.text, 'latin1');
    assert.deepEqual(out.subarray(0, 9), Buffer.from([0x3b, 0x20, 0x63, 0x61, 0x66, 0xe9, 0x20, 0xff, 0x0a]));
    assert.ok(out.toString('utf8').includes('; naïve UTF-8\n'));
    assert.ok(e.text.endsWith('www   A   10.0.0.1\nftp\tIN\tA\t10.0.0.2'), JSON.stringify(e.text.slice(-40)));
  });

  it('writes new lines with the file\'s own line ending', () => {
    const crlf = '@ SOA ns1 h 7 1 2 3 4\r\n  NS ns1\r\nwww A 10.0.0.1 ; web\r\n';
    const e = editZone(parseZone(crlf, ZONE, 'db'), want('www.foobar.com.', 'A', ['10.0.0.1', '10.0.0.2']), 'db', 8);
    assert.equal(e.text, '@ SOA ns1 h 8 1 2 3 4\r\n  NS ns1\r\nwww A 10.0.0.1 ; web\r\nwww A 10.0.0.2\r\n');
  });

  it('refuses a CNAME beside other data at its name, and other data beside a CNAME', () => {
    throws(() => editZone(zone(), want('www.foobar.com.', 'CNAME', ['mail']), 'db', 3), /www\.foobar\.com\. has A, AAAA records, so it cannot have a CNAME/);
    const c = editZone(zone(), want('alias.foobar.com.', 'CNAME', ['www']), 'db', 3);
    throws(() => editZone(zone(c.text), want('alias.foobar.com.', 'TXT', ['x']), 'db', 4), /alias\.foobar\.com\. has a CNAME, so it cannot have TXT records/);
    // Replacing the CNAME's target is fine.
    assert.equal(editZone(zone(c.text), want('alias.foobar.com.', 'CNAME', ['mail']), 'db', 4).changed, true);
  });

  it('says which line holds a record of the set it cannot read', () => {
    throws(() => editZone(zone(`${FOOBAR}bad.foobar.com. A 300.1.1.1\n`), want('bad.foobar.com.', 'A', ['10.0.0.1']), 'db', 3), /db line 15: A data "300\.1\.1\.1" is not an IPv4 address/);
  });
});
