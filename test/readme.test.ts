// The README documents what the code does: exit codes, connection variables, modules.
import { strict as assert } from 'node:assert';
import { readFileSync, statSync } from 'node:fs';
import { EXIT } from '../src/engine/exit_codes.js';
import { CONNECTION_VARS } from '../src/engine/inventory/connection_vars.js';
import { moduleNames } from '../src/modules/index.js';
import { schemaFiles } from '../src/engine/schema/registry.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('starts with the two commands', () => {
    const first = readme.split('```sh')[1]?.split('```')[0] ?? '';
    assert.match(first, /^npm ci && npx kiln play playbooks\/site\.yml --check/m);
    assert.match(first, /^bash \.ci\/run$/m);
    assert.match(readFileSync(new URL('../.ci/run', import.meta.url), 'utf8'), /^npm ci --no-audit --no-fund && npm test$/m);
  });

  it('leaves the built kiln executable, so `npx kiln` works after `npm test` rebuilt it', () => {
    const bin = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { bin: { kiln: string } }).bin.kiln;
    assert.ok(statSync(new URL(`../${bin}`, import.meta.url)).mode & 0o100, `${bin} is not executable`);
  });

  it('documents every exit code, and no other', () => {
    const section = readme.split('## Exit codes')[1]?.split('\n## ')[0] ?? '';
    const table = [...section.matchAll(/^\| (\d+) \| /gm)].map((m) => Number(m[1]));
    assert.deepEqual(table.sort((a, b) => a - b), Object.values(EXIT).sort((a, b) => a - b));
  });

  it('lists every connection variable with its aliases', () => {
    for (const v of CONNECTION_VARS) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${v.name}\` |`));
      assert.ok(row, `${v.name} is missing from the README`);
      for (const a of v.aliases) assert.ok(row.includes(`\`${a}\``), `${a} is missing from ${v.name}'s row`);
    }
  });

  it('names every module, and every module has a schema', () => {
    const schemas = schemaFiles().filter((f) => f.startsWith('modules/')).map((f) => f.slice(8, -12));
    assert.deepEqual([...moduleNames()].sort(), [...schemas].sort());
    for (const m of moduleNames()) assert.ok(readme.includes(`\`${m}\``), `module ${m} is not in the README`);
  });
});
