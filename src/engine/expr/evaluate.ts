// Evaluates parsed conditions with Python/Jinja semantics: no JS coercion, strict undefined.
import { didYouMean } from '../did_you_mean.js';
import { FilterError, getFilter, getTest } from './filters.js';
import { formatNode } from './format.js';
import type { ArithOp, CompareOp, Condition, ExprNode } from './parse.js';
import { deepEqual, isMapping, isTruthy, pyRepr, toPyString, typeName } from './truthy.js';

export class ConditionEvalError extends Error {
  override readonly name = 'ConditionEvalError';
  constructor(
    message: string,
    /** The condition's source text. */
    readonly expression: string,
  ) {
    super(message);
  }
}

type Vars = Readonly<Record<string, unknown>>;
type PathNode = Extract<ExprNode, { kind: 'var' | 'member' }>;
type Resolved = { value: unknown; path: string };

const isPath = (n: ExprNode): n is PathNode => n.kind === 'var' || n.kind === 'member';

/** Own properties along the prototype chain, stopping before Object.prototype (layered scopes). */
function lookupVar(vars: Vars, name: string): unknown {
  if (name === '__proto__') return undefined;
  for (let o: object | null = vars; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    if (Object.hasOwn(o, name)) return (o as Record<string, unknown>)[name];
  }
  return undefined;
}

function varNames(vars: Vars): string[] {
  const names: string[] = [];
  for (let o: object | null = vars; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    names.push(...Object.keys(o));
  }
  return names;
}

/** a.b, a[0], a[-1] (Python), 'abc'[1]. Only own data: `x.constructor` is undefined. */
function getMember(obj: unknown, key: string | number): unknown {
  if (Array.isArray(obj) || typeof obj === 'string') {
    if (typeof key !== 'number' || !Number.isInteger(key)) return undefined;
    const i = key < 0 ? obj.length + key : key;
    return i >= 0 && i < obj.length ? obj[i] : undefined;
  }
  if (!isMapping(obj)) return undefined;
  const k = String(key); // YAML mapping keys are strings: d[1] finds key "1"
  return k !== '__proto__' && Object.hasOwn(obj, k) ? obj[k] : undefined;
}

const pathKey = (key: string | number): string =>
  typeof key === 'string' && /^[A-Za-z_]\w*$/.test(key) ? `.${key}` : `[${pyRepr(key)}]`;

function listKeys(keys: string[]): string {
  const shown = keys.slice(0, 12).join(', ');
  return keys.length > 12 ? `${shown}, ... (${keys.length - 12} more)` : shown;
}

/** Why `parent[key]` is missing, in the user's terms. */
function whyMissing(parentPath: string, parent: unknown, key: string | number): string {
  if (Array.isArray(parent) || typeof parent === 'string') {
    const what = Array.isArray(parent) ? 'list' : 'string';
    if (typeof key === 'number') return `${parentPath} is a ${what} of length ${parent.length}`;
    return `${parentPath} is a ${what}; index it with a number${key === 'length' ? `, or use ${parentPath} | length` : ''}`;
  }
  if (isMapping(parent)) {
    const keys = Object.keys(parent);
    return keys.length ? `${parentPath} has keys: ${listKeys(keys)}` : `${parentPath} is an empty mapping`;
  }
  return `${parentPath} is ${parent === null ? 'none' : `a ${typeName(parent)}`}`;
}

/** Python's % and // take the divisor's sign. */
const ARITH: Record<Exclude<ArithOp, '~'>, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '//': (a, b) => Math.floor(a / b),
  '%': (a, b) => ((a % b) + b) % b,
  '**': (a, b) => a ** b,
};

class Evaluator {
  constructor(
    private readonly vars: Vars,
    private readonly source: string,
  ) {}

  fail(message: string): never {
    throw new ConditionEvalError(message, this.source);
  }

  eval(n: ExprNode): unknown {
    switch (n.kind) {
      case 'literal':
        return n.value;
      case 'list':
        return n.items.map((x) => this.eval(x));
      case 'mapping':
        return this.mapping(n);
      case 'var':
      case 'member':
        return this.resolve(n, false).value;
      case 'unary': {
        const v = this.eval(n.arg);
        if (n.op === 'not') return !isTruthy(v);
        if (typeof v !== 'number') return this.fail(`unary '${n.op}' needs a number, got ${typeName(v)} in ${formatNode(n)}`);
        return n.op === '-' ? -v : v;
      }
      case 'logic': {
        // Short-circuit; the result is always a boolean.
        const left = isTruthy(this.eval(n.left));
        if (n.op === 'and' ? !left : left) return left;
        return isTruthy(this.eval(n.right));
      }
      case 'compare':
        return this.compare(n.op, this.eval(n.left), this.eval(n.right), n);
      case 'arith':
        return this.arith(n.op, this.eval(n.left), this.eval(n.right), n);
      case 'test': {
        const def = getTest(n.name) ?? this.fail(`unknown test '${n.name}'`);
        const subject = def.soft ? this.soft(n.subject) : this.eval(n.subject);
        const args = n.args.map((a) => this.eval(a));
        const ok = this.guard(`'is ${n.name}' on ${formatNode(n.subject)}`, () => def.apply(subject, args));
        return n.negated ? !ok : ok;
      }
      case 'filter': {
        const def = getFilter(n.name) ?? this.fail(`unknown filter '${n.name}'`);
        const isDefault = n.name === 'default' || n.name === 'd';
        const subject = isDefault ? this.soft(n.subject) : this.eval(n.subject);
        const args = n.args.map((a) => this.eval(a));
        return this.guard(`filter '${n.name}' on ${formatNode(n.subject)}`, () => def.apply(subject, args));
      }
    }
  }

  mapping(n: Extract<ExprNode, { kind: 'mapping' }>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const e of n.entries) {
      const key = this.eval(e.key);
      if (typeof key !== 'string' && typeof key !== 'number') {
        return this.fail(`a mapping key must be a string or number, got ${typeName(key)} in ${formatNode(n)}`);
      }
      // defineProperty: a '__proto__' key stays plain data.
      Object.defineProperty(out, String(key), { value: this.eval(e.value), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }

  /** Evaluate where undefined is an answer, not an error (`is defined`, `default`). */
  soft(n: ExprNode): unknown {
    return isPath(n) ? this.resolve(n, true).value : this.eval(n);
  }

  guard<T>(context: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof FilterError) return this.fail(`${context}: ${e.message}`);
      throw e;
    }
  }

  resolve(n: PathNode, soft: boolean): Resolved {
    if (n.kind === 'var') {
      const value = lookupVar(this.vars, n.name);
      if (value === undefined && !soft) this.fail(`'${n.name}' is undefined${this.didYouMean(n.name)}`);
      return { value, path: n.name };
    }
    const parent: Resolved = isPath(n.object)
      ? this.resolve(n.object, soft)
      : { value: this.eval(n.object), path: `(${formatNode(n.object)})` };
    const key = this.eval(n.key);
    if (typeof key !== 'string' && typeof key !== 'number') {
      return this.fail(`'${parent.path}[${formatNode(n.key)}]': a key must be a string or number, got ${typeName(key)}`);
    }
    const path = parent.path + pathKey(key);
    if (parent.value === undefined) {
      return soft ? { value: undefined, path } : this.fail(`'${path}' is undefined (${parent.path} is undefined)`);
    }
    const value = getMember(parent.value, key);
    if (value === undefined && !soft) this.fail(`'${path}' is undefined (${whyMissing(parent.path, parent.value, key)})`);
    return { value, path };
  }

  didYouMean(name: string): string {
    const best = didYouMean(name, varNames(this.vars));
    return best === undefined ? '' : `; did you mean '${best}'?`;
  }

  compare(op: CompareOp, l: unknown, r: unknown, n: ExprNode): boolean {
    switch (op) {
      case '==':
        return deepEqual(l, r);
      case '!=':
        return !deepEqual(l, r);
      case 'in':
        return this.contains(r, l, n);
      case 'not in':
        return !this.contains(r, l, n);
    }
    const same = (typeof l === 'number' && typeof r === 'number') || (typeof l === 'string' && typeof r === 'string');
    if (!same) {
      const mixed = new Set([typeof l, typeof r]);
      const hint = mixed.has('string') && mixed.has('number') ? '; convert first, e.g. x | int' : '';
      return this.fail(`'${op}' needs two numbers or two strings, got ${typeName(l)} and ${typeName(r)} in ${formatNode(n)}${hint}`);
    }
    const a = l as number | string;
    const b = r as number | string;
    return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
  }

  contains(container: unknown, item: unknown, n: ExprNode): boolean {
    if (typeof container === 'string') {
      if (typeof item !== 'string') return this.fail(`'in' on a string needs a string on the left, got ${typeName(item)} in ${formatNode(n)}`);
      return container.includes(item);
    }
    if (Array.isArray(container)) return container.some((x) => deepEqual(x, item));
    if (isMapping(container)) {
      return (typeof item === 'string' || typeof item === 'number') && getMember(container, item) !== undefined;
    }
    return this.fail(`'in' needs a string, list or mapping on the right, got ${typeName(container)} in ${formatNode(n)}`);
  }

  arith(op: ArithOp, l: unknown, r: unknown, n: ExprNode): unknown {
    if (op === '~') return toPyString(l) + toPyString(r);
    if (op === '+' && typeof l === 'string' && typeof r === 'string') return l + r;
    if (op === '+' && Array.isArray(l) && Array.isArray(r)) return [...l, ...r];
    if (typeof l !== 'number' || typeof r !== 'number') {
      const want = op === '+' ? 'two numbers, strings or lists' : 'two numbers';
      return this.fail(`'${op}' needs ${want}, got ${typeName(l)} and ${typeName(r)} in ${formatNode(n)}`);
    }
    if (r === 0 && (op === '/' || op === '//' || op === '%')) return this.fail(`division by zero in ${formatNode(n)}`);
    return ARITH[op](l, r);
  }
}

/** The condition's value (any type). Throws ConditionEvalError. */
export function evaluateCondition(c: Condition, vars: Vars): unknown {
  return new Evaluator(vars, c.source).eval(c.root);
}

/** Whether the condition holds, by Python truthiness. Throws ConditionEvalError. */
export function isTrue(c: Condition, vars: Vars): boolean {
  return isTruthy(evaluateCondition(c, vars));
}
