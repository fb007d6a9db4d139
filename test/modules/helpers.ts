// Test helpers for modules: a ModuleContext over a real connection, the runner's read→plan→apply,
// throwaway folders, and the checks every module schema must pass.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import Handlebars from 'handlebars';
import type { Connection, PutOptions, RunOptions } from '../../src/engine/connection/types.js';
import type { Applied, Module, ModuleContext, Plan, Step } from '../../src/engine/module.js';
import type { Change } from '../../src/engine/result.js';
import { PlannedState } from '../../src/engine/planned.js';
import { schemaJson, validatorFor } from '../../src/engine/schema/registry.js';
import { type AnyModule, MODULES } from '../../src/modules/index.js';

export interface FakeCtxOptions extends Partial<ModuleContext> {
  /** findFile resolves `files/x` and `templates/x` under this folder. */
  root?: string;
  /** Variables for render. */
  vars?: Record<string, unknown>;
}

/** A ModuleContext the way the runner builds one, with findFile and Handlebars render. */
export function fakeCtx(conn: Connection, overrides: FakeCtxOptions = {}): ModuleContext {
  const { root = process.cwd(), vars = {}, ...rest } = overrides;
  return {
    host: conn.host,
    conn,
    planned: new PlannedState(),
    diff: false,
    task: 'test task',
    findFile: (kind, path) => (isAbsolute(path) ? path : join(root, kind, path)),
    render: (text) => Handlebars.compile(text, { noEscape: true, strict: true })(vars),
    vars,
    ...rest,
  };
}

/** A step's change, for `plan.steps.map(stepChange)`. */
export function stepChange(step: Step): Change {
  return step.change;
}

export interface Converged<S> {
  plan: Plan<S>;
  applied?: Applied;
}

/**
 * read → plan → apply, the way the runner does: apply only when something changes, never in
 * check mode; in check mode the plan's effects are recorded in ctx.planned under ctx.task.
 */
export async function converge<A, S, D>(module: Module<A, S, D>, ctx: ModuleContext, args: A, opts: { check?: boolean } = {}): Promise<Converged<S>> {
  const current = await module.read(ctx, args);
  const plan = module.plan(current, args);
  if (plan.steps.length === 0) assert.ok(plan.okReason, `${module.name}: a plan without changes must say why`);
  if (opts.check) {
    for (const e of plan.effects ?? []) ctx.planned.record(e, ctx.task);
    return { plan };
  }
  if (plan.steps.length === 0) return { plan };
  return { plan, applied: await module.apply(ctx, args, plan) };
}

/** The change summaries of a plan, for compact assertions. */
export function summaries(plan: Plan<unknown>): string[] {
  return plan.steps.map((s) => s.change.summary);
}

/** A fresh folder under the system temp dir; remove it with `rmSync(dir, {recursive, force})`. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `kiln-${prefix}-`));
}

export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** A connection wrapper that counts round trips (run, script, put, get). */
export function counting(conn: Connection): Connection & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    get host() {
      return conn.host;
    },
    run: (argv: readonly string[], opts?: RunOptions) => {
      calls.push(`run ${argv.join(' ')}`);
      return conn.run(argv, opts);
    },
    script: (script: string, args?: readonly string[], opts?: RunOptions) => {
      calls.push('script');
      return conn.script(script, args, opts);
    },
    put: (content: string | Buffer, path: string, opts?: PutOptions) => {
      calls.push(`put ${path}`);
      return conn.put(content, path, opts);
    },
    get: (path: string, opts?: { becomeUser?: string }) => {
      calls.push(`get ${path}`);
      return conn.get(path, opts);
    },
    close: () => conn.close(),
  };
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The checks every module schema passes: it compiles, documents itself and matches the module. */
export function schemaChecks(module: AnyModule): void {
  const rel = `modules/${module.name}.schema.json`;
  describe(`${module.name} schema`, () => {
    it('compiles in strict mode and documents the module and every property', () => {
      validatorFor(rel);
      const s = schemaJson(rel);
      assert.equal(s['$id'], undefined, 'schemas carry no $id: refs are relative file paths');
      assert.equal(s['title'], module.name);
      assert.equal(s['type'], 'object');
      assert.equal(s['additionalProperties'], false);
      assert.ok(Array.isArray(s['required']));
      assert.ok(typeof s['description'] === 'string' && s['description'].length > 20);
      assert.ok(typeof s['x-check-mode'] === 'string');
      const props = s['properties'] as Record<string, Record<string, unknown>>;
      for (const [k, p] of Object.entries(props)) assert.ok(typeof p['description'] === 'string' && p['description'] !== '', `${k} has no description`);
    });

    it('the registry knows the module by its name and every alias of its schema', () => {
      const aliases = schemaJson(rel)['x-aliases'] as string[];
      assert.ok(Array.isArray(aliases) && aliases.length > 0);
      for (const key of [module.name, ...aliases]) assert.equal(MODULES.get(key), module, key);
    });
  });
}
