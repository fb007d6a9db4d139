// RFC 2136 dynamic updates signed with TSIG, by BIND's own dig and nsupdate run on the target.
// The key goes over the command's stdin into a 0600 file in a private (0700) temp folder that the
// script removes on exit: never into argv (ps shows it) or the environment (/proc/PID/environ).
import { ModuleError } from '../../engine/errors.js';
import { lex, type Token } from './tokens.js';

/** How to reach the server and sign: what read and apply share. */
export interface Server {
  server: string;
  port: number;
  protocol: 'tcp' | 'udp';
  /** The key file's one line (key "name" { algorithm ...; secret "..."; };), or none: unsigned. */
  keyLine?: string;
}

export const KEY_ALGORITHMS = ['hmac-md5', 'hmac-sha1', 'hmac-sha224', 'hmac-sha256', 'hmac-sha384', 'hmac-sha512'] as const;

/**
 * The key file's line. Name and secret are checked here, without ever quoting the secret back:
 * an error must not print it. BIND's name for hmac-md5 (HMAC-MD5.SIG-ALG.REG.INT) is accepted.
 */
export function keyLine(name: string, secret: string, algorithm: string): string {
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?$/.test(name)) throw new ModuleError(`key_name ${JSON.stringify(name)} is not a key name: letters, digits, - and _ in dot-separated labels, as in tsig-keygen's output`);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(secret)) throw new ModuleError('key_secret is not base64 (the secret "..." of the key statement tsig-keygen prints); its value is not shown here');
  const alg = algorithm.toLowerCase() === 'hmac-md5.sig-alg.reg.int' ? 'hmac-md5' : algorithm.toLowerCase();
  if (!(KEY_ALGORITHMS as readonly string[]).includes(alg)) throw new ModuleError(`key_algorithm ${JSON.stringify(algorithm)} is not one of ${KEY_ALGORITHMS.join(', ')}`);
  return `key "${name}" { algorithm ${alg}; secret "${secret}"; };`;
}

// Shared head: with a key ($1 = 1), its line is stdin's first line, written by printf (a shell
// builtin, so it is in no process's argv) into a private folder removed on exit.
const HEAD = `umask 077
keyed=$1; server=$2; port=$3; proto=$4; shift 4
command -v dig >/dev/null 2>&1 || { echo "kiln-dns: missing dig"; exit 0; }
d=
if [ "$keyed" = 1 ]; then
  d=$(mktemp -d) || exit 1
  trap 'rm -rf -- "$d"' EXIT
  IFS= read -r line || { echo "kiln-dns: no key on stdin" >&2; exit 1; }
  printf '%s\\n' "$line" > "$d/key" || exit 1
fi
q() {
  printf '== q %s %s %s\\n' "$1" "$2" "$3"
  set -- +time=5 +tries=2 +norecurse -p "$port" "@$server" "$@"
  [ "$proto" = tcp ] && set -- +tcp "$@"
  if [ -n "$d" ]; then LC_ALL=C dig -k "$d/key" "$@" 2>&1; else LC_ALL=C dig "$@" 2>&1; fi
  printf '== rc %s\\n' "$?"
}`;

/**
 * Read a record set: args keyed server port proto name type any(0|1) soa(0|1). Prints each query
 * as "== q NAME TYPE FLAGS", dig's answer, "== rc N". `any` also asks for every type at the name
 * (for the CNAME rule); `soa` asks for the SOA in the authority section (to find the zone).
 */
export const READ_SCRIPT = `${HEAD}
name=$1; type=$2
if [ "$4" = 1 ]; then q "$name" SOA +noall +comments +answer +authority; fi
q "$name" "$type" +noall +comments +answer
if [ "$3" = 1 ]; then q "$name" ANY +noall +comments +answer; fi`;

/**
 * Send an update, then read the set again: args keyed server port proto name type; stdin is the
 * key line (when keyed) then nsupdate's commands. Prints "== nsupdate N" after nsupdate's output.
 */
export const UPDATE_SCRIPT = `${HEAD}
name=$1; type=$2
command -v nsupdate >/dev/null 2>&1 || { echo "kiln-dns: missing nsupdate"; exit 0; }
set -- -t 10
[ "$proto" = tcp ] && set -- -v "$@"
if [ -n "$d" ]; then nsupdate -k "$d/key" "$@" 2>&1; else nsupdate "$@" 2>&1; fi
printf '== nsupdate %s\\n' "$?"
q "$name" "$type" +noall +comments +answer`;

/** One dig query's outcome. */
export interface DigResult {
  name: string;
  type: string;
  rc: number;
  /** NOERROR, NXDOMAIN, REFUSED, ..., or undefined when no answer came. */
  status?: string;
  aa: boolean;
  records: DigRecord[];
  /** What dig said, for errors. */
  output: string;
}

export interface DigRecord {
  owner: string;
  ttl: number;
  type: string;
  rdata: Token[];
}

/** The queries of READ_SCRIPT / UPDATE_SCRIPT's output, in order. */
export function parseDigRuns(out: string): DigResult[] {
  const results: DigResult[] = [];
  let cur: DigResult | undefined;
  let lines: string[] = [];
  for (const line of out.split('\n')) {
    const q = /^== q (\S+) (\S+)/.exec(line);
    const rc = /^== rc (\d+)/.exec(line);
    if (q) {
      cur = { name: (q[1] as string).toLowerCase(), type: q[2] as string, rc: -1, aa: false, records: [], output: '' };
      lines = [];
    } else if (rc && cur) {
      cur.rc = Number(rc[1]);
      cur.output = lines.join('\n').trim();
      results.push(cur);
      cur = undefined;
    } else if (cur) {
      lines.push(line);
      const st = /->>HEADER<<-.*status: ([A-Z]+)/.exec(line);
      if (st) cur.status = st[1];
      const fl = /^;; flags:([^;]*);/.exec(line);
      if (fl) cur.aa = /\baa\b/.test(fl[1] as string);
      if (line !== '' && !line.startsWith(';')) {
        const t = lex(Buffer.from(line, 'utf8').toString('latin1'), 'dig').flatMap((e) => e.tokens);
        if (t.length >= 4 && /^\d+$/.test(t[1]!.raw)) {
          const hasClass = /^(IN|CH|HS|ANY|NONE|CLASS\d+)$/i.test(t[2]!.raw);
          const ti = hasClass ? 3 : 2;
          cur.records.push({ owner: t[0]!.raw.toLowerCase(), ttl: Number(t[1]!.raw), type: t[ti]!.raw.toUpperCase(), rdata: t.slice(ti + 1) });
        }
      }
    }
  }
  return results;
}

/** Why a query's answer cannot be trusted as the server's data, or undefined when it can. */
export function digProblem(r: DigResult, where: string): string | undefined {
  if (r.rc !== 0 || r.status === undefined) return `${where} gave no answer to ${r.name} ${r.type}: ${lastLines(r.output) || `dig exited ${r.rc}`}`;
  if (r.status !== 'NOERROR' && r.status !== 'NXDOMAIN') return `${where} answered ${r.status} to ${r.name} ${r.type}${r.status === 'REFUSED' ? ' (is the zone served there, and are queries from this host allowed?)' : r.status === 'NOTAUTH' ? ' (the key is not accepted: check key_name, key_secret and key_algorithm)' : ''}`;
  if (!r.aa) return `${where} is not authoritative for ${r.name} (its answer has no aa flag); give the primary server of the zone`;
  return undefined;
}

/** The last few lines of a tool's output: the part that says what went wrong. */
export function lastLines(text: string, n = 6): string {
  return text.trim().split('\n').slice(-n).join('\n');
}
