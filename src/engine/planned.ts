// Check mode's memory of what earlier tasks would have done, so later tasks plan truthfully.
// A module declares its effects as data (kind, key, state) and reads back what it needs; the
// engine knows no kind but paths, whose keys nest (a planned directory holds what lies below it).

/** What applying a plan leaves behind: `package nginx present`, `path /srv/app directory`, `mysql_db app present`. */
export interface Effect {
  /** The family of things: 'path', 'package', 'service', or a module's own ('mysql_db', 'dns_record'…). */
  readonly kind: string;
  /** Which one: a path, a package name, a database name. */
  readonly key: string;
  /** What it would be: 'directory', 'file', 'link', 'absent' for paths; 'present', 'started'… for others. */
  readonly state: string;
}

/** What an earlier task planned for one thing, and that task's name. */
export interface Planned {
  readonly state: string;
  readonly task: string;
}

export class PlannedState {
  private readonly kinds = new Map<string, Map<string, Planned>>();

  record(effect: Effect, task: string): void {
    const key = effect.kind === 'path' ? trim(effect.key) : effect.key;
    const of = this.of(effect.kind);
    // Re-inserted, so that a later plan counts as the latest.
    of.delete(key);
    of.set(key, { state: effect.state, task });
    if (effect.kind === 'path' && effect.state === 'absent') {
      for (const p of [...of.keys()]) if (p.startsWith(`${key}/`)) of.delete(p);
    }
  }

  /** What an earlier task planned for this thing, if anything. */
  get(kind: string, key: string): Planned | undefined {
    return this.kinds.get(kind)?.get(kind === 'path' ? trim(key) : key);
  }

  /** Everything planned of one kind, in plan order. */
  list(kind: string): { key: string; state: string; task: string }[] {
    return [...(this.kinds.get(kind) ?? [])].map(([key, v]) => ({ key, ...v }));
  }

  /** What an earlier task planned for this exact path, if anything. */
  path(path: string): Planned | undefined {
    return this.get('path', path);
  }

  /**
   * Whether `dir` would exist as a directory after the planned tasks: planned itself, or a
   * planned directory's ancestor (a planned `directory` creates its parents). Returns the task.
   */
  directoryPlanned(dir: string): string | undefined {
    const d = trim(dir);
    const paths = this.kinds.get('path');
    const own = paths?.get(d);
    if (own) return own.state === 'directory' ? own.task : undefined;
    for (const [p, v] of paths ?? []) if (v.state === 'directory' && p.startsWith(`${d}/`)) return v.task;
    return undefined;
  }

  get empty(): boolean {
    for (const of of this.kinds.values()) if (of.size) return false;
    return true;
  }

  private of(kind: string): Map<string, Planned> {
    let of = this.kinds.get(kind);
    if (!of) this.kinds.set(kind, (of = new Map()));
    return of;
  }
}

function trim(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}
