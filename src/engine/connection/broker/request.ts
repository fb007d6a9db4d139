// The broker's check of a request line: it comes from a process of the same user, but a broker
// must not crash on a line from another kiln's bug. Returns a null-prototype copy, or a problem.
import type { HostKeyPolicy } from '../known_hosts.js';
import { PROTOCOL, type Request } from './protocol.js';

const POLICIES: readonly HostKeyPolicy[] = ['strict', 'accept-new', 'off'];

const isStr = (v: unknown): v is string => typeof v === 'string';
const isStrs = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);
const isInt = (v: unknown, min: number): v is number => Number.isInteger(v) && (v as number) >= min;
const optional = <T>(v: unknown, ok: (x: unknown) => x is T): boolean => v === undefined || ok(v);

export function parseRequest(line: string): Request | { problem: string } {
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { problem: 'the request is not JSON' };
  }
  if (typeof r !== 'object' || r === null) return { problem: 'the request is not an object' };
  if (r.v !== PROTOCOL) return { problem: `protocol ${JSON.stringify(r.v)} is not this broker's (${PROTOCOL})` };
  if (r.op === 'exec') {
    if (!isStr(r.id) || !isStrs(r.argv) || !r.argv.length) return { problem: 'exec needs an id and a non-empty argv' };
    return Object.assign(Object.create(null) as object, { v: PROTOCOL, op: 'exec', id: r.id, argv: [...r.argv] }) as Request;
  }
  if (r.op !== 'connect') return { problem: `unknown op ${JSON.stringify(r.op)}` };
  const t = (r.target ?? {}) as Record<string, unknown>;
  const s = (r.secrets ?? {}) as Record<string, unknown>;
  const ok =
    isStr(r.name) &&
    isInt(r.persistSec, 1) &&
    optional(r.keepaliveIntervalMs, (v): v is number => isInt(v, 0)) &&
    optional(r.keepaliveCountMax, (v): v is number => isInt(v, 0)) &&
    isStr(t.address) &&
    isInt(t.port, 1) &&
    isStr(t.user) &&
    isStrs(t.identityFiles) &&
    typeof t.explicitIdentities === 'boolean' &&
    isStrs(t.knownHostsFiles) &&
    isStrs(t.globalKnownHostsFiles) &&
    POLICIES.includes(t.policy as HostKeyPolicy) &&
    typeof t.hashKnownHosts === 'boolean' &&
    optional(t.useAgent, isStr) &&
    isInt(t.timeoutSec, 1) &&
    optional(s.password, isStr) &&
    optional(s.privateKeyPassphrase, isStr);
  if (!ok) return { problem: 'connect: a field is missing or has the wrong type' };
  const secrets = Object.create(null) as Record<string, string>;
  if (s.password !== undefined) secrets.password = s.password as string;
  if (s.privateKeyPassphrase !== undefined) secrets.privateKeyPassphrase = s.privateKeyPassphrase as string;
  return Object.assign(Object.create(null) as object, {
    v: PROTOCOL,
    op: 'connect',
    name: r.name,
    persistSec: r.persistSec,
    keepaliveIntervalMs: r.keepaliveIntervalMs,
    keepaliveCountMax: r.keepaliveCountMax,
    secrets,
    target: Object.assign(Object.create(null) as object, {
      address: t.address,
      port: t.port,
      user: t.user,
      identityFiles: [...(t.identityFiles as string[])],
      explicitIdentities: t.explicitIdentities,
      knownHostsFiles: [...(t.knownHostsFiles as string[])],
      globalKnownHostsFiles: [...(t.globalKnownHostsFiles as string[])],
      policy: t.policy,
      hashKnownHosts: t.hashKnownHosts,
      useAgent: t.useAgent,
      timeoutSec: t.timeoutSec,
    }),
  }) as Request;
}
