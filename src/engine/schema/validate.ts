// Turns ajv's errors into Problems that name file:line:column, the key, the value and a fix.
import type { ErrorObject } from 'ajv';
import { didYouMean } from '../did_you_mean.js';
import { Problem, type Loc } from '../errors.js';
import { keyLocOf, locAtPath, locOf } from '../load/locations.js';
import { scalarSourceOf } from '../load/yaml.js';
import { moduleKeys } from '../playbook/keywords.js';
import { compileInline, validatorFor } from './registry.js';
import { MASK } from '../secret.js';

export interface ValidateOptions {
  /** Context prefix for messages, e.g. `task "install nginx"`. */
  context?: string;
  /** Dotted prefix for keys, e.g. "copy" so that errors read "copy.mode". */
  keyPrefix?: string;
  /** Position to fall back on when nothing closer is known. */
  fallback?: Loc;
  /** Values (by JSON pointer) that are templated and will only be checked after rendering. */
  deferred?: (path: string[], value: unknown) => boolean;
}

/** What a document is made of, so that problems can name the play or task they are in. */
type Shape = 'playbook' | 'tasks' | 'handlers';

const SHAPES: Record<string, Shape> = {
  'playbook.schema.json': 'playbook',
  'tasks.schema.json': 'tasks',
  'handlers.schema.json': 'handlers',
};

/** Validate `value` against schemas/<rel>; returns problems (empty when valid). */
export function validateAgainst(rel: string, value: unknown, opts: ValidateOptions = {}): Problem[] {
  const validate = validatorFor(rel);
  if (validate(value)) return [];
  const shape = opts.context === undefined && opts.keyPrefix === undefined ? SHAPES[rel] : undefined;
  return explain(validate.errors ?? [], value, opts, shape);
}

/** Validate against a schema built at run time (e.g. a role's argument spec). */
export function validateInline(schema: Record<string, unknown>, value: unknown, opts: ValidateOptions = {}): Problem[] {
  const validate = compileInline(schema);
  if (validate(value)) return [];
  return explain(validate.errors ?? [], value, opts, undefined);
}

/** Split "/a/0/b" into ["a","0","b"] (JSON pointer unescaping included). */
export function pointerSteps(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function valueAt(root: unknown, steps: string[]): unknown {
  let node = root;
  for (const s of steps) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[s];
  }
  return node;
}

/** Show a value the way the user wrote it in YAML (strings quoted, numbers bare). */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'object') {
    const s = JSON.stringify(v);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  }
  return String(v);
}

/** Like showValue, but a scalar YAML 1.1 read differently (0644, yes) shows both readings. */
function showWritten(root: unknown, steps: string[], value: unknown): string {
  const last = steps[steps.length - 1];
  if (last === undefined || (typeof value !== 'number' && typeof value !== 'boolean')) return showValue(value);
  const owner = valueAt(root, steps.slice(0, -1));
  const src = scalarSourceOf(owner, Array.isArray(owner) ? Number(last) : last);
  if (!src || src.style !== 'PLAIN' || src.text === String(value)) return showValue(value);
  return `${src.text}, which YAML reads as ${typeof value === 'number' ? 'the number ' : ''}${String(value)}`;
}

function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a number';
  return `a ${typeof v}`;
}

// ------------------------------------------------------------------ where in the document

type Raw = Record<string, unknown>;

const isMapping = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keys whose value is a list of tasks, in a play (tasks, handlers...) or in a block. */
const TASK_LISTS = new Set(['pre_tasks', 'tasks', 'post_tasks', 'handlers', 'block', 'rescue', 'always']);

interface Where {
  /** `play "web"` or `task "install nginx"`, when the problem lies inside one. */
  context?: string;
  /** The path below that play or task. */
  steps: string[];
  /** What the path's own node is called when the steps run out (`play 2`). */
  self?: string;
}

function taskLabel(task: Raw, kind: 'task' | 'handler'): string {
  if (typeof task['name'] === 'string') return `${Object.hasOwn(task, 'block') ? 'block' : kind} "${task['name']}"`;
  if (Object.hasOwn(task, 'block')) return 'block';
  const mod = Object.keys(task).find((k) => moduleKeys().has(k));
  return mod ? `${kind} "${mod}"` : kind;
}

function playLabel(play: Raw, index: number): string {
  if (typeof play['name'] === 'string') return `play "${play['name']}"`;
  if (typeof play['hosts'] === 'string') return `play "${play['hosts']}"`;
  return `play ${index + 1}`;
}

/** Find the innermost play or task a path runs through; the key is then named from there. */
function locate(root: unknown, steps: string[], shape: Shape | undefined): Where {
  if (!shape) return { steps };
  if (steps.length === 0) return { steps, self: shape === 'playbook' ? 'the playbook' : `the ${shape} file` };
  if (!Array.isArray(root)) return { steps };
  const first = Number(steps[0]);
  const top = root[first] as unknown;
  const kind = shape === 'handlers' ? 'handler' : 'task';
  const noun = shape === 'playbook' ? 'play' : kind;
  if (!isMapping(top)) return { steps: steps.slice(1), self: `${noun} ${first + 1}` };
  let context = shape === 'playbook' ? playLabel(top, first) : taskLabel(top, kind);
  let node: Raw = top;
  let i = 1;
  for (;;) {
    const listKey = steps[i];
    const index = steps[i + 1];
    if (listKey === undefined || index === undefined || !TASK_LISTS.has(listKey) || !/^\d+$/.test(index)) break;
    const list = node[listKey];
    const item = Array.isArray(list) ? (list[Number(index)] as unknown) : undefined;
    if (!isMapping(item)) break;
    context = taskLabel(item, listKey === 'handlers' ? 'handler' : kind);
    node = item;
    i += 2;
  }
  return { context, steps: steps.slice(i) };
}

// ------------------------------------------------------------------ choosing errors

/**
 * ajv reports one error per failed keyword, and for unions (anyOf/oneOf) one per branch.
 * Keep the most useful: the deepest path wins, and within a path the most specific keyword.
 */
function explain(errors: ErrorObject[], root: unknown, opts: ValidateOptions, shape: Shape | undefined): Problem[] {
  const deepest = new Map<string, ErrorObject[]>();
  const isUnion = (e: ErrorObject): boolean => UNION_KEYWORDS.has(e.keyword);
  const live = errors.filter((e) => {
    const steps = pointerSteps(e.instancePath);
    return !opts.deferred?.(steps, valueAt(root, steps));
  });
  // A union's summary ("must match else schema") stands only for the errors below it: when every
  // one of those was a templated value checked later, the summary goes too.
  const concrete = live.filter((e) => !isUnion(e));
  const explained = (e: ErrorObject): boolean => !isUnion(e) || concrete.some((c) => c.instancePath === e.instancePath || c.instancePath.startsWith(`${e.instancePath}/`));
  for (const e of live) {
    if (!explained(e)) continue;
    const list = deepest.get(e.instancePath) ?? [];
    list.push(e);
    deepest.set(e.instancePath, list);
  }
  const paths = [...deepest.keys()];
  // Drop a path's union summary when a deeper path explains it.
  const kept = paths.filter((p) => !paths.some((q) => q !== p && q.startsWith(`${p}/`) && unionOnly(deepest.get(p) ?? [])));
  const out: Problem[] = [];
  for (const p of kept) {
    const errs = deepest.get(p) ?? [];
    const steps = pointerSteps(p);
    const ctx = new Ctx(root, steps, opts, locate(root, steps, shape), errs);
    const alternatives = requiredAlternatives(errs);
    if (alternatives) out.push(ctx.oneOfRequired(alternatives.branches));
    const rest = alternatives ? errs.filter((e) => e !== alternatives.union && !alternatives.branches.includes(e)) : errs;
    for (const e of pick(rest)) out.push(ctx.problem(e));
  }
  return out;
}

const UNION_KEYWORDS = new Set(['anyOf', 'oneOf', 'if', 'then', 'else']);

function unionOnly(errs: ErrorObject[]): boolean {
  return errs.every((e) => ['anyOf', 'oneOf', 'if', 'then', 'else', 'type', 'const', 'enum', 'not'].includes(e.keyword));
}

const ORDER = ['additionalProperties', 'required', 'enum', 'const', 'pattern', 'format', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties', 'type', 'not', 'oneOf', 'anyOf'];

function pick(errs: ErrorObject[]): ErrorObject[] {
  // Several properties can be wrong at once; keep every additionalProperties/required error,
  // every badly named property, and for the rest only the most specific one.
  const multi = errs.filter((e) => e.keyword === 'additionalProperties' || e.keyword === 'required' || e.propertyName !== undefined);
  if (multi.length) return dedupe(multi);
  const rank = (e: ErrorObject): number => {
    const i = ORDER.indexOf(e.keyword);
    return i === -1 ? ORDER.length : i;
  };
  const sorted = [...errs].sort((a, b) => rank(a) - rank(b));
  const first = sorted[0];
  return first ? [first] : [];
}

function dedupe(errs: ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  return errs.filter((e) => {
    const k = e.propertyName !== undefined ? `name:${e.propertyName}` : `${e.keyword}:${JSON.stringify(e.params)}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** `anyOf: [{required: [content]}, {required: [src]}]` failing: one "needs content or src". */
function requiredAlternatives(errs: ErrorObject[]): { union: ErrorObject; branches: ErrorObject[] } | undefined {
  for (const union of errs.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')) {
    const branches = errs.filter((e) => e.schemaPath.startsWith(`${union.schemaPath}/`));
    if (branches.length >= 2 && branches.every((e) => e.keyword === 'required')) return { union, branches };
  }
  return undefined;
}

// ------------------------------------------------------------------ one problem

function joinKey(prefix: string | undefined, steps: readonly string[]): string {
  const parts = [...(prefix ? [prefix] : []), ...steps];
  return parts.map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/** Everything known about one failing path: its value, its name for humans, where it stands. */
class Ctx {
  private readonly value: unknown;
  /** An invalid secret argument (x-secret) is still a secret: neither its value nor a fix quoting it is shown. */
  private readonly secret: boolean;
  private readonly key: string;

  constructor(
    private readonly root: unknown,
    private readonly steps: string[],
    private readonly opts: ValidateOptions,
    private readonly where: Where,
    private readonly siblings: ErrorObject[],
  ) {
    this.value = valueAt(root, steps);
    this.secret = siblings.some((e) => (e.parentSchema as Raw | undefined)?.['x-secret'] === true);
    this.key = this.keyOf([]) || where.self || opts.keyPrefix || '(top level)';
  }

  private keyOf(more: string[]): string {
    return joinKey(this.opts.keyPrefix, [...this.where.steps, ...more]);
  }

  private loc(prefer: 'key' | 'value', extra?: string): Loc | undefined {
    return locAtPath(this.root, extra === undefined ? this.steps : [...this.steps, extra], prefer) ?? locOf(this.root) ?? this.opts.fallback;
  }

  private make(message: string, init: { loc?: Loc; key?: string; value?: string; fix?: string }): Problem {
    return new Problem(message, { context: this.opts.context ?? this.where.context, ...init });
  }

  /** The x-fix of the failing schema, or of a union around it that failed at the same path. */
  private hint(e: ErrorObject): string | undefined {
    const own = (e.parentSchema as Raw | undefined)?.['x-fix'];
    if (typeof own === 'string') return own;
    for (const s of this.siblings) {
      const fix = (s.parentSchema as Raw | undefined)?.['x-fix'];
      if (typeof fix === 'string' && e.schemaPath.startsWith(`${s.schemaPath}/`)) return fix;
    }
    return undefined;
  }

  oneOfRequired(branches: ErrorObject[]): Problem {
    const names = branches.map((e) => String((e.params as { missingProperty: string }).missingProperty));
    const first = branches[0] as ErrorObject;
    const where = this.keyOf([]) || this.where.self || 'this mapping';
    const list = names.length === 2 ? names.join(' or ') : `one of ${names.join(', ')}`;
    return this.make(`${where} needs ${list}`, {
      loc: this.loc('value'),
      key: this.keyOf([]),
      fix: this.hint(first) ?? `add one of: ${names.map((n) => `${n}:`).join(', ')}`,
    });
  }

  problem(e: ErrorObject): Problem {
    const fixHint = this.hint(e);
    const { key, value } = this;
    if (e.propertyName !== undefined) return this.badName(e.propertyName, fixHint);
    switch (e.keyword) {
      case 'additionalProperties':
        return this.unknownKey(String((e.params as { additionalProperty: string }).additionalProperty), e);
      case 'required': {
        const missing = (e.params as { missingProperty: string }).missingProperty;
        const parent = this.keyOf([]);
        const about = firstSentence(((e.parentSchema as Raw | undefined)?.['properties'] as Record<string, Raw> | undefined)?.[missing]?.['description']);
        return this.make(`${this.keyOf([missing])} is required`, {
          loc: this.loc('value'),
          key: this.keyOf([missing]),
          fix: fixHint ?? `add "${missing}:" ${parent ? `under ${parent}` : 'here'}${about ? ` (${about})` : ''}`,
        });
      }
      case 'enum': {
        const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map(String);
        const guess = typeof value === 'string' ? didYouMean(value, allowed) : undefined;
        return this.make(`${key} must be one of ${allowed.join(', ')}`, {
          loc: this.loc('value'),
          key,
          value: this.shown(),
          fix: guess !== undefined ? `did you mean "${guess}"?` : (fixHint ?? `use one of: ${allowed.join(', ')}`),
        });
      }
      case 'type': {
        const want = String((e.params as { type: string | string[] }).type).replace(/,/g, ' or ');
        const also = this.siblings.filter((s) => s.keyword === 'type' && s !== e).map((s) => String((s.params as { type: string }).type));
        const all = [...new Set([want, ...also])].join(' or ');
        return this.make(`${key} must be ${article(all)}, not ${typeName(value)}`, {
          loc: this.loc('value'),
          key,
          value: this.shown(),
          fix: fixHint ?? (this.where.self && all === 'object' ? selfFix(this.where.self) : typeFix(all, this.secret ? MASK : value)),
        });
      }
      case 'pattern': {
        const pattern = (e.params as { pattern: string }).pattern;
        return this.make(`${key} has the wrong form`, {
          loc: this.loc('value'),
          key,
          value: this.shown(),
          fix: withExample(fixHint ?? `it must match ${pattern}`, pattern, value),
        });
      }
      case 'not':
        return this.conflict(e, fixHint);
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum': {
        const limit = (e.params as { limit: number }).limit;
        const bound = { minimum: `at least ${limit}`, maximum: `at most ${limit}`, exclusiveMinimum: `more than ${limit}`, exclusiveMaximum: `less than ${limit}` }[e.keyword];
        const range = rangeOf(e.parentSchema as Raw | undefined);
        return this.make(`${key} must be ${bound}`, { loc: this.loc('value'), key, value: this.shown(), fix: fixHint ?? `use a value ${range}` });
      }
      case 'minLength':
        return this.make((e.params as { limit: number }).limit === 1 ? `${key} must not be empty` : `${key} ${e.message ?? 'is too short'}`, {
          loc: this.loc('value'),
          key,
          value: this.shown(),
          fix: fixHint ?? 'give a value, or remove the key',
        });
      case 'minItems':
        return this.make(`${key} must have at least ${(e.params as { limit: number }).limit} item(s)`, { loc: this.loc('value'), key, value: this.shown(), fix: fixHint ?? 'add items, or remove the key' });
      case 'minProperties':
        return this.make(`${key} must not be empty`, { loc: this.loc('value'), key, value: this.shown(), fix: fixHint ?? 'add at least one key, or remove this' });
      default:
        return this.make(`${key} ${e.message ?? 'is invalid'}`, { loc: this.loc('value'), key, value: this.shown(), fix: fixHint });
    }
  }

  private shown(): string {
    if (this.secret) return MASK;
    return showWritten(this.root, this.steps, this.value);
  }

  private unknownKey(bad: string, e: ErrorObject): Problem {
    const props = ((e.parentSchema as Raw | undefined)?.['properties'] as Raw | undefined) ?? {};
    const allowed = Object.keys(props);
    const k = this.keyOf([bad]);
    const loc = this.loc('key', bad);
    if (Object.hasOwn(props, 'block') && moduleKeys().has(bad)) {
      return this.make(`a block cannot run a module itself, but this one names "${bad}"`, {
        loc,
        key: k,
        fix: `move ${bad}: into a task of its own under block: (a block holds tasks; it has no module)`,
      });
    }
    const guess = didYouMean(bad, allowed);
    // Ansible's long names (ansible.builtin.copy) are accepted but not worth listing.
    const listed = allowed.filter((a) => !a.startsWith('ansible.builtin.'));
    return this.make(`unknown key "${k}"`, {
      loc,
      key: k,
      fix: guess !== undefined ? `did you mean "${guess}"?` : `allowed keys here: ${listed.join(', ')}`,
    });
  }

  /**
   * propertyNames failed: a variable or fact name that cannot be one. The fix is the schema's
   * x-fix verbatim (the inventory loader recognises these problems by it); a valid spelling,
   * when there is an obvious one, goes in the message.
   */
  private badName(name: string, fixHint: string | undefined): Problem {
    const where = this.keyOf([]) || this.where.self;
    const steps = [...this.steps, name];
    const valid = identifierFor(name);
    return this.make(`invalid name "${name}"${where ? ` in ${where}` : ''}${valid ? `; "${valid}" would be valid` : ''}`, {
      loc: locAtPath(this.root, steps, 'key') ?? this.loc('value'),
      key: this.keyOf([name]),
      fix: fixHint ?? 'use letters, digits and _',
    });
  }

  /** `not: {required: [a, b]}` or `dependentSchemas: {a: {not: {required: [b]}}}`: keys that exclude each other. */
  private conflict(e: ErrorObject, fixHint: string | undefined): Problem {
    const given = isMapping(this.value) ? this.value : {};
    const trigger = /\/dependentSchemas\/([^/]+)\/not$/.exec(e.schemaPath)?.[1];
    const named = requiredIn(e.schema).filter((k) => Object.hasOwn(given, k));
    const keys = [...new Set([...(trigger ? [trigger] : []), ...named])];
    if (keys.length < 2) return this.make(`${this.key} is not allowed in this form`, { loc: this.loc('value'), key: this.key, value: this.shown(), fix: fixHint });
    // Point at whichever of the keys comes last: that is usually the one added by mistake.
    const locs = keys.map((k) => ({ k, loc: keyLocOf(this.value, k) }));
    const last = locs.reduce((a, b) => ((b.loc?.line ?? 0) > (a.loc?.line ?? 0) || ((b.loc?.line ?? 0) === (a.loc?.line ?? 0) && (b.loc?.col ?? 0) > (a.loc?.col ?? 0)) ? b : a));
    const names = keys.map((k) => this.keyOf([k]));
    return this.make(`${names.slice(0, -1).join(', ')} and ${names[names.length - 1]} cannot be used together`, {
      loc: last.loc ?? this.loc('value'),
      key: this.key,
      fix: fixHint ?? `keep only one of ${keys.join(', ')}`,
    });
  }
}

/** Property names a `not` schema requires (through anyOf/oneOf), in order. */
function requiredIn(schema: unknown): string[] {
  if (!isMapping(schema)) return [];
  const own = Array.isArray(schema['required']) ? (schema['required'] as unknown[]).map(String) : [];
  const nested = ['anyOf', 'oneOf', 'allOf'].flatMap((k) => (Array.isArray(schema[k]) ? (schema[k] as unknown[]).flatMap(requiredIn) : []));
  return [...own, ...nested];
}

function rangeOf(schema: Raw | undefined): string {
  const min = schema?.['minimum'];
  const max = schema?.['maximum'];
  if (typeof min === 'number' && typeof max === 'number') return `from ${min} to ${max}`;
  if (typeof min === 'number') return `of ${min} or more`;
  if (typeof max === 'number') return `of ${max} or less`;
  return 'within the allowed range';
}

const IDENTIFIER = '^[A-Za-z_][A-Za-z0-9_]*$';

/** marker-dir → marker_dir: the identifier a bad variable name most likely meant. */
function identifierFor(value: string): string | undefined {
  let name = value.replace(/[^A-Za-z0-9_]/g, '_');
  if (/^[0-9]/.test(name)) name = `_${name}`;
  return name && name !== value && new RegExp(IDENTIFIER).test(name) ? name : undefined;
}

/** For identifier patterns, show the name the user probably meant. */
function withExample(fix: string, pattern: string, value: unknown): string {
  const name = pattern === IDENTIFIER && typeof value === 'string' ? identifierFor(value) : undefined;
  return name ? `${fix}, e.g. "${name}"` : fix;
}

function article(t: string): string {
  return t
    .split(' or ')
    .map((x) => ({ string: 'a string', integer: 'an integer', number: 'a number', boolean: 'a boolean (true or false)', array: 'a list', object: 'a mapping', null: 'null' })[x] ?? x)
    .join(' or ');
}

/** A play or task that is not a mapping: show the shape it should have. */
function selfFix(self: string): string {
  return self.startsWith('play')
    ? 'a play is a mapping: "- hosts: localhost" with its other keys (tasks:, vars:...) indented under it'
    : 'a task is a mapping: "- name: ..." with its module (e.g. copy:) indented under it';
}

/** The first sentence of a schema description, for fixes that say what a key is for. */
function firstSentence(d: unknown): string | undefined {
  if (typeof d !== 'string' || d === '') return undefined;
  const s = d.split(/(?<=\.)\s/)[0] ?? d;
  return s.replace(/\.$/, '');
}

function typeFix(want: string, value: unknown): string {
  const scalar = typeof value === 'number' || typeof value === 'boolean';
  if (want.includes('array') && !want.includes('string')) return 'write a YAML list (one "- item" per line)';
  if (want.includes('array') && !scalar) return 'write a YAML list (one "- item" per line) or a string';
  if (want.includes('string') && scalar) return `quote the value: "${String(value)}"`;
  if (want === 'boolean' && typeof value === 'string' && /^(yes|no|true|false|on|off|y|n)$/i.test(value)) return `remove the quotes: quoted, "${value}" is a string, not a boolean`;
  if (want === 'boolean') return 'write true or false';
  if (want.includes('object') && Array.isArray(value)) return 'write a mapping (key: value lines, without "- ")';
  return `write ${article(want)}`;
}
