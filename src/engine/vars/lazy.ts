// Variables may refer to other variables ("{{ base }}/app"): each is rendered on its first read,
// with a guard against cycles, so unused variables cost nothing and missing ones fail only when used.
import { TemplateError } from '../errors.js';
import { renderDeep } from '../template/render.js';

/**
 * A view of `raw` whose templated values render on first read against the view itself.
 * `label(key)` names a variable in messages ("variable x", "hostvars['web1'].x").
 */
export function lazilyRendered(raw: Record<string, unknown>, label: (key: string) => string = (k) => `variable "${k}"`): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  const resolving = new Set<string>();
  for (const key of Object.keys(raw)) {
    const value = raw[key];
    if (!needsRender(value)) {
      out[key] = value;
      continue;
    }
    let cached: { v: unknown } | undefined;
    Object.defineProperty(out, key, {
      enumerable: true,
      configurable: true,
      get() {
        if (cached) return cached.v;
        if (resolving.has(key)) throw new TemplateError(`${label(key)} refers to itself (${[...resolving, key].join(' -> ')})`, key);
        resolving.add(key);
        try {
          cached = { v: renderDeep(value, out, label(key)) };
        } finally {
          resolving.delete(key);
        }
        return cached.v;
      },
    });
  }
  return out;
}

/** Whether a value holds a template: strings, and plain lists and mappings of them. */
export function needsRender(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('{{');
  if (Array.isArray(v)) return v.some(needsRender);
  if (v && typeof v === 'object') {
    const proto = Object.getPrototypeOf(v);
    if (proto === null || proto === Object.prototype) return Object.values(v).some(needsRender);
  }
  return false;
}
