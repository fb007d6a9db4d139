import { strict as assert } from 'node:assert';
import { ConditionEvalError, evaluateCondition, isTrue } from '../../../src/engine/expr/evaluate.js';
import { parseCondition } from '../../../src/engine/expr/parse.js';
import { deepEqual, isTruthy, toPyString } from '../../../src/engine/expr/truthy.js';

const VARS = {
  ansible_facts: { os_family: 'Debian', distribution_version: '22.04' },
  port: '8080',
  result: { rc: 1, stdout: 'an error here', changed: true },
  ok: { rc: 0, failed: false, changed: false, stdout_lines: ['a', 'b', 'c'] },
  looped: { results: [{ changed: false }, { changed: true }] },
  skipped_result: { skipped: true, changed: false },
  item: { name: 'web', nothing: null, list: [] },
  items: [{ enabled: true, name: 'a' }, { enabled: false, name: 'b' }],
  x: 'a',
  n: 5,
  empty: '',
  zero: 0,
  nil: null,
  flags: { yes: 'yes', off: 'off', one: 1, two: 2, upper: 'TRUE' },
};

const ev = (text: string, vars: Record<string, unknown> = VARS): unknown => evaluateCondition(parseCondition(text), vars);

function evalError(text: string, vars: Record<string, unknown> = VARS): ConditionEvalError {
  try {
    ev(text, vars);
  } catch (e) {
    assert.ok(e instanceof ConditionEvalError, `expected ConditionEvalError, got ${String(e)}`);
    assert.equal(e.expression, text);
    return e;
  }
  assert.fail(`expected an evaluation error for ${text}`);
}

describe('expr/evaluate', () => {
  it('evaluates the typical Ansible conditions', () => {
    assert.equal(ev(`ansible_facts.os_family == 'Debian' and (port | int) >= 1024`), true);
    assert.equal(ev(`result.rc != 0 or 'error' in result.stdout`), true);
    assert.equal(ev(`ok.rc != 0 or 'error' in ok.stdout_lines`), false);
    assert.equal(ev('item.name is defined and item.name is not none'), true);
    assert.equal(ev('item.nothing is defined and item.nothing is not none'), false);
    assert.equal(ev(`not (x in ['a', "b"])`), false);
    assert.equal(ev('items[0].enabled'), true);
    assert.equal(ev('ok.stdout_lines | length > 2'), true);
    assert.equal(ev('missing is not defined'), true);
  });

  describe('literals and access', () => {
    it('evaluates literals', () => {
      assert.equal(ev('True'), true);
      assert.equal(ev('false'), false);
      assert.equal(ev('none'), null);
      assert.equal(ev('-1.5'), -1.5);
      assert.deepEqual(ev(`[1, 'a', none]`), [1, 'a', null]);
      assert.deepEqual(ev(`{'a': [n], 2: x}`), { a: [5], 2: 'a' });
      assert.equal(ev(`{'a': 1}.a + {'a': {'b': 2}}['a'].b`), 3);
      assert.equal(ev(`'a' in {'a': 1} and nope | default({}) == {}`), true);
      assert.deepEqual(Object.getPrototypeOf(ev(`{'__proto__': 1}`)), Object.prototype);
      assert.deepEqual(Object.keys(ev(`{'__proto__': 1}`) as object), ['__proto__']);
      assert.match(evalError('{[1]: 2}').message, /a mapping key must be a string or number, got list/);
    });

    it('indexes like Python', () => {
      assert.equal(ev('items[-1].name'), 'b');
      assert.equal(ev('items.1.name'), 'b');
      assert.equal(ev(`items[0]['name']`), 'a');
      assert.equal(ev('x[0]'), 'a');
      assert.equal(ev(`'abc'[-1]`), 'c');
      assert.equal(ev('d[1]', { d: { 1: 'one' } }), 'one');
    });

    it('never reads inherited or magic properties', () => {
      assert.equal(ev('item.constructor is defined'), false);
      assert.equal(ev('item.__proto__ is defined'), false);
      assert.equal(ev(`item['hasOwnProperty'] is defined`), false);
      assert.equal(ev('toString is defined'), false);
      assert.equal(ev(`'constructor' in item`), false);
      assert.match(evalError('item.constructor').message, /'item\.constructor' is undefined/);
      assert.equal(ev('items.length is defined'), false);
    });

    it('finds variables in layered scopes but not on Object.prototype', () => {
      const vars = Object.create({ outer: 1 }) as Record<string, unknown>;
      vars.inner = 2;
      assert.equal(ev('outer + inner', vars), 3);
      assert.equal(ev('valueOf is defined', vars), false);
    });
  });

  describe('undefined', () => {
    it('names the full path and what is there instead', () => {
      assert.equal(evalError('result.rcx == 0').message, "'result.rcx' is undefined (result has keys: rc, stdout, changed)");
      assert.equal(evalError('items[5].name').message, "'items[5]' is undefined (items is a list of length 2)");
      assert.match(evalError('items.length').message, /use items \| length/);
      assert.equal(evalError('item.nothing.x').message, "'item.nothing.x' is undefined (item.nothing is none)");
      assert.equal(evalError('result.rc.x').message, "'result.rc.x' is undefined (result.rc is a number)");
      assert.match(evalError(`item['a b']`).message, /'item\['a b'\]' is undefined/);
    });

    it('suggests a close variable name', () => {
      assert.equal(evalError('reslt.rc').message, "'reslt' is undefined; did you mean 'result'?");
      assert.equal(evalError('zzzzzz').message, "'zzzzzz' is undefined");
    });

    it('is no error under is defined / is undefined / default', () => {
      assert.equal(ev('result.foo.bar is defined'), false);
      assert.equal(ev('result.foo.bar is undefined'), true);
      assert.equal(ev('result.foo.bar is not defined'), true);
      assert.equal(ev('nope[0].x is defined'), false);
      assert.equal(ev('item.nothing.x is defined'), false);
      assert.equal(ev('item.nothing is defined'), true);
      assert.equal(ev('result.foo.bar | default(3) + 1'), 4);
      assert.equal(ev('nope | d("x")'), 'x');
      assert.equal(ev('nope | default'), '');
    });

    it('still fails for undefined names outside the guarded path', () => {
      assert.match(evalError('x[nope] is defined').message, /'nope' is undefined/);
      assert.match(evalError('nope | length is defined').message, /'nope' is undefined/);
    });

    it('default keeps none and falsy values unless asked', () => {
      assert.equal(ev('nil | default(1)'), null);
      assert.equal(ev('empty | default("x")'), '');
      assert.equal(ev('empty | default("x", true)'), 'x');
      assert.equal(ev('n | default(1, true)'), 5);
    });
  });

  describe('equality and comparison', () => {
    it('uses deep equality without coercion', () => {
      assert.equal(ev(`1 == '1'`), false);
      assert.equal(ev('1 == 1.0'), true);
      assert.equal(ev('true == 1'), false);
      assert.equal(ev('none == none'), true);
      assert.equal(ev(`[1, 'a'] == [1, 'a']`), true);
      assert.equal(ev(`[1, 'a'] != [1, 'b']`), true);
      assert.equal(ev('item == other', { item: { a: [1, { b: 2 }] }, other: { a: [1, { b: 2 }] } }), true);
      assert.equal(ev('item == other', { item: { a: 1 }, other: { a: 1, b: 2 } }), false);
    });

    it('orders two numbers or two strings', () => {
      assert.equal(ev('n < 10'), true);
      assert.equal(ev('n <= 5'), true);
      assert.equal(ev('n > 5'), false);
      assert.equal(ev('n >= 5.0'), true);
      assert.equal(ev(`'abc' < 'abd'`), true);
      assert.equal(ev('1 < n < 10'), true);
      assert.equal(ev('1 < n < 3'), false);
    });

    it('rejects ordering across types, naming the operator and the types', () => {
      const e = evalError('port < 1024');
      assert.match(e.message, /'<' needs two numbers or two strings, got string and number in port < 1024/);
      assert.match(e.message, /\| int/);
      assert.match(evalError('nil > 0').message, /got none and number/);
      assert.match(evalError('[1] < [2]').message, /got list and list/);
    });
  });

  describe('in', () => {
    it('is substring, membership or key lookup', () => {
      assert.equal(ev(`'err' in result.stdout`), true);
      assert.equal(ev(`'ERR' in result.stdout`), false);
      assert.equal(ev(`[1, 'a'] in [[1, 'a'], 2]`), true);
      assert.equal(ev('2 in [1, 2]'), true);
      assert.equal(ev(`'2' in [1, 2]`), false);
      assert.equal(ev(`'rc' in result`), true);
      assert.equal(ev(`'nope' in result`), false);
      assert.equal(ev(`'b' not in x`), true);
      assert.equal(ev(`'a' not in ['a']`), false);
    });

    it('rejects containers it cannot search', () => {
      assert.match(evalError('1 in n').message, /'in' needs a string, list or mapping on the right, got number/);
      assert.match(evalError(`1 in 'a1'`).message, /needs a string on the left, got number/);
    });
  });

  describe('and / or / not', () => {
    it('short-circuits', () => {
      assert.equal(ev('false and nope'), false);
      assert.equal(ev('true or nope'), true);
      assert.match(evalError('true and nope').message, /'nope' is undefined/);
    });

    it('yields booleans by Python truthiness', () => {
      assert.equal(ev(`'a' or 'b'`), true);
      assert.equal(ev(`'a' and 0`), false);
      assert.equal(ev('empty or zero or nil or item.list'), false);
      assert.equal(ev('not empty'), true);
      assert.equal(ev('not items'), false);
      assert.equal(ev('not a == b', { a: 1, b: 2 }), true);
    });

    it('evaluates precedence as parsed', () => {
      assert.equal(ev('true or false and false'), true);
      assert.equal(ev('(true or false) and false'), false);
      assert.equal(ev('ok.stdout_lines | length > 2 and not ok.failed'), true);
    });
  });

  describe('tests', () => {
    it('checks registered results', () => {
      assert.equal(ev('result is changed'), true);
      assert.equal(ev('ok is changed'), false);
      assert.equal(ev('looped is changed'), true);
      assert.equal(ev('ok is succeeded'), true);
      assert.equal(ev('ok is success'), true);
      assert.equal(ev('ok is failed'), false);
      assert.equal(ev('result is succeeded'), true);
      assert.equal(ev('skipped_result is skipped'), true);
      assert.equal(ev('ok is not skipped'), true);
      assert.match(evalError('x is failed').message, /'is failed' on x: 'is failed' needs a registered result \(a mapping\), got string/);
    });

    it('checks types', () => {
      assert.equal(ev('x is string'), true);
      assert.equal(ev('n is number and n is integer and not (n is float)'), true);
      assert.equal(ev('1.5 is float'), true);
      assert.equal(ev('true is boolean and true is true and false is false'), true);
      assert.equal(ev('item is mapping and items is not mapping'), true);
      assert.equal(ev('items is sequence and x is sequence and n is not sequence'), true);
      assert.equal(ev('nil is none and nil is not string'), true);
      assert.equal(ev('empty is falsy and x is truthy'), true);
    });

    it('checks numbers, equality, patterns and versions', () => {
      assert.equal(ev('n is odd and 4 is even and 9 is divisibleby(3)'), true);
      assert.equal(ev('n is equalto(5) and n is eq(5)'), true);
      assert.equal(ev(`result.stdout is search('err')`), true);
      assert.equal(ev(`result.stdout is match('err')`), false);
      assert.equal(ev(`result.stdout is match('an')`), true);
      assert.equal(ev(`'v12' is match('v(?P<n>\\d+)$')`), true);
      assert.equal(ev(`ansible_facts.distribution_version is version('20.04', '>=')`), true);
      assert.equal(ev(`'1.10' is version('1.9', 'gt')`), true);
      assert.equal(ev(`'1.2' is version('1.2')`), true);
      assert.match(evalError(`x is version('1', '~')`).message, /unknown operator '~'/);
      assert.match(evalError(`x is search('(')`).message, /invalid regular expression/);
    });

    it('is strict about undefined subjects for other tests', () => {
      assert.match(evalError('nope is none').message, /'nope' is undefined/);
    });
  });

  describe('filters', () => {
    it('length, first, last, list, keys, join', () => {
      assert.equal(ev('items | length'), 2);
      assert.equal(ev('result | length'), 3);
      assert.equal(ev(`'héllo' | length`), 5);
      assert.equal(ev('items | first | length'), 2);
      assert.equal(ev('(items | last).name'), 'b');
      assert.equal(ev(`'abc' | first`), 'a');
      assert.deepEqual(ev(`'ab' | list`), ['a', 'b']);
      assert.deepEqual(ev('result | keys'), ['rc', 'stdout', 'changed']);
      assert.deepEqual(ev('result | list'), ['rc', 'stdout', 'changed']);
      assert.equal(ev(`[1, 'a', true, none] | join(',')`), '1,a,True,None');
      assert.equal(ev(`['a', 'b'] | join`), 'ab');
      assert.equal(ev('[] | first is defined'), false);
    });

    it('int, float, string, bool', () => {
      assert.equal(ev('port | int'), 8080);
      assert.equal(ev(`' 42 ' | int + 1`), 43);
      assert.equal(ev(`'4.7' | int`), 4);
      assert.equal(ev(`'abc' | int`), 0);
      assert.equal(ev(`'abc' | int(-1)`), -1);
      assert.equal(ev('true | int'), 1);
      assert.equal(ev(`'1.5' | float`), 1.5);
      assert.equal(ev(`'1e3' | float`), 1000);
      assert.equal(ev('true | string'), 'True');
      assert.equal(ev('nil | string'), 'None');
      assert.equal(ev('3 | string'), '3');
      assert.equal(ev(`[1, 'a'] | string`), "[1, 'a']");
      assert.equal(ev('flags.yes | bool'), true);
      assert.equal(ev('flags.upper | bool'), true);
      assert.equal(ev('flags.off | bool'), false);
      assert.equal(ev(`'no' | bool`), false);
      assert.equal(ev('flags.one | bool'), true);
      assert.equal(ev('flags.two | bool'), false);
      assert.equal(ev('nil | bool'), false);
    });

    it('string helpers and the rest', () => {
      assert.equal(ev(`'AbC' | lower`), 'abc');
      assert.equal(ev(`'AbC' | upper`), 'ABC');
      assert.equal(ev(`'  a b \n' | trim`), 'a b');
      assert.deepEqual(ev(`' a  b ' | split`), ['a', 'b']);
      assert.deepEqual(ev(`'a,b' | split(',')`), ['a', 'b']);
      assert.equal(ev(`'a-b-c' | replace('-', '+')`), 'a+b+c');
      assert.deepEqual(ev('[1, 2, 1, [3], [3]] | unique'), [1, 2, [3]]);
      assert.equal(ev('-3 | abs'), 3);
    });

    it('reports the filter, the value and its type when a filter cannot apply', () => {
      assert.equal(evalError('n | length').message, "filter 'length' on n: length needs a list, string or mapping, got number");
      assert.match(evalError('n | keys').message, /keys needs a mapping, got number/);
    });
  });

  describe('arithmetic', () => {
    it('follows Python', () => {
      assert.equal(ev('n + 1'), 6);
      assert.equal(ev('n - 10'), -5);
      assert.equal(ev('n * 2'), 10);
      assert.equal(ev('n / 2'), 2.5);
      assert.equal(ev('n // 2'), 2);
      assert.equal(ev('-7 // 2'), -4);
      assert.equal(ev('-7 % 3'), 2);
      assert.equal(ev('7 % -3'), -2);
      assert.equal(ev('2 ** 3 ** 2'), 512);
      assert.equal(ev(`'a' + 'b'`), 'ab');
      assert.deepEqual(ev('[1] + [2]'), [1, 2]);
      assert.equal(ev(`x ~ n ~ none`), 'a5None');
      assert.equal(ev('-n'), -5);
    });

    it('rejects mixed types and division by zero', () => {
      assert.match(evalError(`n + '1'`).message, /'\+' needs two numbers, strings or lists, got number and string/);
      assert.match(evalError('n * x').message, /'\*' needs two numbers, got number and string/);
      assert.match(evalError('n / 0').message, /division by zero/);
      assert.match(evalError('n % zero').message, /division by zero/);
      assert.match(evalError('-x').message, /unary '-' needs a number, got string/);
    });
  });

  describe('isTrue and helpers', () => {
    it('applies Python truthiness to the result', () => {
      assert.equal(isTrue(parseCondition('x'), VARS), true);
      assert.equal(isTrue(parseCondition('empty'), VARS), false);
      assert.equal(isTrue(parseCondition('item.list'), VARS), false);
      assert.equal(isTrue(parseCondition('items'), VARS), true);
      assert.equal(isTrue(parseCondition('zero'), VARS), false);
      assert.equal(isTrue(parseCondition('nil'), VARS), false);
      assert.equal(isTrue(parseCondition('n - 5'), VARS), false);
    });

    it('truthy.ts helpers', () => {
      assert.equal(isTruthy({}), false);
      assert.equal(isTruthy({ a: 0 }), true);
      assert.equal(isTruthy(NaN), true);
      assert.equal(deepEqual({ a: undefined }, { b: undefined }), false);
      assert.equal(deepEqual([1, [2]], [1, [2]]), true);
      assert.equal(toPyString({ a: [true, null] }), "{'a': [True, None]}");
    });
  });
});
