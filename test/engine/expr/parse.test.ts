import { strict as assert } from 'node:assert';
import jsep from 'jsep';
import { ConditionSyntaxError, parseCondition, type ExprNode } from '../../../src/engine/expr/parse.js';

/** Fully parenthesized prefix form, so precedence is visible. */
function sx(n: ExprNode): string {
  switch (n.kind) {
    case 'literal': return JSON.stringify(n.value);
    case 'var': return n.name;
    case 'list': return `[${n.items.map(sx).join(' ')}]`;
    case 'mapping': return `{${n.entries.map((e) => `${sx(e.key)}: ${sx(e.value)}`).join(' ')}}`;
    case 'member': return `(. ${sx(n.object)} ${sx(n.key)})`;
    case 'unary': return `(${n.op} ${sx(n.arg)})`;
    case 'logic':
    case 'compare':
    case 'arith': return `(${n.op} ${sx(n.left)} ${sx(n.right)})`;
    case 'test': return `(is${n.negated ? '-not' : ''} ${sx(n.subject)} ${[n.name, ...n.args.map(sx)].join(' ')})`;
    case 'filter': return `(| ${sx(n.subject)} ${[n.name, ...n.args.map(sx)].join(' ')})`;
  }
}

const tree = (text: string): string => sx(parseCondition(text).root);

function syntaxError(text: string): ConditionSyntaxError {
  try {
    parseCondition(text);
  } catch (e) {
    assert.ok(e instanceof ConditionSyntaxError, `expected ConditionSyntaxError, got ${String(e)}`);
    assert.equal(e.expression, text);
    return e;
  }
  assert.fail(`expected a syntax error for ${text}`);
}

describe('expr/parse', () => {
  describe('literals and access', () => {
    it('parses Python and YAML literal spellings', () => {
      assert.equal(tree('True'), 'true');
      assert.equal(tree('true'), 'true');
      assert.equal(tree('False'), 'false');
      assert.equal(tree('None'), 'null');
      assert.equal(tree('none'), 'null');
      assert.equal(tree('null'), 'null');
      assert.equal(tree('-1.5'), '-1.5');
      assert.equal(tree('1e3'), '1000');
      assert.equal(tree(`'it'`), '"it"');
      assert.equal(tree(`"a\\tb"`), '"a\\tb"');
      assert.equal(tree(`['a', "b", 3]`), '["a" "b" 3]');
      // Python escapes: unknown ones keep the backslash, so regexes survive.
      const value = (text: string): unknown => {
        const root = parseCondition(text).root;
        return root.kind === 'literal' ? root.value : undefined;
      };
      assert.equal(value(String.raw`'\d+\.'`), String.raw`\d+\.`);
      assert.equal(value(String.raw`'it\'s \\ \x41\n'`), "it's \\ A\n");
    });

    it('parses mapping literals', () => {
      assert.equal(tree('{}'), '{}');
      assert.equal(tree(`{'a': 1, "b": [x], }`), '{"a": 1 "b": [x]}');
      assert.equal(tree(`{'a': {'b': {}}}.a`), '(. {"a": {"b": {}}} "a")');
      assert.equal(tree('x | default({}) == {}'), '(== (| x default {}) {})');
    });

    it('parses member access in all its forms', () => {
      assert.equal(tree('a.b[0].c'), '(. (. (. a "b") 0) "c")');
      assert.equal(tree(`a['b']`), '(. a "b")');
      assert.equal(tree('a[-1]'), '(. a -1)');
      assert.equal(tree('a.0.b'), '(. (. a 0) "b")');
      assert.equal(tree('a[i + 1]'), '(. a (+ i 1))');
    });

    it('treats `this` as an ordinary variable name', () => {
      assert.equal(tree('this.x'), '(. this "x")');
    });
  });

  describe('precedence', () => {
    it('not is looser than comparisons', () => {
      assert.equal(tree('not a == b'), '(not (== a b))');
      assert.equal(tree('not a in b'), '(not (in a b))');
      assert.equal(tree('not not a'), '(not (not a))');
      assert.equal(tree('not a + 1 == b'), '(not (== (+ a 1) b))');
      assert.equal(tree('a and not b == c'), '(and a (not (== b c)))');
    });

    it('keeps parentheses around not', () => {
      assert.equal(tree('(not a) == b'), '(== (not a) b)');
      assert.equal(tree('not (a) == b'), '(not (== a b))');
    });

    it('and binds tighter than or', () => {
      assert.equal(tree('a or b and c'), '(or a (and b c))');
      assert.equal(tree('a and b or c'), '(or (and a b) c)');
      assert.equal(tree('(a or b) and c'), '(and (or a b) c)');
    });

    it('filters bind tighter than comparisons and arithmetic', () => {
      assert.equal(tree('x | length > 2'), '(> (| x length) 2)');
      assert.equal(tree('1 + x | int'), '(+ 1 (| x int))');
      assert.equal(tree('x | int | string'), '(| (| x int) string)');
      assert.equal(tree(`x | default('a') == 'a'`), '(== (| x default "a") "a")');
      assert.equal(tree('not x | length'), '(not (| x length))');
    });

    it('tests bind tighter than comparisons and looser than arithmetic', () => {
      assert.equal(tree('x is defined and y'), '(and (is x defined) y)');
      assert.equal(tree('x is not none'), '(is-not x none)');
      assert.equal(tree('not x is defined'), '(not (is x defined))');
      assert.equal(tree('a == b is defined'), '(== a (is b defined))');
      assert.equal(tree('x + 1 is number'), '(is (+ x 1) number)');
      assert.equal(tree('x is divisibleby(3)'), '(is x divisibleby 3)');
      assert.equal(tree('x is True'), '(is x true)');
    });

    it('accepts any whitespace inside `not in` and `is not`', () => {
      assert.equal(tree('a not in b'), '(not in a b)');
      assert.equal(tree('a not \t in b'), '(not in a b)');
      assert.equal(tree('x is\n  not defined'), '(is-not x defined)');
      assert.equal(tree('notin in b'), '(in notin b)');
    });

    it('arithmetic follows the usual order', () => {
      assert.equal(tree('a + b * c'), '(+ a (* b c))');
      assert.equal(tree('a - b - c'), '(- (- a b) c)');
      assert.equal(tree('2 ** 3 ** 2'), '(** 2 (** 3 2))');
      assert.equal(tree('a // b % c'), '(% (// a b) c)');
      assert.equal(tree('a ~ b + c'), '(+ (~ a b) c)'); // Jinja: ~ is tighter than +
    });

    it('chains comparisons like Python', () => {
      assert.equal(tree('a < b < c'), '(and (< a b) (< b c))');
      assert.equal(tree('a < b <= c == d'), '(and (and (< a b) (<= b c)) (== c d))');
      assert.equal(tree('(a < b) < c'), '(< (< a b) c)');
      assert.equal(tree('not a < b < c'), '(not (and (< a b) (< b c)))');
    });
  });

  describe('syntax errors', () => {
    const cases: [string, number, RegExp][] = [
      ['a && b', 2, /use 'and' instead of '&&'/],
      ['a || b', 2, /use 'or' instead of '\|\|'/],
      ['!a', 0, /use 'not' instead of '!'/],
      ['a = 1', 2, /use == to compare, = is not allowed/],
      ['a === 1', 2, /use ==/],
      ['a !== 1', 2, /use !=/],
      ['a & b', 2, /use 'and'/],
      ['a ^ b', 2, /bitwise/],
      ['a << 2', 2, /bitwise/],
      ['a ? b : c', 2, /'\?:' operator is not supported/],
      ['a?.b', 1, /is defined/],
      ['{{ x }} == 1', 0, /Jinja braces are not needed in a condition: write x == 1, not \{\{ x \}\} == 1/],
      ['a; b', 1, /';' is not allowed/],
      ['a, b', 1, /join conditions with 'and'/],
      ['{"a" 1}', 5, /expected ':' after a mapping key/],
      ['{"a": 1', 7, /missing '}'/],
      ['{"a": 1 "b": 2}', 8, /expected ',' or '}'/],
      ['x }} == 1', 2, /Jinja braces/],
      ['x } == 1', 2, /unexpected '}'/],
      ["'a' 'b'", 4, /unexpected ''b''/],
      ['x is not', 5, /expected a test name after 'is'/],
      ['a b', 2, /unexpected 'b'.*join conditions/],
      ['x in', 2, /'in' needs an operand/],
      ['a &&', 2, /'&&' is not an operator: use 'and' instead of '&&' \(at character 2 of "a &&"\)/],
      ['a AND b', 2, /operators are lowercase: use 'and'/],
      ['a if b else c', 2, /inline/],
      ['a and', 2, /'and' needs an operand/],
      ['a ==', 4, /'==' needs an operand on its right/],
      ['x | lenght', 4, /unknown filter 'lenght'.*did you mean 'length'/],
      ['x is defind', 5, /unknown test 'defind'.*did you mean 'defined'/],
      ['x | join(1, 2)', 4, /takes 0 to 1 argument/],
      ['x is divisibleby', 5, /takes 1 argument/],
      ['x | 3', 4, /expected a filter name/],
      ['x | first.name', 4, /\(x \| first\)\.name/],
      ['x is "defined"', 5, /expected a test name/],
      ['x.startswith("a")', 0, /method calls.*is match/],
      ['lookup("env", "HOME")', 0, /function calls/],
      ['x.lower()', 0, /x \| lower/],
      ['a == not b', 5, /'not' cannot directly follow '=='/],
      ['(a, b)', 0, /write a list as \[a, b\]/],
      ['(a', 2, /missing '\)'/],
      ['a[0', 3, /missing '\]'/],
      ["'abc", 4, /unclosed string/],
      ['()', 0, /empty parentheses/],
      ['[1,,2]', 0, /empty item/],
      ['   ', 0, /empty condition/],
      ['`a`', 0, /backticks/],
    ];
    for (const [text, offset, message] of cases) {
      it(`rejects ${JSON.stringify(text)}`, () => {
        const e = syntaxError(text);
        assert.match(e.message, message);
        assert.equal(e.offset, offset);
      });
    }

    it('does not look for operators inside strings', () => {
      assert.equal(tree(`x == 'a && b = {{ c }}'`), '(== x "a && b = {{ c }}")');
      assert.equal(tree(`x == "it's not in"`), `(== x "it's not in")`);
    });

    it('reports offsets into the original text after rewriting `not   in`', () => {
      assert.equal(syntaxError('a not   in b && c').offset, 13);
    });

    it('has reason and hint fields and a message joining them', () => {
      const e = syntaxError('a && b');
      assert.equal(e.reason, "'&&' is not an operator");
      assert.equal(e.hint, "use 'and' instead of '&&'");
      assert.ok(e instanceof Error);
      assert.equal(e.name, 'ConditionSyntaxError');
    });
  });

  describe('jsep configuration', () => {
    it('returns the same cached, frozen object for the same text', () => {
      const a = parseCondition('cache_me == 1');
      assert.equal(parseCondition('cache_me == 1'), a);
      assert.ok(Object.isFrozen(a.root));
    });

    it('leaves the global jsep grammar as it found it', () => {
      parseCondition('a and b or not c | length');
      syntaxError('a and (b or');
      const js = jsep('a && b || !c');
      assert.equal(js.type, 'BinaryExpression');
      assert.equal(js.operator, '||');
      assert.equal(jsep('a ? b : c').type, 'ConditionalExpression');
      assert.equal(jsep('true').type, 'Literal');
    });

    it('is unaffected by other users of jsep changing the global grammar', () => {
      jsep.addBinaryOp('=', 0.5);
      try {
        assert.equal(syntaxError('a = 1').offset, 2);
        assert.equal(tree('uncached_x and y'), '(and uncached_x y)');
      } finally {
        jsep.removeBinaryOp('=');
      }
    });
  });
});

describe('conditions: bounded nesting', () => {
  it('refuses brackets nested deeper than 64 levels with a syntax error, not a stack overflow', () => {
    const deep = `${'('.repeat(5000)}true${')'.repeat(5000)}`;
    assert.throws(() => parseCondition(deep), (e: unknown) => e instanceof ConditionSyntaxError && /nest more than 64 levels/.test(e.message) && e.offset === 64);
    assert.doesNotThrow(() => parseCondition(`${'('.repeat(60)}x is defined${')'.repeat(60)}`));
    assert.doesNotThrow(() => parseCondition(`x == "${'('.repeat(100)}"`));
  });
});
