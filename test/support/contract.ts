// The module contract, checked against a real host: what check mode shows is what apply does.
// A plan is decided once; apply runs exactly its steps. A module that works its changes out again
// in apply (or does more than it planned) is caught by giving apply a plan with fewer steps.
import { strict as assert } from 'node:assert';
import type { Module, ModuleContext, Plan } from '../../src/engine/module.js';

function summaries(plan: Plan<unknown, unknown>): string[] {
  return plan.steps.map((s) => s.change.summary);
}

/**
 * From a state where `args` ask for at least one change:
 * 1. apply given the plan with no steps must change nothing: the next plan is the same;
 * 2. apply given the plan's first step only must do that step alone: the next plan has exactly
 *    one step less (when the plan had two or more);
 * 3. apply given the whole plan converges: the next plan has no step.
 * `reset` brings the host back to the starting state before each of them.
 */
export async function assertAppliesItsPlan<A, S, D>(module: Module<A, S, D>, ctx: ModuleContext, args: A, reset: () => Promise<void> | void): Promise<void> {
  const replan = async (): Promise<Plan<S, D>> => module.plan(await module.read(ctx, args), args);
  await reset();
  const shown = await replan();
  assert.ok(shown.steps.length > 0, `${module.name}: the starting state must need a change`);

  await module.apply(ctx, args, { ...shown, steps: [] });
  assert.deepEqual(summaries(await replan()), summaries(shown), `${module.name}: apply did what its plan (no step) did not say`);

  if (shown.steps.length > 1) {
    await reset();
    const first = await replan();
    await module.apply(ctx, args, { ...first, steps: first.steps.slice(0, 1) });
    const after = await replan();
    assert.equal(after.steps.length, first.steps.length - 1, `${module.name}: apply given one step of ${first.steps.length} left ${after.steps.length} to do (${summaries(after).join('; ')})`);
  }

  await reset();
  const all = await replan();
  await module.apply(ctx, args, all);
  const done = await replan();
  assert.deepEqual(summaries(done), [], `${module.name}: the plan, applied, did not converge`);
}
