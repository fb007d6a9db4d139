// user and group: getent parsing, every plan branch against canned accounts (the converged case
// with its reason, useradd/usermod/userdel argv, the password over stdin only), check mode's
// pending groups, and apply's commands through a fake connection.
import { strict as assert } from 'node:assert';
import { ModuleError } from '../../src/engine/errors.js';
import { PlannedState } from '../../src/engine/planned.js';
import { Secret } from '../../src/engine/secret.js';
import { type Accounts, parseAccounts } from '../../src/modules/account/getent.js';
import { group, planGroup } from '../../src/modules/group.js';
import { planUser, user, type UserState } from '../../src/modules/user.js';
import { FakeConn } from './fake_conn.js';
import { converge, fakeCtx, schemaChecks, summaries } from './helpers.js';

const fails = (fn: () => unknown, re: RegExp): void => assert.throws(fn, (e: unknown) => e instanceof ModuleError && re.test(e.message));
const HASH = '$y$j9T$abcdefghijklmnop$ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg';
const GROUPS = 'root:x:0:\nadm:x:4:app\nsudo:x:27:\nwww-data:x:33:\napp:x:1001:\n';
const out = (o: { passwd?: string; shadow?: string; group?: string; home?: boolean; parent?: boolean }): string =>
  [`passwd=${o.passwd ?? ''}`, ...(o.shadow !== undefined ? [`shadow=${o.shadow}`] : []), `group=${o.group ?? GROUPS}`, ...(o.home ? ['home_exists=1'] : []), ...(o.parent ? ['home_parent=1'] : []), 'end=1', ''].join('\0');
const APP = 'app:x:1001:1001:App:/home/app:/bin/sh';
const state = (acc: Accounts): UserState => ({ ...acc, name: 'app', plannedGroups: {} });
const existing = (shadow = `${HASH}`): UserState => state(parseAccounts(out({ passwd: APP, shadow: `app:${shadow}:19000:0:99999:7:::`, home: true, parent: true }), 'app'));
const missing = (): UserState => state(parseAccounts(out({ parent: true }), 'app'));

describe('user: reading getent output', () => {
  it('parses the user, its shadow hash, the groups and the home checks', () => {
    const a = parseAccounts(out({ passwd: APP, shadow: `app:${HASH}:1::::::`, home: true, parent: true }), 'app');
    assert.deepEqual(a.user, { name: 'app', uid: 1001, gid: 1001, comment: 'App', home: '/home/app', shell: '/bin/sh' });
    assert.equal(a.shadow, HASH);
    assert.deepEqual(a.groups.find((g) => g.name === 'adm'), { name: 'adm', gid: 4, members: ['app'] });
    assert.equal(a.homeExists, true);
  });
  it('takes a passwd line of another name (getent passwd NUMBER) as no user', () => {
    assert.equal(parseAccounts(out({ passwd: 'root:x:0:0:root:/root:/bin/bash' }), '0').user, undefined);
  });
});

describe('user: plan (canned accounts)', () => {
  it('is ok with the reason when everything matches', () => {
    const p = planUser(existing(), { name: 'app', shell: '/bin/sh', groups: ['adm'], password: new Secret(HASH) });
    assert.deepEqual(p.steps, []);
    assert.equal(p.okReason, 'user app exists with uid 1001, home /home/app, shell /bin/sh, groups adm and this password');
    assert.equal(p.data?.['password'], 'NOT_LOGGING_PASSWORD');
  });

  it('creates with useradd (home made) and sets the password over stdin, never argv', () => {
    const p = planUser(missing(), { name: 'app', uid: 1500, group: 'www-data', groups: 'adm,sudo', shell: '/bin/bash', comment: 'The app', system: true, password: new Secret(HASH) });
    assert.deepEqual(summaries(p), ['create system user app (uid 1500)', 'set the password of app']);
    assert.deepEqual(p.steps[0]?.do.argv, ['useradd', '-u', '1500', '-g', 'www-data', '-G', 'adm,sudo', '-c', 'The app', '-s', '/bin/bash', '-m', '-r', 'app']);
    assert.deepEqual(p.steps[1]?.do.argv, ['chpasswd', '-e']);
    assert.equal(p.steps[1]?.do.stdin?.reveal(), `app:${HASH}`);
    assert.ok(!JSON.stringify(p.steps).includes(HASH), 'the hash is masked wherever the plan is printed');
    assert.deepEqual(p.effects, [
      { kind: 'user', key: 'app', state: 'present' },
      { kind: 'path', key: '/home/app', state: 'directory' },
    ]);
  });

  it('passes -N when a group of the user\'s name exists, -M without a home, and makes a missing home parent', () => {
    const p = planUser(state(parseAccounts(out({}), 'app')), { name: 'app', home: '/srv/apps/app' });
    assert.deepEqual(p.steps.map((s) => s.do.argv), [['mkdir', '-p', '--', '/srv/apps'], ['useradd', '-N', '-d', '/srv/apps/app', '-m', 'app']]);
    assert.deepEqual(planUser(missing(), { name: 'app', create_home: false }).steps[0]?.do.argv, ['useradd', '-N', '-M', 'app']);
  });

  it('changes only what differs with one usermod', () => {
    const p = planUser(existing(), { name: 'app', shell: '/bin/bash', groups: ['sudo'], comment: 'App', home: '/home/app' });
    assert.deepEqual(summaries(p), ['change user app: groups +sudo -adm, shell /bin/sh -> /bin/bash']);
    assert.deepEqual(p.steps[0]?.do.argv, ['usermod', '-G', 'sudo', '-s', '/bin/bash', 'app']);
  });

  it('append adds the missing groups only, and is ok when none is missing', () => {
    assert.deepEqual(planUser(existing(), { name: 'app', groups: ['sudo'], append: true }).steps[0]?.do.argv, ['usermod', '-a', '-G', 'sudo', 'app']);
    assert.deepEqual(planUser(existing(), { name: 'app', groups: ['adm'], append: true }).steps, []);
  });

  it('changes the password when the hash differs, keeping a lock; on_create leaves it', () => {
    const p = planUser(existing(`!${HASH}`), { name: 'app', password: new Secret('$6$salt$other'), password_lock: true });
    assert.deepEqual(summaries(p), ['set the password of app']);
    assert.equal(p.steps[0]?.do.stdin?.reveal(), 'app:!$6$salt$other');
    assert.deepEqual(planUser(existing(), { name: 'app', password: new Secret('$6$salt$other'), update_password: 'on_create' }).steps, []);
    assert.deepEqual(planUser(existing(), { name: 'app', password_lock: true }).steps[0]?.do.argv, ['usermod', '-L', 'app']);
  });

  it('refuses a plain-text password and an unreadable shadow', () => {
    fails(() => planUser(existing(), { name: 'app', password: new Secret('hunter2') }), /password is not a crypt hash/);
    const noShadow = { ...existing() };
    delete noShadow.shadow;
    fails(() => planUser(noShadow, { name: 'app', password: new Secret(HASH) }), /run the task as root/);
  });

  it('fails on a missing group, unless an earlier task plans it (check mode): then pending', () => {
    fails(() => planUser(missing(), { name: 'app', groups: ['docker'] }), /group docker does not exist; create it first/);
    const s = { ...missing(), plannedGroups: { docker: 'docker group' } };
    const p = planUser(s, { name: 'app', groups: ['docker'] });
    assert.deepEqual(p.steps.map((st) => st.change.pending), ["group docker is planned by task 'docker group'"]);
  });

  it('removes with userdel, and is ok when the user is gone', () => {
    assert.deepEqual(planUser(existing(), { name: 'app', state: 'absent', remove: true, force: true }).steps[0]?.do.argv, ['userdel', '-f', '-r', 'app']);
    assert.equal(planUser(missing(), { name: 'app', state: 'absent' }).okReason, 'user app does not exist');
  });

  it('generates an SSH key once, as the user, and leaves an existing one', () => {
    const fresh = { ...existing(), sshKey: { path: '/home/app/.ssh/id_ed25519', exists: false }, hostname: 'web1' };
    const p = planUser(fresh, { name: 'app', generate_ssh_key: true, ssh_key_type: 'ed25519' });
    assert.deepEqual(summaries(p), ['generate an SSH key /home/app/.ssh/id_ed25519 (ed25519) for app']);
    assert.deepEqual(p.steps[0]?.do.argv.slice(3), ['keygen', '/home/app/.ssh/id_ed25519', 'app:', 'ed25519', '', 'ansible-generated on web1']);
    const made = { ...fresh, sshKey: { path: '/home/app/.ssh/id_ed25519', exists: true, publicKey: 'ssh-ed25519 AAAA x' } };
    const ok = planUser(made, { name: 'app', generate_ssh_key: true, ssh_key_type: 'ed25519' });
    assert.equal(ok.okReason, 'user app exists with uid 1001, home /home/app, shell /bin/sh, an SSH key /home/app/.ssh/id_ed25519');
    assert.equal(ok.data?.['ssh_public_key'], 'ssh-ed25519 AAAA x');
  });

  it('makes a missing home for an existing user, as Ansible does', () => {
    const s = { ...existing(), homeExists: false };
    assert.deepEqual(summaries(planUser(s, { name: 'app' })), ['create home /home/app for app']);
  });
});

describe('user and group: read and apply (fake connection)', () => {
  it('user: one getent round trip, then each step in order with the secret on stdin', async () => {
    const conn = new FakeConn([{ stdout: out({ parent: true }) }, {}, {}]);
    const stdin: unknown[] = [];
    const run = conn.run.bind(conn);
    conn.run = (argv, opts = {}) => {
      stdin.push(opts.stdin);
      return run(argv, opts);
    };
    await converge(user, fakeCtx(conn), { name: 'app', password: new Secret(HASH) });
    assert.deepEqual(conn.calls.map((c) => c.kind), ['script', 'run', 'run']);
    assert.deepEqual(conn.commands, ['useradd -N -m app', 'chpasswd -e']);
    assert.deepEqual(stdin, [undefined, `app:${HASH}\n`]);
  });

  it('group: check mode memory makes a later user task pending instead of failing', async () => {
    const ctx = fakeCtx(new FakeConn([{ stdout: out({}) }, { stdout: out({ parent: true }) }]), { planned: new PlannedState(), task: 'docker group' });
    const g = await converge(group, ctx, { name: 'docker', system: true }, { check: true });
    assert.deepEqual(summaries(g.plan), ['create system group docker']);
    const u = await converge(user, { ...ctx, task: 'deploy user' }, { name: 'deploy', groups: ['docker'] }, { check: true });
    assert.deepEqual(u.plan.steps.map((s) => [s.change.summary, s.change.pending]), [['create user deploy', "group docker is planned by task 'docker group'"]]);
  });
});

describe('group: plan (canned accounts)', () => {
  const acc = parseAccounts(out({}), '');
  const www = acc.groups.find((g) => g.name === 'www-data');
  it('is ok with the reason, creates, changes the gid, removes', () => {
    assert.equal(planGroup({ name: 'www-data', group: www }, { name: 'www-data', gid: 33 }).okReason, 'group www-data exists with gid 33');
    assert.deepEqual(planGroup({ name: 'web' }, { name: 'web', gid: 2000, system: true }).steps[0]?.do.argv, ['groupadd', '-g', '2000', '-r', 'web']);
    assert.deepEqual(planGroup({ name: 'www-data', group: www }, { name: 'www-data', gid: 34 }).steps[0]?.do.argv, ['groupmod', '-g', '34', 'www-data']);
    assert.deepEqual(planGroup({ name: 'www-data', group: www }, { name: 'www-data', state: 'absent' }).steps[0]?.do.argv, ['groupdel', 'www-data']);
    assert.equal(planGroup({ name: 'web' }, { name: 'web', state: 'absent' }).okReason, 'group web does not exist');
  });
  it('refuses a gid another group has, unless non_unique', () => {
    fails(() => planGroup({ name: 'web', gidTakenBy: 'adm' }, { name: 'web', gid: 4 }), /gid 4 already belongs to group adm/);
    assert.deepEqual(planGroup({ name: 'web', gidTakenBy: 'adm' }, { name: 'web', gid: 4, non_unique: true }).steps[0]?.do.argv, ['groupadd', '-g', '4', '-o', 'web']);
  });
});

schemaChecks(user);
schemaChecks(group);
