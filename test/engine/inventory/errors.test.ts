import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ValidationError, type Problem } from '../../../src/engine/errors.js';
import { loadInventory } from '../../../src/engine/inventory/load.js';

const FIX = fileURLToPath(new URL('../../fixtures/inventory/', import.meta.url));

async function problemsOf(sources: string[]): Promise<Problem[]> {
  try {
    await loadInventory(sources);
  } catch (e) {
    assert.ok(e instanceof ValidationError, String(e));
    return e.problems;
  }
  assert.fail(`expected ${sources.join(' ')} to be rejected`);
}

/** Load one fixture from errors/ and return its single problem, checking where it points. */
async function onlyProblem(file: string, line: number, col: number): Promise<Problem> {
  const problems = await problemsOf([`${FIX}errors/${file}`]);
  assert.equal(problems.length, 1, problems.map((p) => p.format()).join('\n'));
  const p = problems[0];
  assert.ok(p);
  assert.deepEqual(p.loc, { file: `${FIX}errors/${file}`, line, col }, p.format());
  assert.ok(p.init.fix, 'every problem has a fix');
  return p;
}

describe('inventory errors', () => {
  it('INI: a host in [x:children]', async () => {
    const p = await onlyProblem('children_host.ini', 6, 1);
    assert.match(p.message, /"web1", which is a host, not a group/);
    assert.equal(p.init.key, '[prod:children]');
    assert.equal(p.init.value, '"web1"');
    assert.match(p.init.fix ?? '', /list hosts under \[prod\]/);
  });

  it('INI: an undeclared group in [x:children], with a suggestion', async () => {
    const p = await onlyProblem('children_unknown.ini', 5, 1);
    assert.match(p.message, /"webb", which is not a group/);
    assert.equal(p.init.fix, 'did you mean "web"?');
  });

  it('INI: a [x:vars] line without "="', async () => {
    const p = await onlyProblem('vars_no_equals.ini', 6, 1);
    assert.match(p.message, /must be name=value/);
    assert.equal(p.init.key, '[web:vars]');
    assert.equal(p.init.value, '"just_a_word"');
  });

  it('INI: [x:vars] for a group never declared', async () => {
    const p = await onlyProblem('vars_undeclared.ini', 4, 1);
    assert.match(p.message, /\[webservers:vars\] sets variables for a group that is never declared/);
  });

  it('INI: an unclosed range', async () => {
    const p = await onlyProblem('unclosed_range.ini', 3, 1);
    assert.match(p.message, /host range is not closed/);
    assert.equal(p.init.value, '"web[01:05.example.com"');
  });

  it('YAML: an unclosed range, at the host key', async () => {
    const p = await onlyProblem('unclosed_range.yml', 4, 5);
    assert.match(p.message, /host range is not closed/);
    assert.equal(p.init.key, 'all.hosts.web[1:3');
  });

  it('YAML: a group that is its own ancestor', async () => {
    const p = await onlyProblem('cycle.yml', 7, 13);
    assert.match(p.message, /group "a" is its own ancestor: a → b → a/);
    assert.equal(p.init.key, 'b.children');
  });

  it('INI: a cycle through three groups, at the line that closes it', async () => {
    const p = await onlyProblem('cycle.ini', 8, 1);
    assert.match(p.message, /a → b → c → a/);
  });

  it('INI: an unknown section type', async () => {
    const p = await onlyProblem('bad_section.ini', 4, 1);
    assert.match(p.message, /section \[web:hosts\] has an unknown type/);
    assert.match(p.init.fix ?? '', /\[web:children\]/);
  });

  it('YAML: an invalid group name, at the key', async () => {
    const p = await onlyProblem('bad_group_name.yml', 3, 5);
    assert.match(p.message, /"web.servers" is not a valid group name/);
    assert.equal(p.init.key, 'all.children.web.servers');
  });

  it('YAML: hosts written as a list (schema error with a fix)', async () => {
    const p = await onlyProblem('hosts_list.yml', 5, 9);
    assert.match(p.message, /all\.children\.web\.hosts must be a mapping/);
    assert.match(p.init.fix ?? '', /not a "- name" list/);
  });

  it('INI: a host variable that is not key=value', async () => {
    const p = await onlyProblem('host_token.ini', 2, 17);
    assert.match(p.message, /expected key=value after the host name, got "world"/);
    assert.match(p.init.fix ?? '', /quote values that contain spaces/);
  });

  it('INI: an unclosed quote', async () => {
    const p = await onlyProblem('unclosed_quote.ini', 2, 11);
    assert.match(p.message, /quotation is not closed/);
  });

  it('INI: a port that is not a number', async () => {
    const p = await onlyProblem('bad_port.ini', 2, 1);
    assert.match(p.message, /port "http"/);
  });

  it('script: a failing script, with its stderr', async () => {
    const p = await onlyProblem('bad_script.sh', 1, 1);
    assert.match(p.message, /exit code 3.*cannot reach the CMDB/);
  });

  it('script: bad output, at the line of the output', async () => {
    const [p, ...rest] = await problemsOf([`${FIX}errors/bad_json.sh`]);
    assert.equal(rest.length, 0);
    assert.deepEqual(p?.loc, { file: `${FIX}errors/bad_json.sh (--list output)`, line: 2, col: 10 });
    assert.match(p?.message ?? '', /unknown key "db.hostz"/);
  });

  it('reports a missing source, and problems of several sources together', async () => {
    const problems = await problemsOf([`${FIX}errors/nope.ini`, `${FIX}errors/bad_port.ini`, `${FIX}errors/cycle.yml`]);
    assert.equal(problems.length, 3);
    assert.match(problems[0]?.message ?? '', /does not exist/);
    assert.equal(problems[0]?.init.key, '-i');
  });

  it('reports a bad range in a comma list at its column', async () => {
    const [p] = await problemsOf(['ok1,web[1:2']);
    assert.deepEqual(p?.loc, { file: '-i', line: 1, col: 5 });
  });

  it('rejects "all" as a child group', async () => {
    const dir = mkdtempSync(`${tmpdir()}/kiln-inv-`);
    try {
      writeFileSync(`${dir}/hosts.yml`, 'web:\n  children:\n    all:\n');
      const [p, ...rest] = await problemsOf([`${dir}/hosts.yml`]);
      assert.equal(rest.length, 0);
      assert.match(p?.message ?? '', /"all" cannot be a child of "web"/);
      assert.deepEqual(p?.loc, { file: `${dir}/hosts.yml`, line: 3, col: 5 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
