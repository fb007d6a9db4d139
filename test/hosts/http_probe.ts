// HTTP requests to a test host's private address, for the showcase tests: one GET, and a bounded
// loop of GETs that runs while something else (a deploy) happens. Never any other address.
import { request } from 'node:http';

export type Answer = { status: number; body: string; headers: Record<string, string | string[] | undefined> } | { error: string };

/** One GET of `path` on `ip`:80 with the given Host header; a network error is a value, not a throw. */
export function get(ip: string, host: string, path = '/', timeoutMs = 5000): Promise<Answer> {
  if (!/^10\.251\.\d+\.\d+$|^127\./.test(ip)) throw new Error(`get: ${ip} is not a test host's bridge address or loopback`);
  return new Promise((resolve) => {
    const req = request({ host: ip, port: 80, path, headers: { Host: host }, timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end();
  });
}

export interface LoopReport {
  /** Requests sent. */
  count: number;
  /** Answers that were not a 200 (or no answer at all), with what came instead. */
  failures: string[];
  /** How many 200 answers carried each `version: X` line, in the order they were first seen. */
  versions: Map<string, number>;
  /** The body parts `pick` extracted, in the order they were first seen (e.g. greetings). */
  picked: string[];
  /** True when the loop stopped at maxCount or maxMs rather than when `until` settled. */
  cutShort: boolean;
  seconds: number;
}

export interface LoopOptions {
  ip: string;
  host: string;
  path?: string;
  /** The loop keeps going until this settles and at least `min` requests were sent... */
  until: Promise<unknown>;
  min: number;
  /** ...and, when given, until this holds of the report (e.g. the new version was seen). */
  done?: (r: LoopReport) => boolean;
  /** Hard bounds: the loop stops at whichever comes first. */
  maxCount: number;
  maxMs: number;
  /** Concurrent request chains. */
  workers: number;
  /** Extra text to collect from each 200 body (first match's group 1). */
  pick?: RegExp;
}

/** GET in `workers` chains until `until` settled and `min` requests were sent, within the bounds. */
export async function requestLoop(o: LoopOptions): Promise<LoopReport> {
  const t0 = Date.now();
  let settled = false;
  void o.until.then(
    () => (settled = true),
    () => (settled = true),
  );
  const report: LoopReport = { count: 0, failures: [], versions: new Map(), picked: [], cutShort: false, seconds: 0 };
  const chain = async (): Promise<void> => {
    for (;;) {
      if (settled && report.count >= o.min && (o.done?.(report) ?? true)) return;
      if (report.count >= o.maxCount || Date.now() - t0 >= o.maxMs) {
        report.cutShort = true;
        return;
      }
      report.count++;
      const a = await get(o.ip, o.host, o.path ?? '/');
      if ('error' in a) report.failures.push(a.error);
      else if (a.status !== 200) report.failures.push(`${a.status} ${a.body.slice(0, 200)}`);
      else {
        const v = /version: (\S+?)</.exec(a.body)?.[1] ?? '(none)';
        report.versions.set(v, (report.versions.get(v) ?? 0) + 1);
        const p = o.pick ? o.pick.exec(a.body)?.[1] : undefined;
        if (p !== undefined && !report.picked.includes(p)) report.picked.push(p);
      }
    }
  };
  await Promise.all(Array.from({ length: o.workers }, chain));
  report.seconds = (Date.now() - t0) / 1000;
  return report;
}
