import { strict as assert } from 'node:assert';
import { ValidationError } from '../../../src/engine/errors.js';
import { expandHostRange, parseHostEntry } from '../../../src/engine/inventory/ranges.js';

function rangeError(pattern: string): ValidationError {
  try {
    expandHostRange(pattern, { loc: { file: 'inv', line: 7, col: 3 }, key: '[web]' });
  } catch (e) {
    assert.ok(e instanceof ValidationError);
    return e;
  }
  assert.fail(`expected ${pattern} to be rejected`);
}

describe('inventory host ranges', () => {
  it('leaves names without a range alone', () => {
    assert.deepEqual(expandHostRange('web1.example.com'), ['web1.example.com']);
  });

  it('keeps zero padding', () => {
    assert.deepEqual(expandHostRange('web[08:11].example.com'), ['web08.example.com', 'web09.example.com', 'web10.example.com', 'web11.example.com']);
    assert.deepEqual(expandHostRange('n[001:003]'), ['n001', 'n002', 'n003']);
  });

  it('does not pad when the start has no leading zero', () => {
    assert.deepEqual(expandHostRange('web[9:11]'), ['web9', 'web10', 'web11']);
  });

  it('expands letters, steps and a missing start', () => {
    assert.deepEqual(expandHostRange('db-[a:d]'), ['db-a', 'db-b', 'db-c', 'db-d']);
    assert.deepEqual(expandHostRange('db-[a:e:2]'), ['db-a', 'db-c', 'db-e']);
    assert.deepEqual(expandHostRange('n[1:10:3]'), ['n1', 'n4', 'n7', 'n10']);
    assert.deepEqual(expandHostRange('n[:2]'), ['n0', 'n1', 'n2']);
  });

  it('multiplies several ranges in one name', () => {
    assert.deepEqual(expandHostRange('r[1:2]-[a:b]'), ['r1-a', 'r1-b', 'r2-a', 'r2-b']);
  });

  it('rejects malformed ranges with the position, the value and a fix', () => {
    const e = rangeError('web[01:05.example.com');
    assert.match(e.message, /^inv:7:3: host range is not closed/);
    assert.equal(e.problems[0]?.init.value, '"web[01:05.example.com"');
    assert.ok(e.problems[0]?.init.fix);
    assert.match(rangeError('web01:05].x').message, /"\]" without "\["/);
    assert.match(rangeError('web[1:3:0]').message, /step "0" must be a positive integer/);
    assert.match(rangeError('web[5:1]').message, /starts after it ends/);
    assert.match(rangeError('web[01:100]').message, /different widths/);
    assert.match(rangeError('web[1:c]').message, /two numbers or two single letters/);
    assert.match(rangeError('web[1:]').message, /no end value/);
    assert.match(rangeError('web[1:999999]').message, /more than 65536 hosts/);
  });
});

describe('inventory host entries', () => {
  it('splits a port off the name, after expanding ranges', () => {
    assert.deepEqual(parseHostEntry('web1:2222'), { names: ['web1'], port: 2222 });
    assert.deepEqual(parseHostEntry('web[1:2]:2222'), { names: ['web1', 'web2'], port: 2222 });
    assert.deepEqual(parseHostEntry('web1'), { names: ['web1'] });
  });

  it('understands IPv6 addresses, bare or bracketed with a port', () => {
    assert.deepEqual(parseHostEntry('fe80::1'), { names: ['fe80::1'] });
    assert.deepEqual(parseHostEntry('[2001:db8::1]:22'), { names: ['2001:db8::1'], port: 22 });
  });

  it('rejects a port that is not a number', () => {
    assert.throws(() => parseHostEntry('web1:http', { loc: { file: 'h', line: 2, col: 1 } }), (e: unknown) => e instanceof ValidationError && /^h:2:1: port "http"/.test(e.message));
    assert.throws(() => parseHostEntry('web1:70000'), /not a port number/);
  });
});
