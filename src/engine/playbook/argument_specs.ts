// Ansible's meta/argument_specs.yml, translated to JSON Schema so ajv checks role parameters.

type Raw = Record<string, unknown>;

const TYPES: Record<string, Raw> = {
  str: { type: 'string' },
  path: { type: 'string' },
  int: { type: 'integer' },
  float: { type: 'number' },
  bool: { type: 'boolean' },
  list: { type: 'array' },
  dict: { type: 'object' },
  raw: {},
};

/** One option spec → a JSON Schema property. Templated strings are checked after rendering. */
function option(spec: Raw): Raw {
  const t = String(spec['type'] ?? 'str');
  const out: Raw = { ...(TYPES[t] ?? {}) };
  if (typeof spec['description'] === 'string') out['description'] = spec['description'];
  else if (Array.isArray(spec['description'])) out['description'] = spec['description'].join(' ');
  if (Array.isArray(spec['choices'])) out['enum'] = spec['choices'];
  if (t === 'list' && spec['elements']) {
    const el = String(spec['elements']);
    out['items'] = el === 'dict' && spec['options'] ? objectOf(spec['options'] as Raw) : (TYPES[el] ?? {});
  }
  if (t === 'dict' && spec['options']) Object.assign(out, objectOf(spec['options'] as Raw));
  return out;
}

function objectOf(options: Raw): Raw {
  const properties: Raw = {};
  const required: string[] = [];
  for (const [name, spec] of Object.entries(options)) {
    const s = (spec ?? {}) as Raw;
    properties[name] = option(s);
    if (s['required'] === true) required.push(name);
  }
  return { type: 'object', properties, ...(required.length ? { required } : {}) };
}

/**
 * The JSON Schema for one entry point (usually "main"). Unknown parameters are allowed, as in
 * Ansible (role params double as variables), but declared ones must match their spec.
 */
export function specToSchema(specs: Raw, entry: string): Raw | undefined {
  const all = (specs['argument_specs'] ?? specs) as Raw;
  const point = all[entry] as Raw | undefined;
  if (!point) return undefined;
  return objectOf((point['options'] as Raw | undefined) ?? {});
}

/** Defaults declared in the spec (Ansible applies them like role defaults). */
export function specDefaults(specs: Raw, entry: string): Raw {
  const all = (specs['argument_specs'] ?? specs) as Raw;
  const options = ((all[entry] as Raw | undefined)?.['options'] as Raw | undefined) ?? {};
  const out: Raw = {};
  for (const [k, v] of Object.entries(options)) if (v && typeof v === 'object' && Object.hasOwn(v, 'default')) out[k] = (v as Raw)['default'];
  return out;
}
