// Parser for condition expressions (`when`, `failed_when`, `until`, `assert.that`):
// jsep with a Jinja-flavoured grammar, converted to a small typed AST. See GRAMMAR.md.
import jsep from 'jsep';
import { didYouMean } from '../did_you_mean.js';
import { FILTER_NAMES, TEST_NAMES, getFilter, getTest } from './filters.js';

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in';
export type ArithOp = '+' | '-' | '*' | '/' | '//' | '%' | '**' | '~';
export type Scalar = string | number | boolean | null;

/** `at` is the 0-based offset in the source where the node starts. */
export type ExprNode =
  | { readonly kind: 'literal'; readonly value: Scalar; readonly at: number }
  | { readonly kind: 'list'; readonly items: readonly ExprNode[]; readonly at: number }
  | { readonly kind: 'mapping'; readonly entries: readonly { readonly key: ExprNode; readonly value: ExprNode }[]; readonly at: number }
  | { readonly kind: 'var'; readonly name: string; readonly at: number }
  | { readonly kind: 'member'; readonly object: ExprNode; readonly key: ExprNode; readonly at: number }
  | { readonly kind: 'unary'; readonly op: 'not' | '-' | '+'; readonly arg: ExprNode; readonly at: number }
  | { readonly kind: 'logic'; readonly op: 'and' | 'or'; readonly left: ExprNode; readonly right: ExprNode; readonly at: number }
  | { readonly kind: 'compare'; readonly op: CompareOp; readonly left: ExprNode; readonly right: ExprNode; readonly at: number }
  | { readonly kind: 'arith'; readonly op: ArithOp; readonly left: ExprNode; readonly right: ExprNode; readonly at: number }
  | { readonly kind: 'test'; readonly name: string; readonly negated: boolean; readonly subject: ExprNode; readonly args: readonly ExprNode[]; readonly at: number }
  | { readonly kind: 'filter'; readonly name: string; readonly subject: ExprNode; readonly args: readonly ExprNode[]; readonly at: number };

/** A parsed condition. Treat as opaque outside src/engine/expr. */
export interface Condition {
  readonly source: string;
  readonly root: ExprNode;
}

export class ConditionSyntaxError extends Error {
  override readonly name = 'ConditionSyntaxError';
  constructor(
    readonly expression: string,
    readonly offset: number,
    /** What is wrong, e.g. "'&&' is not an operator". */
    readonly reason: string,
    /** How to write it instead, when there is a clear answer. */
    readonly hint?: string,
  ) {
    super(`${reason}${hint ? `: ${hint}` : ''} (at character ${offset} of "${expression}")`);
  }
}

// ---------------------------------------------------------------- pre-scan
// A quick pass over the raw text, outside string literals: reject JS/Jinja habits with a precise
// offset and a fix, and rewrite `not  in`/`is\nnot` to the single-space operators jsep knows.
// Rewrites keep the length, so offsets stay true to the user's text.

const isWordChar = (c: string | undefined): boolean =>
  c !== undefined && (/[A-Za-z0-9_]/.test(c) || c.charCodeAt(0) >= 128);
const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

function wordEnd(s: string, i: number): number {
  while (isWordChar(s[i])) i++;
  return i;
}

function stringEnd(s: string, i: number): number {
  const quote = s[i];
  for (i++; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === quote) return i + 1;
  }
  return s.length; // unclosed: jsep reports it
}

type Fault = { reason: string; hint?: string } | undefined;
const NOT_AN_OP = (op: string, hint: string): Fault => ({ reason: `'${op}' is not an operator`, hint });
const NO_BITWISE = "there are no bitwise operators; use 'and', 'or', 'not'";
const OK_PAIRS = new Set(['==', '!=', '<=', '>=', '**', '//']);

function operatorFault(src: string, i: number, depth: number, braces: number): Fault {
  const two = src.slice(i, i + 2);
  const three = src.slice(i, i + 3);
  // `}}` can legitimately close nested mappings: {'a': {}}
  if (two === '{{' || two === '{%' || two === '%}' || (two === '}}' && braces === 0)) {
    const bare = src.replace(/\{\{\s*|\s*\}\}/g, '').trim();
    return { reason: 'Jinja braces are not needed in a condition', hint: `write ${bare}, not ${src.trim()}` };
  }
  if (three === '===') return NOT_AN_OP('===', 'use == to compare (it never converts types)');
  if (three === '!==') return NOT_AN_OP('!==', 'use != to compare (it never converts types)');
  if (two === '&&') return NOT_AN_OP('&&', "use 'and' instead of '&&'");
  if (two === '||') return NOT_AN_OP('||', "use 'or' instead of '||'");
  if (two === '<<' || two === '>>') return NOT_AN_OP(two, NO_BITWISE);
  if (two === '?.') return NOT_AN_OP('?.', 'use x.y is defined, or x.y | default(...)');
  if (OK_PAIRS.has(two)) return undefined;
  switch (src[i]) {
    case '!': return NOT_AN_OP('!', "use 'not' instead of '!', e.g. not x");
    case '=': return NOT_AN_OP('=', 'use == to compare, = is not allowed');
    case '&': return NOT_AN_OP('&', "use 'and' instead of '&'");
    case '^': return NOT_AN_OP('^', NO_BITWISE);
    case '?': return { reason: "the '?:' operator is not supported", hint: "write the logic with 'and' / 'or'" };
    case ';': return { reason: "';' is not allowed", hint: "join conditions with 'and' (or give a YAML list of conditions)" };
    case ',': return depth > 0 ? undefined : { reason: "',' is not allowed here", hint: "join conditions with 'and' (or give a YAML list of conditions)" };
    case '}': return braces > 0 ? undefined : { reason: "unexpected '}'" };
    case '`': return { reason: 'backticks do not quote strings', hint: `use 'text' or "text"` };
  }
  return undefined;
}

function prescan(src: string): string {
  let out = src;
  let depth = 0; // ( [ {
  let braces = 0; // { only
  for (let i = 0; i < src.length; ) {
    const c = src[i];
    if (c === '"' || c === "'") {
      i = stringEnd(src, i);
      continue;
    }
    if (isWordChar(c)) {
      const end = wordEnd(src, i);
      const word = src.slice(i, end);
      const pair = word === 'not' ? 'in' : word === 'is' ? 'not' : undefined;
      let j = end;
      while (isSpace(src[j])) j++;
      const next = wordEnd(src, j);
      if (pair && j > end && src.slice(j, next) === pair) {
        out = out.slice(0, i) + `${word} ${pair}`.padEnd(next - i) + out.slice(next);
        i = next;
      } else {
        i = end;
      }
      continue;
    }
    const fault = operatorFault(src, i, depth, braces);
    if (fault) throw new ConditionSyntaxError(src, i, fault.reason, fault.hint);
    if (c === '{') braces++;
    else if (c === '}') braces--;
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1);
    i += OK_PAIRS.has(src.slice(i, i + 2)) ? 2 : 1;
  }
  return out;
}

// ---------------------------------------------------------------- jsep grammar
// jsep keeps its operator tables in globals. Rather than editing them for everyone (other code may
// use jsep with its own grammar), our tables are swapped in for the duration of each parse and the
// previous ones restored, which is idempotent and leaves no trace.

interface JsepStatics {
  binary_ops: Record<string, number>;
  unary_ops: Record<string, number>;
  max_binop_len: number;
  max_unop_len: number;
  right_associative: Set<string>;
  additional_identifier_chars: Set<string>;
  literals: Record<string, unknown>;
  this_str: string;
  hooks: unknown;
  parse(expr: string): jsep.Expression;
}
const Jsep = (jsep as unknown as { Jsep: JsepStatics }).Jsep;

/** Higher binds tighter. `not` sits at 3 (see `rotateNot`). */
const BINARY_OPS: Record<string, number> = {
  or: 1, and: 2,
  '==': 4, '!=': 4, '<': 4, '<=': 4, '>': 4, '>=': 4, in: 4, 'not in': 4,
  is: 5, 'is not': 5,
  '+': 6, '-': 6, '~': 7, '*': 8, '/': 8, '//': 8, '%': 8, '**': 9,
  '|': 10, // filters bind tighter than everything else: x | length > 2
};
const UNARY_OPS: Record<string, number> = { not: 1, '-': 1, '+': 1 };
const LITERALS: Record<string, Scalar> = { true: true, True: true, false: false, False: false, null: null, None: null, none: null };
const PAREN = 'KilnParen'; // marks (...) so precedence fixes can tell `(not a) == b` from `not a == b`
const MAPPING = 'KilnMapping'; // {key: value, ...}: jsep has no mapping literals of its own

type HookEnv = { node?: jsep.Expression };
const parseState = { starts: [] as number[], at: new WeakMap<object, number>() };

function onTokenStart(this: jsep.HookScope, env: HookEnv): void {
  parseState.starts.push(this.index);
  const c = this.code;
  if ((c >= 48 && c <= 57) || c === 46) {
    // Handled here only so that 'after-token' runs and records the offset.
    env.node = this.gobbleNumericLiteral();
  } else if (c === 40) {
    const open = this.index;
    const inner = this.gobbleGroup() as jsep.Expression | false;
    if (!inner) {
      this.index = open;
      this.throwError('Empty parentheses');
    }
    env.node = this.gobbleTokenProperty({ type: PAREN, expression: inner });
  } else if (c === 123) {
    env.node = this.gobbleTokenProperty(gobbleMapping(this));
  }
}

function gobbleMapping(p: jsep.HookScope): jsep.Expression {
  const entries: jsep.Expression[] = [];
  // A function, not p.code, so TypeScript does not narrow it across index moves.
  const next = (): number => { p.gobbleSpaces(); return p.expr.charCodeAt(p.index); };
  const atEnd = (): boolean => p.index >= p.expr.length;
  p.index++; // {
  while (next() !== 125) {
    if (entries.length > 0) {
      if (next() !== 44) p.throwError(atEnd() ? "missing '}'" : "expected ',' or '}' in a mapping");
      p.index++;
      if (next() === 125) break; // trailing comma
    }
    const key = p.gobbleExpression() as jsep.Expression | false;
    if (!key) p.throwError(atEnd() ? "missing '}'" : 'expected a mapping key');
    if (next() !== 58) p.throwError("expected ':' after a mapping key");
    p.index++;
    const value = p.gobbleExpression() as jsep.Expression | false;
    if (!value) p.throwError("expected a value after ':'");
    entries.push({ type: 'KilnEntry', key, value });
  }
  p.index++; // }
  return { type: MAPPING, entries };
}

function onTokenEnd(env: HookEnv): void {
  const start = parseState.starts.pop();
  if (env.node && start !== undefined) parseState.at.set(env.node, start);
}

const hookLists: Record<string, ((this: jsep.HookScope, env: HookEnv) => void)[]> = {
  'gobble-token': [onTokenStart],
  'after-token': [onTokenEnd],
};
const HOOKS = Object.assign(Object.create(null) as object, hookLists, {
  run(name: string, env: HookEnv & { context: jsep.HookScope }): void {
    for (const cb of hookLists[name] ?? []) cb.call(env.context, env);
  },
});

const GRAMMAR = {
  binary_ops: BINARY_OPS,
  unary_ops: UNARY_OPS,
  max_binop_len: Math.max(...Object.keys(BINARY_OPS).map((k) => k.length)),
  max_unop_len: Math.max(...Object.keys(UNARY_OPS).map((k) => k.length)),
  right_associative: new Set(['**']),
  // Digits let `a.0` (Jinja's index syntax) parse; tokens starting with a digit are numbers anyway.
  additional_identifier_chars: new Set(['_', ...'0123456789']),
  literals: LITERALS,
  this_str: ' this', // never matches an identifier: `this` is a plain variable name
  hooks: HOOKS,
} satisfies Omit<JsepStatics, 'parse'>;
const GRAMMAR_KEYS = Object.keys(GRAMMAR) as (keyof typeof GRAMMAR)[];

function jsepParse(text: string): jsep.Expression {
  const statics = Jsep as unknown as Record<string, unknown>;
  const saved = GRAMMAR_KEYS.map((k) => statics[k]);
  Object.assign(Jsep, GRAMMAR);
  parseState.starts = [];
  parseState.at = new WeakMap();
  try {
    return Jsep.parse(text);
  } finally {
    GRAMMAR_KEYS.forEach((k, i) => (statics[k] = saved[i]));
  }
}

function explainJsep(desc: string, src: string, at: number): { reason: string; hint?: string } {
  const m = /^Expected expression after (.+)$/.exec(desc);
  if (m) return { reason: `'${m[1]}' needs an operand on its right` };
  if (desc === 'missing unaryOp argument') return { reason: "'not' or '-' needs an operand after it" };
  if (desc.startsWith('Unclosed quote')) return { reason: 'unclosed string', hint: 'end the string with the quote it starts with' };
  if (desc === 'Unclosed (' || desc === 'Expected )') return { reason: "missing ')'" };
  if (desc === 'Unclosed [' || desc === 'Expected ]') return { reason: "missing ']'" };
  if (desc === 'Empty parentheses') return { reason: 'empty parentheses', hint: 'put an expression inside ( )' };
  if (desc.startsWith('Variable names cannot start')) return { reason: 'names cannot start with a digit' };
  if (desc.startsWith('Unexpected') || desc === 'Expected comma') {
    const c = src[at];
    return c === undefined ? { reason: 'unexpected end of condition' } : { reason: `unexpected '${c}'` };
  }
  return { reason: desc };
}

// ---------------------------------------------------------------- conversion
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0', '\\': '\\', "'": "'", '"': '"', '\n': '' };

/** Python string escapes; unknown ones keep their backslash, so '\d+' stays a regex. */
function pyUnescape(body: string): string {
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[\s\S])/g, (all, e: string) => {
    if (e.length > 1) return String.fromCharCode(parseInt(e.slice(1), 16));
    return Object.hasOwn(ESCAPES, e) ? ESCAPES[e]! : all;
  });
}

const RESERVED = new Set(['and', 'or', 'not', 'in', 'is', 'if', 'else']);
const COMPARE_OPS = new Set<string>(['==', '!=', '<', '<=', '>', '>=', 'in', 'not in']);
const ARITH_OPS = new Set<string>(['+', '-', '*', '/', '//', '%', '**', '~']);
const LITERAL_TESTS: Record<string, string> = { true: 'true', false: 'false', none: 'none', null: 'none' };

function suggest(name: string, known: readonly string[]): string {
  const best = didYouMean(name, known);
  return best === undefined ? '' : `did you mean '${best}'? `;
}

class Converter {
  /** Nodes written in parentheses: exempt from `not` rotation and comparison chaining. */
  private readonly grouped = new WeakSet<ExprNode>();
  /** `and` nodes built from a chain like a < b < c, which may be extended. */
  private readonly chains = new WeakSet<ExprNode>();

  constructor(
    private readonly src: string,
    private readonly starts: WeakMap<object, number>,
  ) {}

  fail(at: number, reason: string, hint?: string): never {
    throw new ConditionSyntaxError(this.src, at, reason, hint);
  }

  start(n: jsep.Expression): number {
    const s = this.starts.get(n);
    if (s !== undefined) return s;
    for (const k of ['left', 'object', 'callee', 'expression', 'argument']) {
      const child = n[k];
      if (child && typeof child === 'object' && 'type' in child) return this.start(child as jsep.Expression);
    }
    return 0;
  }

  /** The word or symbol at an offset, for messages. */
  tokenAt(at: number): string {
    return /^('[^']*'?|"[^"]*"?|\w+|\S)/.exec(this.src.slice(at))?.[0] ?? '';
  }

  convert(n: jsep.Expression): ExprNode {
    const at = this.start(n);
    switch (n.type) {
      case 'Literal': {
        const { value } = n as jsep.Literal;
        if (value instanceof RegExp) return this.fail(at, 'regular expression literals are not supported');
        const raw = (n as jsep.Literal).raw;
        return { kind: 'literal', value: typeof value === 'string' ? pyUnescape(raw.slice(1, -1)) : value, at };
      }
      case 'Identifier': {
        const { name } = n as jsep.Identifier;
        if (RESERVED.has(name)) return this.fail(at, `'${name}' needs an operand after it`);
        return { kind: 'var', name, at };
      }
      case 'MemberExpression': {
        const m = n as jsep.MemberExpression;
        const object = this.convert(m.object);
        if (m.computed) return { kind: 'member', object, key: this.convert(m.property), at };
        const name = (m.property as jsep.Identifier).name;
        // `a.0` is Jinja for a[0]
        const key = /^\d+$/.test(name) ? Number(name) : name;
        return { kind: 'member', object, key: { kind: 'literal', value: key, at }, at };
      }
      case 'ArrayExpression': {
        const items = (n as jsep.ArrayExpression).elements.map((e) =>
          e ? this.convert(e) : this.fail(at, 'empty item in list', 'remove the extra comma'),
        );
        return { kind: 'list', items, at };
      }
      case MAPPING: {
        const entries = (n.entries as jsep.Expression[]).map((e) => ({
          key: this.convert(e.key as jsep.Expression),
          value: this.convert(e.value as jsep.Expression),
        }));
        return { kind: 'mapping', entries, at };
      }
      case PAREN: {
        const inner = this.convert(n.expression as jsep.Expression);
        this.grouped.add(inner);
        return inner;
      }
      case 'UnaryExpression': {
        const u = n as jsep.UnaryExpression;
        const arg = this.convert(u.argument);
        const op = u.operator as 'not' | '-' | '+';
        if (op !== 'not' && arg.kind === 'literal' && typeof arg.value === 'number') {
          return { kind: 'literal', value: op === '-' ? -arg.value : arg.value, at };
        }
        return { kind: 'unary', op, arg, at };
      }
      case 'BinaryExpression':
        return this.binary(n as jsep.BinaryExpression, at);
      case 'CallExpression':
        return this.call(n as jsep.CallExpression, at);
      case 'Compound': {
        const next = (n as jsep.Compound).body[1];
        const where = next ? this.start(next) : at;
        const word = this.tokenAt(where);
        if (RESERVED.has(word)) {
          if (word === 'if' || word === 'else') return this.fail(where, "inline 'a if c else b' is not supported", "use 'and' / 'or'");
          return this.fail(where, `'${word}' needs an operand after it`);
        }
        if (RESERVED.has(word.toLowerCase())) return this.fail(where, `unexpected '${word}'`, `operators are lowercase: use '${word.toLowerCase()}'`);
        return this.fail(where, `unexpected '${word}' after a complete expression`, "join conditions with 'and' or 'or'");
      }
      case 'SequenceExpression':
        return this.fail(at, "'(a, b)' is not allowed", 'write a list as [a, b]');
      default:
        return this.fail(at, `unsupported syntax (${n.type})`);
    }
  }

  call(c: jsep.CallExpression, at: number): never {
    const callee = c.callee;
    const method = callee.type === 'MemberExpression' && !(callee as jsep.MemberExpression).computed;
    const name = callee.type === 'Identifier' ? (callee as jsep.Identifier).name
      : method ? ((callee as jsep.MemberExpression).property as jsep.Identifier).name : '';
    const hint = name === 'startswith' ? "use a test: x is match('prefix')"
      : name === 'endswith' ? "use a test: x is search('suffix$')"
        : getFilter(name) ? `use the filter: x | ${name}${c.arguments.length ? '(...)' : ''}`
          : getTest(name) ? `use the test: x is ${name}${c.arguments.length ? '(...)' : ''}`
            : 'use a filter (x | name) or a test (x is name)';
    const what = method ? `method calls like x.${name}(...)` : `function calls like ${name || 'f'}(...)`;
    return this.fail(at, `${what} are not supported`, hint);
  }

  binary(b: jsep.BinaryExpression, at: number): ExprNode {
    const op = b.operator;
    if (op === '|' || op === 'is' || op === 'is not') {
      const subject = this.convert(b.left);
      return op === '|' ? this.filter(subject, b.right) : this.test(subject, b.right, op === 'is not');
    }
    return this.combine(op, this.convert(b.left), this.convert(b.right), at);
  }

  private isBareNot(n: ExprNode): n is Extract<ExprNode, { kind: 'unary' }> {
    return n.kind === 'unary' && n.op === 'not' && !this.grouped.has(n);
  }

  /**
   * jsep binds unary operators tightest, so `not a == b` arrives as `(not a) == b`. Python's `not`
   * is looser than everything but and/or: move it out, `not (a == b)`.
   */
  private rotateNot(left: ExprNode, build: (l: ExprNode) => ExprNode): ExprNode {
    if (!this.isBareNot(left)) return build(left);
    return { kind: 'unary', op: 'not', arg: this.rotateNot(left.arg, build), at: left.at };
  }

  combine(op: string, left: ExprNode, right: ExprNode, at: number): ExprNode {
    if (op === 'and' || op === 'or') return { kind: 'logic', op, left, right, at };
    if (this.isBareNot(right)) {
      return this.fail(right.at, `'not' cannot directly follow '${op}'`, `put it in parentheses: ${op} (not ...)`);
    }
    return this.rotateNot(left, (l) => {
      if (ARITH_OPS.has(op)) return { kind: 'arith', op: op as ArithOp, left: l, right, at: l.at };
      if (!COMPARE_OPS.has(op)) return this.fail(l.at, `unknown operator '${op}'`);
      // Python chains comparisons: a < b < c means a < b and b < c.
      const prev = this.grouped.has(l) ? undefined : l.kind === 'compare' ? l
        : l.kind === 'logic' && this.chains.has(l) ? l.right : undefined;
      if (prev?.kind !== 'compare') return { kind: 'compare', op: op as CompareOp, left: l, right, at: l.at };
      const next: ExprNode = { kind: 'compare', op: op as CompareOp, left: prev.right, right, at: prev.right.at };
      const chain: ExprNode = { kind: 'logic', op: 'and', left: l, right: next, at: l.at };
      this.chains.add(chain);
      return chain;
    });
  }

  /** `name` or `name(args)` after `|` or `is`. */
  private named(n: jsep.Expression): { name: string; args: ExprNode[]; at: number } | undefined {
    const at = this.start(n);
    if (n.type === 'Identifier') return { name: (n as jsep.Identifier).name, args: [], at };
    if (n.type === 'Literal') {
      const raw = String((n as jsep.Literal).raw).toLowerCase();
      return Object.hasOwn(LITERAL_TESTS, raw) ? { name: LITERAL_TESTS[raw]!, args: [], at } : undefined;
    }
    const c = n as jsep.CallExpression;
    if (n.type !== 'CallExpression' || c.callee.type !== 'Identifier') return undefined;
    return { name: (c.callee as jsep.Identifier).name, args: c.arguments.map((a) => this.convert(a)), at };
  }

  private checkArity(kind: string, name: string, args: unknown[], def: { min: number; max: number }, at: number): void {
    if (args.length >= def.min && args.length <= def.max) return;
    const want = def.min === def.max ? `${def.min}` : `${def.min} to ${def.max}`;
    this.fail(at, `${kind} '${name}' takes ${want} argument${def.max === 1 ? '' : 's'}, got ${args.length}`);
  }

  filter(subject: ExprNode, right: jsep.Expression): ExprNode {
    const f = this.named(right);
    const at = this.start(right);
    if (!f) return this.fail(at, "expected a filter name after '|'", 'e.g. x | length, x | default(0); use (x | first).name to index the result');
    const def = getFilter(f.name);
    if (!def) return this.fail(at, `unknown filter '${f.name}'`, `${suggest(f.name, FILTER_NAMES)}known filters: ${FILTER_NAMES.join(', ')}`);
    this.checkArity('filter', f.name, f.args, def, at);
    return this.rotateNot(subject, (s) => ({ kind: 'filter', name: f.name, subject: s, args: f.args, at: s.at }));
  }

  test(subject: ExprNode, right: jsep.Expression, negated: boolean): ExprNode {
    const t = this.named(right);
    const at = this.start(right);
    if (!t || RESERVED.has(t.name)) return this.fail(at, "expected a test name after 'is'", 'e.g. x is defined, x is not none');
    const def = getTest(t.name);
    if (!def) return this.fail(at, `unknown test '${t.name}'`, `${suggest(t.name, TEST_NAMES)}known tests: ${TEST_NAMES.join(', ')}`);
    this.checkArity('test', t.name, t.args, def, at);
    return this.rotateNot(subject, (s) => ({ kind: 'test', name: t.name, negated, subject: s, args: t.args, at: s.at }));
  }
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

// ---------------------------------------------------------------- API
const CACHE_LIMIT = 500;
const cache = new Map<string, Condition>();

/** Parse a condition; throws ConditionSyntaxError with an offset and a suggested fix. */
/** How deep brackets may nest in a condition: far beyond any real one, far below the parser's stack. */
const MAX_DEPTH = 64;

/** The offset where (, [ or { first nests deeper than MAX_DEPTH (outside quotes), if anywhere. */
function tooDeep(text: string): number | undefined {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '(' || c === '[' || c === '{') {
      if (++depth > MAX_DEPTH) return i;
    } else if (c === ')' || c === ']' || c === '}') depth--;
  }
  return undefined;
}

export function parseCondition(text: string): Condition {
  const hit = cache.get(text);
  if (hit) return hit;
  if (text.trim() === '') throw new ConditionSyntaxError(text, 0, 'empty condition', 'write an expression such as x is defined');
  const deep = tooDeep(text);
  if (deep !== undefined) throw new ConditionSyntaxError(text, deep, `brackets nest more than ${MAX_DEPTH} levels deep here`, 'split the condition into several (a list of conditions must all hold), or set_fact parts of it');
  const normalized = prescan(text);
  let tree: jsep.Expression;
  try {
    tree = jsepParse(normalized);
  } catch (e) {
    const index = (e as { index?: unknown }).index;
    const desc = (e as { description?: unknown }).description;
    if (typeof index !== 'number' || typeof desc !== 'string') throw e;
    const at = Math.min(Math.max(index, 0), text.length);
    const { reason, hint } = explainJsep(desc, text, at);
    throw new ConditionSyntaxError(text, at, reason, hint);
  }
  const condition = deepFreeze({ source: text, root: new Converter(text, parseState.at).convert(tree) });
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(text, condition);
  return condition;
}
