// Handlebars rendering for every string value and template file: strict, never HTML-escaped,
// and type-preserving when a string is one whole expression ("{{ port }}" stays a number).
// Plain substitutions are rendered without Handlebars (simple.ts), with the same results.
import type Handlebars from 'handlebars';
import { TemplateError } from '../errors.js';
import { isSecret } from '../secret.js';
import handlebars from './handlebars.cjs';
import { HELPERS } from './helpers.js';
import { simpleParts, type SimplePart } from './simple.js';

let hb: typeof Handlebars | undefined;

/** kiln's Handlebars environment: its own helpers, created on first use. */
export function environment(): typeof Handlebars {
  if (hb) return hb;
  hb = handlebars().create();
  for (const [name, fn] of Object.entries(HELPERS)) hb.registerHelper(name, fn as Handlebars.HelperDelegate);
  return hb;
}

const OPTIONS: CompileOptions = { noEscape: true, strict: true, preventIndent: true };
const RUNTIME: RuntimeOptions = { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false };

/** A template, by its text: the parts of a simple one, and Handlebars' code once it was needed. */
interface Compiled {
  simple?: SimplePart[];
  full?: Handlebars.TemplateDelegate;
}
const compiled = new Map<string, Compiled>();

type Vars = Readonly<Record<string, unknown>>;

/** Quick test: does this string need rendering at all? */
export function isTemplated(s: string): boolean {
  return s.includes('{{');
}

function compile(text: string): Compiled {
  let t = compiled.get(text);
  if (!t) {
    const simple = simpleParts(text);
    t = simple ? { simple } : { full: environment().compile(text, OPTIONS) };
    compiled.set(text, t);
  }
  return t;
}

/**
 * A simple template's text, exactly as Handlebars' generated code makes it: `'' + (p1 + p2 ...)`
 * with null/undefined as "" (so `{{a}}{{b}}` adds two numbers, as there). Whenever Handlebars
 * would do more than read an own property (missing variable, inherited property, function,
 * non-object parent), returns undefined and the caller asks Handlebars, for its result or error.
 */
function substitute(parts: readonly SimplePart[], vars: Vars): string | undefined {
  let acc: unknown;
  for (const [i, part] of parts.entries()) {
    let v: unknown;
    if (typeof part === 'string') v = part;
    else {
      let node: unknown = vars;
      for (const seg of part) {
        if (node === null || typeof node !== 'object' || !Object.hasOwn(node, seg)) return undefined;
        node = (node as Record<string, unknown>)[seg];
      }
      if (typeof node === 'function') return undefined;
      v = node ?? '';
    }
    // `+` on purpose: the same coercions (and numeric addition) as Handlebars' code.
    acc = i === 0 ? v : (acc as string) + (v as string);
  }
  return '' + (acc as string);
}

function run(text: string, vars: Vars): string {
  const t = compile(text);
  if (t.simple) {
    const out = substitute(t.simple, vars);
    if (out !== undefined) return out;
  }
  // Handlebars decides the rest: the same result, or the same error, as without the fast path.
  t.full ??= environment().compile(text, OPTIONS);
  return t.full(vars, RUNTIME);
}

/** Render text to a string. Undefined variables throw TemplateError naming them. */
export function renderText(text: string, vars: Vars, source = 'template'): string {
  return renderWith(run, text, vars, source);
}

/** renderText through Handlebars alone: the reference the fast path is tested against. */
export function renderTextByHandlebars(text: string, vars: Vars, source = 'template'): string {
  return renderWith((t, v) => environment().compile(t, OPTIONS)(v, RUNTIME), text, vars, source);
}

function renderWith(render: (text: string, vars: Vars) => string, text: string, vars: Vars, source: string): string {
  if (!isTemplated(text)) return text;
  jinjaCheck(text, source);
  try {
    return render(text, vars);
  } catch (e) {
    throw toTemplateError(e, text, source);
  }
}

/** Render a string value; a lone `{{ expr }}` keeps the value's type (number, list, mapping). */
export function renderValue(text: string, vars: Vars, source = 'value'): unknown {
  if (!isTemplated(text)) return text;
  const whole = wholeExpression(text);
  if (whole) {
    jinjaCheck(text, source);
    const found = lookupPath(vars, whole);
    if (found.ok) {
      if (found.value === undefined) throw new TemplateError(`undefined variable "${whole.join('.')}" in ${show(text)} (${source})`, whole[0]);
      return found.value;
    }
  }
  return renderText(text, vars, source);
}

/** Render every string inside a value (objects and lists are copied; Secrets pass through). */
export function renderDeep(value: unknown, vars: Vars, source = 'value'): unknown {
  if (typeof value === 'string') return renderValue(value, vars, source);
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, vars, source));
  if (value && typeof value === 'object' && !isSecret(value)) {
    const out: Record<string, unknown> = Object.create(null);
    for (const [k, v] of Object.entries(value)) out[k] = renderDeep(v, vars, source);
    return out;
  }
  return value;
}

/** `{{ a.b.[0] }}` → ["a","b","0"]; anything else (helpers, text around it) → undefined. */
function wholeExpression(text: string): string[] | undefined {
  const m = /^\{\{\s*([A-Za-z_][\w-]*(?:\.(?:[A-Za-z_][\w-]*|\[\d+\]|\d+))*)\s*\}\}$/.exec(text);
  if (!m || !m[1]) return undefined;
  if (Object.hasOwn(HELPERS, m[1])) return undefined;
  return m[1].split('.').map((p) => p.replace(/^\[(\d+)\]$/, '$1'));
}

function lookupPath(vars: Vars, parts: string[]): { ok: true; value: unknown } | { ok: false } {
  let node: unknown = vars;
  for (const [i, p] of parts.entries()) {
    if (node === null || typeof node !== 'object') {
      if (i === 0) return { ok: false };
      throw new TemplateError(`"${parts.slice(0, i).join('.')}" has no field "${p}" (it is ${node === null ? 'null' : typeof node})`, parts[0]);
    }
    const hasIt = i === 0 ? p in (node as object) : Object.hasOwn(node as object, p);
    if (!hasIt) return { ok: true, value: undefined };
    node = (node as Record<string, unknown>)[p];
  }
  return { ok: true, value: node };
}

function show(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

function toTemplateError(e: unknown, text: string, source: string): TemplateError {
  const msg = e instanceof Error ? e.message : String(e);
  const undef = /^"([^"]+)" not defined in/.exec(msg);
  if (undef) return new TemplateError(`undefined variable "${undef[1]}" in ${show(text)} (${source})`, undef[1]);
  const helper = /Missing helper: "([^"]+)"/.exec(msg);
  if (helper) return new TemplateError(`unknown helper "${helper[1]}" in ${show(text)} (${source}); kiln's helpers: ${Object.keys(HELPERS).join(', ')}`);
  return new TemplateError(`cannot render ${show(text)} (${source}): ${msg.split('\n')[0]}`);
}

/** Ansible habits that Handlebars reads differently: say so instead of a parse error. */
function jinjaCheck(text: string, source: string): void {
  const bad = /\{\{(?!\s*[#^/])[^}]*\|[^}]*\}\}|\{%/.exec(text);
  if (bad) {
    throw new TemplateError(
      `${show(text)} (${source}) uses Jinja2 syntax; kiln templates are Handlebars: write {{default x "y"}} instead of {{ x | default('y') }}, and {{#if x}}...{{/if}} instead of {% if x %}`,
    );
  }
}
