// One ajv instance for every schema in schemas/, compiled lazily and cached.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

/** The schemas/ folder of the package (same depth from src/ and dist/). */
export const SCHEMA_DIR = fileURLToPath(new URL('../../../schemas/', import.meta.url));

let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

function instance(): Ajv2020 {
  if (ajv) return ajv;
  ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true, verbose: true });
  // kiln's annotations: secret arguments, and a human fix hint per property.
  ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
  ajv.addKeyword({ keyword: 'x-fix', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'x-aliases', schemaType: 'array' });
  ajv.addKeyword({ keyword: 'x-check-mode', schemaType: 'string' });
  for (const file of schemaFiles()) ajv.addSchema(readJson(file));
  return ajv;
}

/** Every schema file, relative to schemas/ ("playbook.schema.json", "modules/copy.schema.json"). */
export function schemaFiles(): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const ent of readdirSync(SCHEMA_DIR + rel, { withFileTypes: true })) {
      if (ent.isDirectory()) walk(`${rel}${ent.name}/`);
      else if (ent.name.endsWith('.schema.json')) out.push(rel + ent.name);
    }
  };
  walk('');
  return out.sort();
}

export function readJson(rel: string): Record<string, unknown> {
  return JSON.parse(readFileSync(SCHEMA_DIR + rel, 'utf8')) as Record<string, unknown>;
}

/** The `$id` every schema uses: its path under schemas/, e.g. "kiln:modules/copy". */
export function schemaId(rel: string): string {
  return `kiln:${rel.replace(/\.schema\.json$/, '')}`;
}

/** The compiled validator for a schema path under schemas/ ("modules/copy.schema.json"). */
export function validatorFor(rel: string): ValidateFunction {
  let v = compiled.get(rel);
  if (!v) {
    const found = instance().getSchema(schemaId(rel));
    if (!found) throw new Error(`schema ${rel} is missing its $id "${schemaId(rel)}"`);
    v = found;
    compiled.set(rel, v);
  }
  return v;
}

/** Compile a schema made at run time (a role's argument spec), cached by its text. */
export function compileInline(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  let v = compiled.get(key);
  if (!v) {
    v = instance().compile(schema);
    compiled.set(key, v);
  }
  return v;
}

/** The raw JSON of a schema, for docs and secret lookups. */
export function schemaJson(rel: string): Record<string, unknown> {
  return readJson(rel);
}
