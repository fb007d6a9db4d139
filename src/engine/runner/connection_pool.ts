// The run's connections: one per host and login, opened on first use (or, with preconnect(), all
// of a batch's at its start), shared by the plays that ask for the same login, closed when no later
// play needs the host. A failed connect is final for the run: the host is unreachable.
import { connectionSettings, connectionVarNames } from '../inventory/connection_vars.js';
import { localConnection } from '../connection/local.js';
import type { SshRunCache } from '../connection/ssh_cache.js';
import type { Connection } from '../connection/types.js';
import type { Node, Play } from '../playbook/model.js';
import { moduleTraits } from '../schema/traits.js';
import type { HostState } from './host.js';
import type { RunOptions } from './options.js';

interface OpenConnection {
  host: string;
  conn: Promise<Connection>;
  state: 'pending' | 'up' | 'failed';
  /** Abandons an SSH connect still in progress that no task needs any more. */
  abort: AbortController;
}

/** SSH handshakes a batch start may have in flight at once, at least --forks (bounds the burst on big inventories). */
const PRECONNECT_MIN = 64;

/**
 * Whether a play may use its hosts' own connections: facts, a module that runs on the host, or an
 * include (unknown until reached). A play of debug/set_fact/assert tasks contacts no host.
 */
export function playContactsHosts(play: Play): boolean {
  const needs = (nodes: readonly Node[]): boolean =>
    nodes.some((n) => (n.kind === 'include' ? true : n.kind === 'block' ? needs(n.block) || needs(n.rescue) || needs(n.always) : !moduleTraits(n.module).local));
  return play.gatherFacts || play.sections.some(needs) || needs(play.handlers);
}

/**
 * Whether a play first reaches its hosts through their login shell: facts, or a first task that
 * runs on the host without become. preconnect() then opens that shell ahead of the first task.
 */
export function firstContactIsLoginShell(play: Play): boolean {
  if (play.gatherFacts) return true;
  const first = (nodes: readonly Node[]): boolean | undefined => {
    for (const n of nodes) {
      if (n.kind === 'include') return false;
      if (n.kind === 'block') {
        const r = first(n.block);
        if (r !== undefined) return r;
      } else if (!moduleTraits(n.module).local) {
        return n.inherited.become !== true && n.inherited.delegateTo === undefined;
      }
    }
    return undefined;
  };
  return first(play.sections.flat()) ?? false;
}

export class ConnectionPool {
  /** Open (or failed) connections by host and the settings they were opened with. */
  private readonly conns = new Map<string, OpenConnection>();
  /** The connection each play uses for each host (an entry of conns). */
  private readonly connFor = new Map<Play, Map<string, Promise<Connection>>>();
  private readonly warned = new Set<string>();
  private localConn?: Connection;
  /** The play whose local connections preconnect() is opening, with their login shell. */
  private warming?: Play;
  /** Files every SSH connection of this run reads (ssh config, known_hosts, keys): read once. */
  private sshCache?: SshRunCache;

  /** `warn` is told each distinct connection warning once (config and broker problems are the same for every host). */
  constructor(
    private readonly options: RunOptions,
    private readonly warn: (message: string) => void,
  ) {}

  /**
   * The host's connection for this play, opened on first use and reused by later tasks and plays.
   * A play's remote_user or connection can ask for another login: that is another connection.
   * A failed connect is final for this run: the host is unreachable.
   */
  connect(play: Play, host: HostState): Promise<Connection> {
    // Every task asks: the answer depends only on the play and the host's inventory and extra vars,
    // which a run does not change.
    let forPlay = this.connFor.get(play);
    if (!forPlay) this.connFor.set(play, (forPlay = new Map()));
    let conn = forPlay.get(host.name);
    if (!conn) forPlay.set(host.name, (conn = this.openFor(play, host)));
    return conn;
  }

  /** A connection to the controller itself (delegate_to: localhost without an inventory entry). */
  local(): Connection {
    return (this.localConn ??= localConnection('localhost'));
  }

  private openFor(play: Play, host: HostState): Promise<Connection> {
    const vars = { ...host.inventoryVars, ...this.options.extraVars };
    // As in Ansible, the inventory's user (kiln_user / ansible_user) wins over the play's remote_user.
    if (play.remoteUser && !connectionVarNames('kiln_user').some((n) => vars[n] !== undefined)) vars['kiln_user'] = play.remoteUser;
    if (play.connection) vars['kiln_connection'] = play.connection;
    const settings = connectionSettings(host.name, vars);
    const key = JSON.stringify([host.name, settings.connection, settings.host, settings.port, settings.user ?? null]);
    const open = this.conns.get(key);
    if (open) return open.conn;
    const abort = new AbortController();
    const conn =
      settings.connection === 'local'
        ? Promise.resolve<Connection>(this.localFor(host.name, settings.becomePassword, play))
        : import('../connection/ssh.js').then((m) =>
            m.sshConnection(settings, {
              // Without --accept-new-host-keys, ~/.ssh/config's StrictHostKeyChecking decides (strict by default).
              hostKeyPolicy: this.options.hostKeyPolicy === 'accept-new' ? 'accept-new' : undefined,
              knownHostsFile: settings.knownHostsFile,
              cache: (this.sshCache ??= new m.SshRunCache()),
              signal: abort.signal,
              // Config and broker problems are the same for every host: say each once.
              onWarning: (message) => this.warnOnce(message),
            }),
          );
    const entry: OpenConnection = { host: host.name, conn, state: 'pending', abort };
    // Handled here, so a connect nobody awaits (preconnect() of a host whose tasks all skip) is no unhandled rejection.
    conn.then(
      () => (entry.state = 'up'),
      () => (entry.state = 'failed'),
    );
    this.conns.set(key, entry);
    return conn;
  }

  /** A host's local connection; its login shell starts at once when the play first uses it (no wait for a microtask). */
  private localFor(host: string, becomePassword: string | undefined, play: Play): Connection {
    const conn = localConnection(host, becomePassword);
    if (this.warming === play) conn.warm();
    return conn;
  }

  /**
   * Start connecting every host of a batch now, without waiting, when the play contacts its hosts:
   * handshakes overlap each other and the first hosts' tasks instead of queueing behind --forks.
   * Tasks get the same promise from connect(), so a failure still surfaces as "unreachable" on the
   * host's first task that needs the connection, with the same message, and a host whose tasks all
   * skip reports no failure (as when connections were opened lazily; it is merely logged in and
   * out). At most max(--forks, 64) handshakes are started at once; the rest start as those settle,
   * in inventory order. When the play first uses the login shell, each connection then opens it at
   * once, which the first task would otherwise wait for. A become shell is left to the task that
   * needs it (a wrong password is then tried once, not twice).
   */
  preconnect(play: Play, hosts: readonly HostState[]): void {
    if (!playContactsHosts(play)) return;
    const warm = firstContactIsLoginShell(play);
    this.warming = warm ? play : undefined;
    const queue = [...hosts];
    let inFlight = 0;
    const next = (): void => {
      while (inFlight < Math.max(this.options.forks, PRECONNECT_MIN) && queue.length) {
        const h = queue.shift() as HostState;
        let conn: Promise<Connection>;
        try {
          conn = this.connect(play, h);
        } catch {
          continue; // bad connection variables: the host's first task reports them, as before
        }
        inFlight++;
        const settled = (): void => {
          inFlight--;
          next();
        };
        conn.then((c) => {
          if (warm) c.warm?.();
          settled();
        }, settled);
      }
    };
    next();
    this.warming = undefined;
  }

  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.warn(message);
  }

  /** Close the connections of hosts no later play needs (a delegate_to reopens one if asked); `later` undefined: keep all. */
  async release(hosts: readonly HostState[], later: ReadonlySet<string> | undefined): Promise<void> {
    if (!later) return;
    const done = new Set(hosts.filter((h) => !later.has(h.name)).map((h) => h.name));
    for (const forPlay of this.connFor.values()) for (const name of done) forPlay.delete(name);
    const closing: Promise<void>[] = [];
    for (const [key, entry] of this.conns) {
      // Failed connects stay: the host remains unreachable for the rest of the run.
      if (!done.has(entry.host) || entry.state === 'failed') continue;
      this.conns.delete(key);
      // One still connecting was preconnected for tasks that all skipped: give it up rather than wait.
      if (entry.state === 'pending') entry.abort.abort();
      closing.push(entry.conn.then((c) => c.close()).catch(() => undefined));
    }
    await Promise.all(closing);
  }

  /** The run is over: close everything (a connect still in progress, for a host whose tasks all skipped, is given up). */
  async close(): Promise<void> {
    const entries = [...this.conns.values()];
    for (const e of entries) if (e.state === 'pending') e.abort.abort();
    const all = entries.map((e) => e.conn.then((c) => c.close()).catch(() => undefined));
    this.conns.clear();
    if (this.localConn) all.push(this.localConn.close());
    await Promise.all(all);
  }
}
