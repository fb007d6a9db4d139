// kiln doc MODULE: a module's arguments, from its schema (like ansible-doc).
import { EXIT } from '../engine/exit_codes.js';
import { UsageError } from '../engine/errors.js';
import { schemaFiles, schemaJson } from '../engine/schema/registry.js';
import { moduleKeys } from '../engine/playbook/keywords.js';

type Schema = Record<string, unknown>;

function typeOf(s: Schema): string {
  if (Array.isArray(s['enum'])) return (s['enum'] as unknown[]).map(String).join(' | ');
  if (s['type']) return Array.isArray(s['type']) ? (s['type'] as string[]).join(' | ') : String(s['type']);
  const alts = (s['anyOf'] ?? s['oneOf']) as Schema[] | undefined;
  if (alts) return alts.map(typeOf).join(' | ');
  return 'any';
}

/** The text `kiln doc NAME` prints. */
export function moduleDoc(name: string): string {
  const canonical = moduleKeys().get(name);
  if (!canonical) throw new UsageError(`no module named ${JSON.stringify(name)}; run kiln doc to list them`);
  const s = schemaJson(`modules/${canonical}.schema.json`);
  const lines = [`${canonical}: ${String(s['description'] ?? '')}`, ''];
  const aliases = (s['x-aliases'] as string[] | undefined) ?? [];
  if (aliases.length) lines.push(`Also accepted as: ${aliases.join(', ')}`, '');
  if (s['x-check-mode']) lines.push(`Check mode: ${String(s['x-check-mode'])}`, '');
  const props = (s['properties'] ?? {}) as Record<string, Schema>;
  const required = new Set((s['required'] as string[] | undefined) ?? []);
  if (Object.keys(props).length) lines.push('OPTIONS (= is mandatory):', '');
  for (const [k, p] of Object.entries(props)) {
    lines.push(`${required.has(k) ? '=' : '-'} ${k}${p['x-secret'] ? ' (secret)' : ''}`);
    lines.push(`        ${String(p['description'] ?? '')}`);
    lines.push(`        type: ${typeOf(p)}${p['default'] !== undefined ? `, default: ${JSON.stringify(p['default'])}` : ''}`, '');
  }
  if (!Object.keys(props).length) lines.push(`Value: ${typeOf(s)}`);
  return `${lines.join('\n').trimEnd()}\n`;
}

/** kiln doc [MODULE] */
export function docCommand(name: string | undefined): number {
  if (!name) {
    const mods = schemaFiles()
      .filter((f) => f.startsWith('modules/'))
      .map((f) => f.slice('modules/'.length, -'.schema.json'.length));
    for (const m of mods) {
      const s = schemaJson(`modules/${m}.schema.json`);
      process.stdout.write(`${m.padEnd(14)} ${String(s['description'] ?? '').split('. ')[0]}\n`);
    }
    return EXIT.OK;
  }
  process.stdout.write(moduleDoc(name));
  return EXIT.OK;
}
