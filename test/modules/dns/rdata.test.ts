// Values per type: checked, and compared in canonical form.
import { strict as assert } from 'node:assert';
import { ModuleError } from '../../../src/engine/errors.js';
import { absName, recordName, relName, zoneName } from '../../../src/modules/dns/names.js';
import { canonicalIPv6, parseValue } from '../../../src/modules/dns/rdata.js';

const Z = 'foobar.com.';
const throws = (fn: () => unknown, re: RegExp): void => assert.throws(fn, (e: unknown) => e instanceof ModuleError && re.test(e.message), `expected ${re}`);

describe('dns names', () => {
  it('makes names absolute and relative again', () => {
    assert.equal(absName('@', Z), Z);
    assert.equal(absName('WWW', Z), 'www.foobar.com.');
    assert.equal(absName('Mail.Example.NET.', Z), 'mail.example.net.');
    assert.equal(relName('www.foobar.com.', Z), 'www');
    assert.equal(relName(Z, Z), '@');
    assert.equal(relName('mail.example.net.', Z), 'mail.example.net.');
    assert.equal(zoneName('FooBar.com'), Z);
    assert.equal(zoneName('foobar.com.'), Z);
  });

  it('takes a record as relative, @ or absolute, and refuses a missing trailing dot or a name outside the zone', () => {
    assert.equal(recordName('www', Z), 'www.foobar.com.');
    assert.equal(recordName('@', Z), Z);
    assert.equal(recordName('www.foobar.com.', Z), 'www.foobar.com.');
    throws(() => recordName('www.foobar.com', Z), /record "www\.foobar\.com" is relative, so it means www\.foobar\.com\.foobar\.com\.; write it relative to the zone \(www\) or absolute with a trailing dot \(www\.foobar\.com\.\)/);
    throws(() => recordName('www.example.net.', Z), /is not in zone foobar\.com\./);
    throws(() => recordName('a b', Z), /not a valid domain name/);
    throws(() => recordName(`${'x'.repeat(64)}`, Z), /not a valid domain name/);
  });
});

describe('dns values', () => {
  it('checks each type and says what a value should look like', () => {
    throws(() => parseValue('A', 'www', Z), /A data "www" is not an IPv4 address/);
    throws(() => parseValue('A', '8.8.8.256', Z), /not an IPv4 address/);
    throws(() => parseValue('A', '8.8.8.8 1.1.1.1', Z), /is not one IPv4 address/);
    throws(() => parseValue('AAAA', '8.8.8.8', Z), /not an IPv6 address/);
    throws(() => parseValue('MX', 'mail', Z), /is not a preference and a mail server name/);
    throws(() => parseValue('MX', '70000 mail', Z), /preference 70000, which is not a number from 0 to 65535/);
    throws(() => parseValue('SRV', '0 5 sip', Z), /priority, weight, port and target/);
    throws(() => parseValue('CAA', '0 is-sue "x"', Z), /tag is-sue/);
    throws(() => parseValue('TXT', '"unclosed', Z), /quoted string is never closed/);
    throws(() => parseValue('A', '1.2.3.4\n5.6.7.8', Z), /line break/);
  });

  it('brings values to one canonical key', () => {
    assert.equal(parseValue('AAAA', '2001:DB8:0:0::1', Z).key, '2001:db8::1');
    assert.equal(parseValue('CNAME', 'web', Z).key, 'web.foobar.com.');
    assert.equal(parseValue('CNAME', 'web', Z).text(Z), 'web');
    assert.equal(parseValue('MX', '10 Mail.Example.net.', Z).key, '10 mail.example.net.');
    assert.equal(parseValue('SRV', '0 5 5060 sip', Z).key, '0 5 5060 sip.foobar.com.');
    assert.equal(parseValue('CAA', '0 ISSUE letsencrypt.org', Z).key, '0 issue "letsencrypt.org"');
    assert.equal(parseValue('PTR', 'www.foobar.com.', Z).key, 'www.foobar.com.');
  });

  it('reads TXT as one text, or as quoted strings when it starts with a quote', () => {
    assert.equal(parseValue('TXT', 'v=spf1 -all', Z).key, '"v=spf1 -all"');
    assert.equal(parseValue('TXT', '"a b" "c"', Z).key, '"a b" "c"');
    assert.equal(parseValue('TXT', 'say "hi"\\', Z).key, '"say \\"hi\\"\\\\"');
    assert.equal(parseValue('TXT', 'x'.repeat(300), Z).key, `"${'x'.repeat(255)}" "${'x'.repeat(45)}"`);
    assert.equal(parseValue('TXT', 'café', Z).key, `"caf${Buffer.from('é').toString('latin1')}"`);
    assert.equal(parseValue('TXT', '', Z).key, '""');
  });

  it('compresses IPv6 as RFC 5952 says', () => {
    assert.equal(canonicalIPv6('2001:0db8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
    assert.equal(canonicalIPv6('2001:db8:0:1:0:0:0:1'), '2001:db8:0:1::1');
    assert.equal(canonicalIPv6('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
    assert.equal(canonicalIPv6('::'), '::');
    assert.equal(canonicalIPv6('::ffff:1.2.3.4'), '::ffff:102:304');
    assert.equal(canonicalIPv6('1:2:3:4:5:6:7:8'), '1:2:3:4:5:6:7:8');
  });
});
