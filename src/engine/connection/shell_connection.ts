// run/put/get over persistent shell sessions: the one implementation both transports share.
import { ConnectionError } from '../errors.js';
import { quote, quoteArgv } from './quote.js';
import { type Frame, ShellSession } from './session.js';
import type { ShellOpener } from './stream.js';
import type { Connection, PutOptions, PutResult, RunOptions, RunResult } from './types.js';

export interface ShellConnectionOptions {
  host: string;
  opener: ShellOpener;
  /** The user the transport logs in as (become to this user is a no-op). */
  loginUser?: string;
  becomePassword?: string;
  /** Called when the transport is closed. */
  onClose?: () => Promise<void> | void;
}

// Writes stdin to a temp file beside the target, fixes its mode/owner, optionally validates and
// backs up, then renames over the target. On any failure the temp file is removed and the target
// is untouched. Arguments: path mode owner group backup(0|1).
const PUT_SCRIPT = `p=$1; mode=$2; owner=$3; group=$4; backup=$5
d=$(dirname -- "$p") && [ -d "$d" ] || { echo "kiln: directory $d does not exist" >&2; exit 2; }
t=$(mktemp "$d/.kiln.XXXXXXXX") || exit 1
trap 'rm -f -- "$t"' EXIT
cat > "$t" || exit 1
if [ -n "$mode" ]; then chmod -- "$mode" "$t" || exit 1
elif [ -e "$p" ]; then chmod --reference="$p" -- "$t" || exit 1
else chmod -- "$(printf '%o' $(( 0666 & ~0$(umask) )))" "$t" || exit 1; fi
if [ -n "$owner$group" ]; then chown -- "$owner\${group:+:$group}" "$t" || exit 1
elif [ -e "$p" ]; then chown --reference="$p" -- "$t" 2>/dev/null || true; fi
__VALIDATE__
if [ "$backup" = 1 ] && [ -e "$p" ]; then b="$p.$(date +%Y-%m-%d@%H:%M:%S)~"; cp -p -- "$p" "$b" || exit 1; printf '%s' "$b"; fi
mv -f -- "$t" "$p" || exit 1
trap - EXIT`;

const GET_SCRIPT = `if [ -e "$1" ] || [ -L "$1" ]; then cat -- "$1"; else exit 100; fi`;

export class ShellConnection implements Connection {
  private readonly sessions = new Map<string, Promise<ShellSession>>();

  constructor(private readonly opts: ShellConnectionOptions) {}

  get host(): string {
    return this.opts.host;
  }

  private session(becomeUser: string | undefined): Promise<ShellSession> {
    const key = becomeUser && becomeUser !== this.opts.loginUser ? becomeUser : '';
    const existing = this.sessions.get(key);
    if (existing) {
      // Only the first caller to find a dead session reopens it; the others wait for that one.
      return existing.then((s) => {
        if (s.alive) return s;
        if (this.sessions.get(key) === existing) return this.reopen(key);
        return this.session(becomeUser);
      });
    }
    return this.reopen(key);
  }

  warm(): void {
    if (!this.sessions.has('')) this.reopen('').catch(() => undefined);
  }

  private reopen(key: string): Promise<ShellSession> {
    const p = ShellSession.open(this.opts.opener, {
      host: this.opts.host,
      becomeUser: key || undefined,
      becomePassword: key ? this.opts.becomePassword : undefined,
    });
    this.sessions.set(key, p);
    p.catch(() => this.sessions.delete(key));
    return p;
  }

  private async frame(text: string, opts: RunOptions): Promise<Frame> {
    const s = await this.session(opts.becomeUser);
    const stdin = opts.stdin === undefined ? undefined : Buffer.isBuffer(opts.stdin) ? opts.stdin : Buffer.from(opts.stdin, 'utf8');
    return s.exec(text, stdin);
  }

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const full = opts.timeoutSec ? ['timeout', '-k', '5', String(opts.timeoutSec), ...argv] : [...argv];
    let text = quoteArgv(full);
    if (opts.cwd || opts.env) {
      const env = Object.entries(opts.env ?? {}).map(([k, v]) => {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`invalid environment variable name ${JSON.stringify(k)}`);
        return `export ${k}=${quote(v)}; `;
      });
      text = `( ${opts.cwd ? `cd -- ${quote(opts.cwd)} || exit 1; ` : ''}${env.join('')}exec ${text} )`;
    }
    return decode(await this.frame(text, opts), opts.timeoutSec);
  }

  async script(script: string, args: readonly string[] = [], opts: RunOptions = {}): Promise<RunResult> {
    const set = args.length ? `set -- ${args.map(quote).join(' ')}\n` : '';
    return decode(await this.frame(`(\n${set}${script}\n)`, opts), opts.timeoutSec);
  }

  async put(content: string | Buffer, path: string, opts: PutOptions = {}): Promise<PutResult> {
    const validate = opts.validate
      ? `( ${opts.validate.map((a) => a.split('%s').map(quote).join('"$t"')).join(' ')} ) </dev/null >&2 || { echo "kiln: validation failed: ${opts.validate.join(' ').replace(/["`$\\]/g, '')}" >&2; exit 3; }`
      : '';
    const script = PUT_SCRIPT.replace('__VALIDATE__', validate);
    const r = await this.script(script, [path, opts.mode ?? '', opts.owner ?? '', opts.group ?? '', opts.backup ? '1' : '0'], {
      stdin: Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'),
      becomeUser: opts.becomeUser,
    });
    if (r.rc !== 0) throw new PutError(path, r.rc, r.stderr.trim());
    return r.stdout ? { backupPath: r.stdout } : {};
  }

  async get(path: string, opts: { becomeUser?: string } = {}): Promise<Buffer | null> {
    const f = await this.frame(`(\nset -- ${quote(path)}\n${GET_SCRIPT}\n)`, { becomeUser: opts.becomeUser });
    if (f.rc === 100) return null;
    if (f.rc !== 0) throw new ConnectionError(this.host, `cannot read ${path}: ${f.stderr.toString('utf8').trim()}`);
    return f.stdout;
  }

  async close(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const p of all) {
      try {
        (await p).close();
      } catch {
        // a session that never opened has nothing to close
      }
    }
    await this.opts.onClose?.();
  }
}

function decode(f: Frame, timeoutSec?: number): RunResult {
  const r: RunResult = { rc: f.rc, stdout: f.stdout.toString('utf8'), stderr: f.stderr.toString('utf8') };
  if (timeoutSec && (f.rc === 124 || f.rc === 137)) r.timedOut = true;
  return r;
}

/** put() failed; the target file is untouched. */
export class PutError extends Error {
  constructor(
    readonly path: string,
    readonly rc: number,
    readonly stderr: string,
  ) {
    super(rc === 3 ? `${stderr || 'validation failed'}; ${path} was not changed` : `cannot write ${path}: ${stderr || `rc=${rc}`}`);
  }
}
