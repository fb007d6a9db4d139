// Every stateful module applies the plan that check mode shows, and nothing else: checked on this
// machine's own file system through the local connection. A module that decides again in apply
// (the fixture below) fails the same check.
import { strict as assert } from 'node:assert';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localConnection } from '../../../src/engine/connection/local.js';
import type { ShellConnection } from '../../../src/engine/connection/shell_connection.js';
import type { Module } from '../../../src/engine/module.js';
import { command, type CommandArgs } from '../../../src/modules/command.js';
import { copy, type CopyArgs } from '../../../src/modules/copy.js';
import { file, type FileArgs, type FileState } from '../../../src/modules/file.js';
import { shell } from '../../../src/modules/shell.js';
import { template, type TemplateArgs } from '../../../src/modules/template.js';
import { assertAppliesItsPlan } from '../../support/contract.js';
import { fakeCtx, removeDir, tempDir } from '../../modules/helpers.js';

/** A broken module: its apply ignores the plan it is given and works the steps out again. */
const decidesTwice: Module<FileArgs, FileState, string[][]> = {
  ...file,
  async apply(ctx, args) {
    return file.apply(ctx, args, file.plan(await file.read(ctx, args), args));
  },
};

describe('module contract: apply runs the steps check mode showed, and nothing else', () => {
  let dir = '';
  let conn: ShellConnection;
  before(() => {
    dir = tempDir('contract');
    conn = localConnection();
  });
  after(async () => {
    await conn.close();
    removeDir(dir);
  });
  const fresh = (): void => {
    rmSync(join(dir, 't'), { recursive: true, force: true });
    mkdirSync(join(dir, 't'));
  };

  it('file: a directory with a mode (two steps)', async () => {
    const args: FileArgs = { path: join(dir, 't', 'd'), state: 'directory', mode: '0700' };
    await assertAppliesItsPlan(file, fakeCtx(conn), args, fresh);
  });

  it('file: a link replacing a file', async () => {
    const args: FileArgs = { path: join(dir, 't', 'l'), state: 'link', src: '/etc/hostname', force: true };
    await assertAppliesItsPlan(file, fakeCtx(conn), args, () => {
      fresh();
      writeFileSync(join(dir, 't', 'l'), 'x');
    });
  });

  it('copy: new content with a mode', async () => {
    const args: CopyArgs = { dest: join(dir, 't', 'c'), content: 'hello\n', mode: '0600' };
    await assertAppliesItsPlan(copy, fakeCtx(conn), args, fresh);
  });

  it('copy: only attributes of an existing file', async () => {
    const args: CopyArgs = { dest: join(dir, 't', 'c'), content: 'same\n', mode: '0640' };
    await assertAppliesItsPlan(copy, fakeCtx(conn), args, () => {
      fresh();
      writeFileSync(join(dir, 't', 'c'), 'same\n', { mode: 0o644 });
    });
  });

  it('template: rendered content', async () => {
    mkdirSync(join(dir, 'templates'), { recursive: true });
    writeFileSync(join(dir, 'templates', 'x.hbs'), 'name={{ who }}\n');
    const args: TemplateArgs = { src: 'x.hbs', dest: join(dir, 't', 'x') };
    await assertAppliesItsPlan(template, fakeCtx(conn, { root: dir, vars: { who: 'kiln' } }), args, fresh);
  });

  it('command and shell with creates', async () => {
    const made = join(dir, 't', 'made');
    const args: CommandArgs = { argv: ['touch', made], creates: made };
    await assertAppliesItsPlan(command, fakeCtx(conn), args, fresh);
    await assertAppliesItsPlan(shell, fakeCtx(conn), { cmd: `touch '${made}'`, creates: made }, fresh);
  });

  it('fails for a module whose apply decides again instead of running the plan', async () => {
    const args: FileArgs = { path: join(dir, 't', 'd'), state: 'directory', mode: '0700' };
    await assert.rejects(assertAppliesItsPlan(decidesTwice, fakeCtx(conn), args, fresh), /apply did what its plan \(no step\) did not say/);
  });
});
