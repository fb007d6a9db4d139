// Path facts read ahead, per connection and become user, valid until anything is applied anywhere.
// The runner reads the paths of the next tasks in one round trip; each task's read then answers
// from here. Any apply (on any host: two inventory hosts may be one machine) makes every snapshot
// stale, so a task never sees a state older than the last change kiln made.
import type { Connection } from '../connection/types.js';
import { factsOf, type PathBatch, type PathFactOptions, type PathFacts, type ReadAhead } from './path.js';

interface Snapshot extends PathBatch {
  generation: number;
  /** Tasks whose queries this snapshot holds (so the runner does not read ahead for them again). */
  tasks: WeakSet<object>;
}

export class PathReads implements ReadAhead {
  private gen = 0;
  private readonly snapshots = new WeakMap<Connection, Map<string, Snapshot>>();

  /** Bumped by every apply; a snapshot taken at an older generation is stale. */
  get generation(): number {
    return this.gen;
  }

  /** Something may have changed on some host: forget every snapshot. */
  invalidate(): void {
    this.gen++;
  }

  private current(conn: Connection, becomeUser: string | undefined): Snapshot | undefined {
    const s = this.snapshots.get(conn)?.get(becomeUser ?? '');
    return s && s.generation === this.gen ? s : undefined;
  }

  /** The facts for a read, when a current snapshot holds every path with what the read asks. */
  lookup(conn: Connection, becomeUser: string | undefined, paths: readonly string[], opts: PathFactOptions): PathFacts | undefined {
    const s = this.current(conn, becomeUser);
    if (!s) return undefined;
    for (const [i, p] of paths.entries()) {
      const e = s.entries.get(p);
      if (!e || (opts.checksum && !e.checksummed) || (opts.below && i === 0 && e.below === undefined)) return undefined;
    }
    return factsOf(s, paths, opts);
  }

  /**
   * Keep what a read found. `generation` is the one when the read began: if something was
   * applied meanwhile, the facts are stale already and are dropped.
   */
  store(conn: Connection, becomeUser: string | undefined, batch: PathBatch, generation: number, tasks: readonly object[] = []): void {
    if (generation !== this.gen) return;
    let byUser = this.snapshots.get(conn);
    if (!byUser) this.snapshots.set(conn, (byUser = new Map()));
    const key = becomeUser ?? '';
    const s = this.current(conn, becomeUser);
    if (!s) {
      byUser.set(key, { ...batch, entries: new Map(batch.entries), generation, tasks: new WeakSet(tasks) });
      return;
    }
    for (const [p, e] of batch.entries) {
      const old = s.entries.get(p);
      // Keep extras an earlier read got (a checksum, a summary) when this one did not ask for them.
      s.entries.set(p, old ? { state: e.checksummed || !old.checksummed ? e.state : old.state, checksummed: e.checksummed || old.checksummed, below: e.below ?? old.below } : e);
    }
    for (const t of tasks) s.tasks.add(t);
  }

  /** Did a current snapshot read ahead for this task? */
  holds(conn: Connection, becomeUser: string | undefined, task: object): boolean {
    return this.current(conn, becomeUser)?.tasks.has(task) === true;
  }
}
