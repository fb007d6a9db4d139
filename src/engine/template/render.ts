// Handlebars rendering for every string value and template file: strict, never HTML-escaped,
// and type-preserving when a string is one whole expression ("{{ port }}" stays a number).
import Handlebars from 'handlebars';
import { TemplateError } from '../errors.js';
import { isSecret } from '../secret.js';
import { HELPERS } from './helpers.js';

const hb = Handlebars.create();
for (const [name, fn] of Object.entries(HELPERS)) hb.registerHelper(name, fn as Handlebars.HelperDelegate);

const OPTIONS: CompileOptions = { noEscape: true, strict: true, preventIndent: true };
const compiled = new Map<string, Handlebars.TemplateDelegate>();

type Vars = Readonly<Record<string, unknown>>;

/** Quick test: does this string need rendering at all? */
export function isTemplated(s: string): boolean {
  return s.includes('{{');
}

function compile(text: string): Handlebars.TemplateDelegate {
  let t = compiled.get(text);
  if (!t) {
    t = hb.compile(text, OPTIONS);
    compiled.set(text, t);
  }
  return t;
}

const RUNTIME: RuntimeOptions = { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false };

/** Render text to a string. Undefined variables throw TemplateError naming them. */
export function renderText(text: string, vars: Vars, source = 'template'): string {
  if (!isTemplated(text)) return text;
  jinjaCheck(text, source);
  try {
    return compile(text)(vars, RUNTIME);
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
