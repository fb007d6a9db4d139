import { strict as assert } from 'node:assert';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { localConnection } from '../../src/engine/connection/local.js';
import type { ShellConnection } from '../../src/engine/connection/shell_connection.js';
import { applyCopy, planCopy } from '../../src/modules/copy.js';
import { template, type TemplateArgs } from '../../src/modules/template.js';
import { converge, counting, fakeCtx, removeDir, schemaChecks, summaries, tempDir, stepChange } from './helpers.js';

describe('template', () => {
  let dir = '';
  let conn: ShellConnection;
  before(() => {
    dir = tempDir('template');
    conn = localConnection();
    mkdirSync(`${dir}/templates`);
    mkdirSync(`${dir}/etc`);
    writeFileSync(`${dir}/templates/site.conf.hbs`, 'server_name {{server}};\nlisten {{port}};\n{{#each extra}}{{this}}\n{{/each}}');
    writeFileSync(`${dir}/templates/strict.hbs`, 'value={{missing}}\n');
  });
  after(async () => {
    await conn.close();
    removeDir(dir);
  });

  const vars = { server: 'example.org', port: 8080, extra: ['gzip on;', 'a "quoted" $(value) & <b>'] };

  it('shares copy’s plan and apply (no second implementation)', () => {
    assert.equal(template.plan, planCopy);
    assert.equal(template.apply, applyCopy);
  });

  it('renders on the controller, writes, then plans no change on the second run', async () => {
    const ctx = fakeCtx(conn, { root: dir, vars });
    const args: TemplateArgs = { src: 'site.conf.hbs', dest: `${dir}/etc/site.conf`, mode: '0640' };
    const first = await converge(template, ctx, args);
    assert.deepEqual(summaries(first.plan), [`create ${dir}/etc/site.conf`, 'mode 0640']);
    assert.equal(readFileSync(`${dir}/etc/site.conf`, 'utf8'), 'server_name example.org;\nlisten 8080;\ngzip on;\na "quoted" $(value) & <b>\n');
    assert.equal(statSync(`${dir}/etc/site.conf`).mode & 0o7777, 0o640);
    const second = await converge(template, ctx, args);
    assert.equal(second.plan.okReason, `${dir}/etc/site.conf already has this content and mode 0640`);
  });

  it('sees a changed variable as a content change, with a diff under --diff', async () => {
    const c = counting(conn);
    const ctx = fakeCtx(c, { root: dir, vars: { ...vars, port: 9090 }, diff: true });
    const { plan } = await converge(template, ctx, { src: 'site.conf.hbs', dest: `${dir}/etc/site.conf` }, { check: true });
    assert.deepEqual(summaries(plan), [`update content of ${dir}/etc/site.conf`]);
    const diff = plan.steps.map(stepChange)[0]?.diff;
    assert.equal(diff?.afterHeader, 'site.conf.hbs');
    assert.match(diff?.before ?? '', /listen 8080;/);
    assert.match(diff?.after ?? '', /listen 9090;/);
    assert.deepEqual(c.calls, ['script', `get ${dir}/etc/site.conf`]);
  });

  it('fails in read on an undefined variable (strict), before touching anything', async () => {
    await assert.rejects(converge(template, fakeCtx(conn, { root: dir, vars }), { src: 'strict.hbs', dest: `${dir}/etc/strict` }), /missing/);
    assert.deepEqual(readdirSync(`${dir}/etc`).sort(), ['site.conf']);
  });

  it('goes into a directory dest under the template’s file name', async () => {
    const r = await converge(template, fakeCtx(conn, { root: dir, vars }), { src: 'site.conf.hbs', dest: `${dir}/etc/` });
    assert.equal(r.applied?.data?.['dest'], `${dir}/etc/site.conf.hbs`);
  });

  it('check mode: a destination directory an earlier task would create makes it pending', async () => {
    const ctx = fakeCtx(conn, { root: dir, vars });
    ctx.planned.record({ kind: 'path', key: `${dir}/new/conf.d`, state: 'directory' }, 'make conf.d');
    const { plan } = await converge(template, ctx, { src: 'site.conf.hbs', dest: `${dir}/new/conf.d/site.conf` }, { check: true });
    assert.deepEqual(plan.steps.map(stepChange), [{ summary: `create ${dir}/new/conf.d/site.conf`, pending: `directory ${dir}/new/conf.d is planned by task 'make conf.d'` }]);
    assert.deepEqual(plan.effects, [{ kind: 'path', key: `${dir}/new/conf.d/site.conf`, state: 'file' }]);
  });
});

schemaChecks(template);
