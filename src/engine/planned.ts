// Check mode's memory of what earlier tasks would have done, so later tasks plan truthfully.

export type Effect =
  | { kind: 'path'; path: string; type: 'file' | 'directory' | 'link' | 'absent' }
  | { kind: 'package'; name: string; state: 'present' | 'absent' }
  | { kind: 'service'; name: string; state: 'started' | 'stopped' }
  | { kind: 'account'; type: 'user' | 'group'; name: string; state: 'present' | 'absent' };

export interface PlannedBy {
  /** The task that planned it, by name. */
  task: string;
}

export class PlannedState {
  private readonly paths = new Map<string, { type: string; task: string }>();
  private readonly packages = new Map<string, { state: string; task: string }>();
  private readonly services = new Map<string, { state: string; task: string }>();
  private readonly accounts = new Map<string, { state: string; task: string }>();

  record(effect: Effect, task: string): void {
    if (effect.kind === 'path') {
      this.paths.set(trim(effect.path), { type: effect.type, task });
      if (effect.type === 'absent') {
        for (const p of [...this.paths.keys()]) if (p.startsWith(`${trim(effect.path)}/`)) this.paths.delete(p);
      }
    } else if (effect.kind === 'package') this.packages.set(effect.name, { state: effect.state, task });
    else if (effect.kind === 'account') this.accounts.set(`${effect.type}:${effect.name}`, { state: effect.state, task });
    else this.services.set(effect.name, { state: effect.state, task });
  }

  /** What an earlier task planned for this exact path, if anything. */
  path(path: string): { type: string; task: string } | undefined {
    return this.paths.get(trim(path));
  }

  /**
   * Whether `dir` would exist as a directory after the planned tasks: planned itself, or a
   * planned directory's ancestor (a planned `directory` creates its parents). Returns the task.
   */
  directoryPlanned(dir: string): string | undefined {
    const d = trim(dir);
    const own = this.paths.get(d);
    if (own) return own.type === 'directory' ? own.task : undefined;
    for (const [p, v] of this.paths) if (v.type === 'directory' && p.startsWith(`${d}/`)) return v.task;
    return undefined;
  }

  package(name: string): { state: string; task: string } | undefined {
    return this.packages.get(name);
  }

  /** Every package planned for install, in plan order (a service may come from any of them). */
  plannedInstalls(): { name: string; task: string }[] {
    return [...this.packages].filter(([, v]) => v.state === 'present').map(([name, v]) => ({ name, task: v.task }));
  }

  service(name: string): { state: string; task: string } | undefined {
    return this.services.get(name);
  }

  /** What an earlier task planned for a user or group account, if anything. */
  account(type: 'user' | 'group', name: string): { state: string; task: string } | undefined {
    return this.accounts.get(`${type}:${name}`);
  }

  get empty(): boolean {
    return this.paths.size + this.packages.size + this.services.size + this.accounts.size === 0;
  }
}

function trim(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}
