// YAML loading that remembers where every value came from, so later errors can name file:line:column.
import { readFileSync } from 'node:fs';
import {
  Alias,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  Scalar,
  type YAMLMap,
} from 'yaml';
import { Problem, ValidationError, type Loc } from '../errors.js';
import { locsOfKeys, recordLocs, type KeyLocs } from './locations.js';

export interface LoadedYaml {
  file: string;
  value: unknown;
  /** The raw text, used to quote offending scalars as the user wrote them. */
  source: string;
}

/** Read and parse a YAML file; throws ValidationError with positions on any syntax problem. */
export function loadYamlFile(file: string): LoadedYaml {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ValidationError(
      new Problem(`cannot read ${file} (${code ?? String(e)})`, {
        fix: code === 'ENOENT' ? 'check the path; relative paths are resolved from the current directory' : undefined,
      }),
    );
  }
  return parseYaml(source, file);
}

/**
 * Parse YAML text with Ansible's dialect (YAML 1.1: yes/no booleans, 0644 octal) and merge keys.
 * Duplicate keys are errors. Every map and sequence gets its source positions recorded.
 */
export function parseYaml(source: string, file: string): LoadedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, {
    version: '1.1',
    merge: true,
    uniqueKeys: true,
    keepSourceTokens: false,
    prettyErrors: false,
    lineCounter,
  });
  const locOf = (offset: number): Loc => {
    const p = lineCounter.linePos(offset);
    return { file, line: p.line, col: p.col };
  };
  const problems = doc.errors.map((err) => {
    const loc = locOf(err.pos[0]);
    return new Problem(yamlMessage(err.code, err.message), { loc, fix: yamlFix(err.code) });
  });
  if (problems.length > 0) throw new ValidationError(problems);
  const value = new Converter(doc, locOf).convert(doc.contents);
  return { file, value: value ?? null, source };
}

function yamlMessage(code: string, message: string): string {
  const first = message.split('\n')[0] ?? message;
  if (code === 'DUPLICATE_KEY') return `duplicate key: ${first.replace(/^Map keys must be unique.*$/, 'a key appears twice in the same mapping')}`;
  return `YAML syntax error: ${first.replace(/ at line \d+, column \d+:?$/, '')}`;
}

function yamlFix(code: string): string {
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'remove or rename one of the two keys; YAML keeps only one and the other would be lost silently';
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
    case 'UNEXPECTED_TOKEN':
      return 'check the indentation and the quoting on this line; indent with spaces, and quote values that start with { [ * & ! | > % @ or contain ": "';
    case 'TAB_AS_INDENT':
      return 'YAML does not allow tabs for indentation: use spaces';
    case 'MULTILINE_IMPLICIT_KEY':
      return 'a key must fit on one line: check for a missing ":" or an unclosed quote above';
    default:
      return 'fix the YAML syntax at this position (a YAML linter can show the structure)';
  }
}

/** Converts the YAML AST to plain JS with null-prototype maps, recording positions. */
class Converter {
  private readonly anchors = new Map<Node, unknown>();
  constructor(
    private readonly doc: Document,
    private readonly locOf: (offset: number) => Loc,
  ) {}

  convert(node: unknown): unknown {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) return this.convert((node as Alias).resolve(this.doc));
    if (isScalar(node)) return scalarValue(node);
    if (isMap(node)) return this.convertMap(node);
    if (isSeq(node)) {
      const out: unknown[] = [];
      const keys: KeyLocs = new Map();
      node.items.forEach((item, i) => {
        out.push(this.convert(item));
        const range = (item as Node | null)?.range;
        if (range) keys.set(i, { key: this.locOf(range[0]), value: this.locOf(range[0]) });
      });
      recordLocs(out, node.range ? this.locOf(node.range[0]) : undefined, keys);
      return out;
    }
    return null;
  }

  private convertMap(node: YAMLMap): Record<string, unknown> {
    const out: Record<string, unknown> = Object.create(null);
    const keys: KeyLocs = new Map();
    const merged: YAMLMap[] = [];
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as Node | null;
      if (isMergeKey(keyNode)) {
        collectMerges(this.doc, pair.value as Node, merged);
        continue;
      }
      const key = String(isScalar(keyNode) ? keyNode.value : this.convert(keyNode));
      out[key] = this.convert(pair.value);
      const keyStart = keyNode?.range?.[0] ?? node.range?.[0] ?? 0;
      const valueNode = pair.value as Node | null;
      const valueStart = valueNode?.range?.[0] ?? keyStart;
      keys.set(key, { key: this.locOf(keyStart), value: this.locOf(valueStart) });
    }
    // Merge keys (<<: *base): explicit keys win, then earlier merges win over later ones.
    for (const source of merged) {
      const sub = this.convertMap(source);
      const subLocs = locsOfKeys(sub);
      for (const k of Object.keys(sub)) {
        if (Object.hasOwn(out, k)) continue;
        out[k] = sub[k];
        const l = subLocs?.get(k);
        if (l) keys.set(k, l);
      }
    }
    recordLocs(out, node.range ? this.locOf(node.range[0]) : undefined, keys);
    return out;
  }
}

function isMergeKey(keyNode: Node | null): boolean {
  if (!isScalar(keyNode)) return false;
  const v = (keyNode as Scalar).value;
  // With merge enabled, yaml marks the plain `<<` key with a symbol.
  return typeof v === 'symbol' ? v.description === '<<' : v === '<<' && (keyNode as Scalar).type === 'PLAIN';
}

function collectMerges(doc: Document, value: Node, into: YAMLMap[]): void {
  const target = isAlias(value) ? (value as Alias).resolve(doc) : value;
  if (isMap(target)) into.push(target);
  else if (isSeq(target)) for (const item of target.items) collectMerges(doc, item as Node, into);
}

function scalarValue(node: Scalar): unknown {
  const v = node.value;
  // yaml gives bigint only when asked; keep numbers and strings as they are.
  return v === undefined ? null : v;
}

