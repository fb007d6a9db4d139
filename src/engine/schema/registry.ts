// One ajv instance for every schema in schemas/, compiled lazily and cached. `npm run build`
// also compiles each schema ahead of time (precompile.ts) into its own file, which a built kiln
// loads, one schema at a time, while the schemas match.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Ajv2020, Options, ValidateFunction } from 'ajv/dist/2020.js';
import { requireCached } from '../code_cache.js';
import { packagePath } from '../paths.js';

// ajv's compiler is loaded only when something must be compiled at run time: precompiled
// validators need just its small runtime helpers.
const requireHere = createRequire(import.meta.url);

/** The schemas/ folder of the package, with a trailing slash. */
export const SCHEMA_DIR = `${packagePath('schemas')}/`;

let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

/** The ajv options every kiln schema is compiled with (at run time and ahead of time). */
export const AJV_OPTIONS: Options = { allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true, verbose: true, inlineRefs: false };

/** A fresh ajv with kiln's keywords and every schema added. */
export function newAjv(extra: Options = {}): Ajv2020 {
  const { Ajv2020: Ajv } = requireHere('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const a = new Ajv({ ...AJV_OPTIONS, ...extra });
  // kiln's annotations: secret arguments, a human fix hint, aliases, check-mode notes.
  a.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
  a.addKeyword({ keyword: 'x-fix', schemaType: 'string' });
  a.addKeyword({ keyword: 'x-aliases', schemaType: 'array' });
  a.addKeyword({ keyword: 'x-check-mode', schemaType: 'string' });
  // What the engine must know of a module (engine/module.ts ModuleTraits), read by schema/traits.ts.
  a.addKeyword({ keyword: 'x-free-form', schemaType: 'string' });
  a.addKeyword({ keyword: 'x-raw-string', schemaType: 'boolean' });
  a.addKeyword({ keyword: 'x-conditions', schemaType: 'array' });
  a.addKeyword({ keyword: 'x-sets-facts', schemaType: 'object' });
  a.addKeyword({ keyword: 'x-play-control', schemaType: 'boolean' });
  a.addKeyword({ keyword: 'x-local', schemaType: 'boolean' });
  for (const file of schemaFiles()) a.addSchema(readJson(file), schemaId(file));
  return a;
}

/** A digest of every schema's text and the options: precompiled validators are used only when it matches. */
export function schemasDigest(): string {
  const h = createHash('sha256').update(JSON.stringify(AJV_OPTIONS)).update('\0');
  for (const f of schemaFiles()) h.update(f).update('\0').update(readFileSync(SCHEMA_DIR + f)).update('\0');
  return h.digest('hex');
}

/** What the build saw of each schema file (path, size, mtime), and their digest. */
export interface SchemasStamp {
  digest: string;
  files: [rel: string, size: number, mtimeMs: number][];
}

/** The stamp of the schemas as they are now. */
export function schemasStamp(): SchemasStamp {
  // Stat before reading: a file changed in between then has a newer mtime than its stamp says.
  const files = schemaFiles().map((rel): [string, number, number] => {
    const st = statSync(SCHEMA_DIR + rel);
    return [rel, st.size, st.mtimeMs];
  });
  return { digest: schemasDigest(), files };
}

/**
 * The schemas' digest, taken from the build's stamp while every schema file still has the size and
 * mtime the build saw (a few stats instead of reading and hashing every file at each start-up);
 * computed from the files otherwise.
 */
export function currentDigest(stampFile = precompiledStampFile()): string {
  try {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as SchemasStamp;
    const files = schemaFiles();
    const same =
      files.length === stamp.files.length &&
      stamp.files.every(([rel, size, mtimeMs], i) => {
        if (files[i] !== rel) return false;
        const st = statSync(SCHEMA_DIR + rel);
        return st.size === size && st.mtimeMs === mtimeMs;
      });
    if (same && typeof stamp.digest === 'string') return stamp.digest;
  } catch {
    // no stamp, or unreadable: judge by the files
  }
  return schemasDigest();
}

/** Where the build records the stamp of the schemas it compiled. */
export function precompiledStampFile(): string {
  return `${precompiledDir()}/schemas.stamp.json`;
}

/** Where `npm run build` writes the precompiled validators. */
export function precompiledDir(): string {
  return packagePath('dist', 'validators');
}

/** The precompiled file of a schema: "modules/copy.schema.json" → …/modules/copy.schema.cjs. */
export function precompiledFile(rel: string): string {
  return `${precompiledDir()}/${rel.replace(/\.json$/, '.cjs')}`;
}

// Only a built kiln uses them: the sources (tsx) always compile, so they judge by themselves.
const BUILT = fileURLToPath(import.meta.url).startsWith(`${packagePath('dist')}/`);
let digest: string | undefined;

function ahead(rel: string): ValidateFunction | undefined {
  if (!BUILT) return undefined;
  const file = precompiledFile(rel);
  if (!existsSync(file)) return undefined;
  const mod = requireCached(file) as { digest: string; validate: ValidateFunction };
  digest ??= currentDigest();
  return mod.digest === digest ? mod.validate : undefined;
}

function instance(): Ajv2020 {
  if (ajv) return ajv;
  ajv = newAjv();
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
  const raw = JSON.parse(readFileSync(SCHEMA_DIR + rel, 'utf8')) as Record<string, unknown>;
  return rel === 'playbook.schema.json' ? withModuleKeys(raw) : raw;
}

/** A module's schema file, its YAML keys (name first, then `x-aliases`) and the schema itself. */
export interface ModuleSchema {
  name: string;
  file: string;
  keys: string[];
  schema: Record<string, unknown>;
}

let modules: ModuleSchema[] | undefined;

/** Every schemas/modules/NAME.schema.json: a module is its schema file, so this is the list of modules. */
export function moduleSchemas(): readonly ModuleSchema[] {
  if (modules) return modules;
  const index = builtModuleIndex();
  if (index) return (modules = index);
  modules = readModuleSchemas();
  return modules;
}

/** The module schemas as the files say now (the build writes them into one index file too). */
export function readModuleSchemas(): ModuleSchema[] {
  return schemaFiles()
    .filter((f) => /^modules\/[^/]+\.schema\.json$/.test(f))
    .map((file) => {
      const schema = readJson(file);
      const name = file.slice('modules/'.length, -'.schema.json'.length);
      const aliases = Array.isArray(schema['x-aliases']) ? (schema['x-aliases'] as string[]) : [];
      return { name, file, keys: [name, ...aliases], schema };
    });
}

/** Where the build writes every module schema in one file, with the schemas' digest. */
export function moduleIndexFile(): string {
  return packagePath('dist', 'schemas', 'modules.index.json');
}

/** A built kiln reads the module schemas from the build's index while the schemas match it: one file, not one per module. */
function builtModuleIndex(): ModuleSchema[] | undefined {
  if (!BUILT) return undefined;
  try {
    const index = JSON.parse(readFileSync(moduleIndexFile(), 'utf8')) as { digest: string; modules: ModuleSchema[] };
    digest ??= currentDigest();
    return index.digest === digest ? index.modules : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The playbook schema's tasks and handlers take one key per module name and alias, each a `$ref`
 * to the module's schema. They are added here from schemas/modules/, not written in the file, so
 * a new module is its schema file alone; the build writes the composed schema out for editors.
 */
function withModuleKeys(raw: Record<string, unknown>): Record<string, unknown> {
  const defs = raw['$defs'] as Record<string, { properties: Record<string, unknown> }>;
  for (const def of ['task', 'handler']) {
    const props = defs[def]?.properties;
    if (!props) throw new Error(`playbook.schema.json has no $defs.${def}.properties`);
    for (const m of moduleSchemas()) for (const key of m.keys) props[key] = { $ref: m.file };
  }
  return raw;
}

/**
 * The key a schema is registered under. The files carry no `$id`: their `$ref`s are relative
 * paths ("modules/copy.schema.json"), so editors resolve them from the files and ajv from this.
 */
export function schemaId(rel: string): string {
  return `kiln:/schemas/${rel}`;
}

/** The compiled validator for a schema path under schemas/ ("modules/copy.schema.json"). */
export function validatorFor(rel: string): ValidateFunction {
  let v = compiled.get(rel);
  if (!v) {
    v = ahead(rel);
    if (v) compiled.set(rel, v);
  }
  if (!v) {
    const found = instance().getSchema(schemaId(rel));
    if (!found) throw new Error(`no schema ${rel} under ${SCHEMA_DIR}`);
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
