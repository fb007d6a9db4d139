// SOA serial steps and the once-per-run rule.
import { strict as assert } from 'node:assert';
import { isDateShaped, nextSerial, rememberSerial, runSerial, serialNewer, serialWritten, todayUtc } from '../../../src/modules/dns/serial.js';

describe('dns serial', () => {
  it('steps a date-shaped serial to today\'s first revision, then by one', () => {
    assert.equal(nextSerial(2023123105, '20240115'), 2024011501);
    assert.equal(nextSerial(2024011501, '20240115'), 2024011502);
    // A serial from the future, or a day's 99th revision: still one more.
    assert.equal(nextSerial(2024020100, '20240115'), 2024020101);
    assert.equal(nextSerial(2024011599, '20240115'), 2024011600);
  });

  it('adds one to other serials, wrapping at 2^32 as serial arithmetic does', () => {
    assert.equal(nextSerial(1, '20240115'), 2);
    assert.equal(nextSerial(4294967295, '20240115'), 0);
    assert.equal(isDateShaped(1234567890), false);
    assert.equal(isDateShaped(2024133101), false);
    assert.equal(isDateShaped(2024013101), true);
  });

  it('compares serials with RFC 1982 arithmetic', () => {
    assert.equal(serialNewer(2, 1), true);
    assert.equal(serialNewer(1, 2), false);
    assert.equal(serialNewer(0, 4294967295), true);
    assert.equal(serialNewer(5, 5), false);
  });

  it('bumps once per run: a file that carries the serial this run wrote is not bumped again', () => {
    assert.deepEqual(runSerial(7, undefined, '20240115'), { serial: 8, bumped: true });
    assert.deepEqual(runSerial(8, 8, '20240115'), { serial: 8, bumped: false });
    // Rewritten since (a template put the old serial back): count from the larger one.
    assert.deepEqual(runSerial(7, 8, '20240115'), { serial: 9, bumped: true });
    assert.deepEqual(runSerial(20, 8, '20240115'), { serial: 21, bumped: true });
  });

  it('remembers written serials per connection and file, for the run only', () => {
    const a = {};
    const b = {};
    rememberSerial(a, '/etc/bind/db.x', 5);
    assert.equal(serialWritten(a, '/etc/bind/db.x'), 5);
    assert.equal(serialWritten(a, '/etc/bind/db.y'), undefined);
    assert.equal(serialWritten(b, '/etc/bind/db.x'), undefined);
  });

  it('dates in UTC', () => {
    assert.equal(todayUtc(new Date('2024-03-09T23:30:00-05:00')), '20240310');
  });
});
