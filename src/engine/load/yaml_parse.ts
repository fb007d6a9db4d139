// Parsing YAML text into plain values, recording where every value came from (locations.ts,
// scalar_sources.ts). The yaml package is loaded here on first use only (yaml_lib.cts).
import type { Alias, Document, Node, Scalar, Tags, YAMLMap, YAMLSeq } from 'yaml';
import { Problem, ValidationError, type Loc } from '../errors.js';
import { locsOfKeys, recordLocs, type KeyLocs } from './locations.js';
import { recordScalarSources, scalarSourceOf, type ScalarSource } from './scalar_sources.js';
import yaml from './yaml_lib.cjs';
import { decryptVaulted, rememberSecretText } from '../vault/keyring.js';

/**
 * Ansible reads YAML with PyYAML, whose 1.1 booleans are yes/no/true/false/on/off but not the
 * single letters y/n: `n: 5` is a variable named "n" there, and must be here too.
 */
function pyyamlBooleans(tags: Tags): Tags {
  return [...ansibleTags(tags), VAULT_TAG];
}

/** `!vault |`: an Ansible Vault value, kept as its text here and decrypted by the converter (which knows its position). */
const VAULT_TAG = { tag: '!vault', resolve: (text: string): string => text };

function ansibleTags(tags: Tags): Tags {
  return tags.map((t) => {
    if (typeof t !== 'object' || t.tag !== 'tag:yaml.org,2002:bool' || !(t.test instanceof RegExp)) return t;
    return { ...t, test: new RegExp(t.test.source.replace(/\(\?:[YN]\|[yn]\|/, '(?:')) } as typeof t;
  });
}

/**
 * Parse YAML text with Ansible's dialect (YAML 1.1: yes/no booleans, 0644 octal) and merge keys.
 * Duplicate keys are errors. Every map and sequence gets its source positions recorded.
 * Returns the document's value (null for an empty document); throws ValidationError.
 */
export function parseYamlText(source: string, file: string): unknown {
  const lineCounter = new (yaml().LineCounter)();
  const doc = yaml().parseDocument(source, {
    version: '1.1',
    customTags: pyyamlBooleans,
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
  // After the first syntax error the parser is out of step and the rest are mostly echoes of it;
  // duplicate keys are independent, so each is reported.
  const firstSyntax = doc.errors.find((err) => err.code !== 'DUPLICATE_KEY');
  const reported = doc.errors.filter((err) => err.code === 'DUPLICATE_KEY' || err === firstSyntax);
  const problems = reported.map((err) => {
    const loc = locOf(firstVisible(source, err.pos[0]));
    if (err.code === 'DUPLICATE_KEY') return duplicateKey(doc, err.pos[0], loc, locOf);
    return new Problem(yamlMessage(err.code, err.message), { loc, fix: yamlFix(err.code) });
  });
  if (problems.length > 0) throw new ValidationError(problems);
  const value = new Converter(doc, locOf).convert(doc.contents);
  return value ?? null;
}

/** An error offset at the start of an indentation points at the first character after it. */
function firstVisible(source: string, offset: number): number {
  let i = offset;
  while (source[i] === ' ' && i < source.length) i++;
  return source[i] === '\n' || i >= source.length ? offset : i;
}

/** `duplicate key "path" (first at line 7)`: yaml only gives the second key's offset. */
function duplicateKey(doc: Document, offset: number, loc: Loc, locOf: (offset: number) => Loc): Problem {
  let name: string | undefined;
  let first: Loc | undefined;
  const visit = (node: unknown): void => {
    if (name !== undefined) return;
    if (yaml().isMap(node)) {
      const seen = new Map<unknown, Node>();
      for (const pair of node.items) {
        const key = pair.key as Node | null;
        const id = yaml().isScalar(key) ? key.value : undefined;
        if (key?.range && key.range[0] === offset) {
          name = String(id);
          const earlier = seen.get(id);
          if (earlier?.range) first = locOf(earlier.range[0]);
          return;
        }
        if (key && id !== undefined && !seen.has(id)) seen.set(id, key);
      }
      for (const pair of node.items) visit(pair.value);
    } else if (yaml().isSeq(node)) {
      for (const item of node.items) visit(item);
    }
  };
  visit(doc.contents);
  const what = name === undefined ? 'a key appears twice in the same mapping' : `"${name}" appears twice in the same mapping${first ? ` (first at line ${first.line})` : ''}`;
  return new Problem(`duplicate key: ${what}`, { loc, key: name, fix: yamlFix('DUPLICATE_KEY') });
}

function yamlMessage(code: string, message: string): string {
  const first = (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
  if (code === 'BAD_INDENT' && /same column/.test(first)) return 'YAML syntax error: this key is not lined up with the other keys of its mapping (they must all start at the same column)';
  return `YAML syntax error: ${first}`;
}

function yamlFix(code: string): string {
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'remove or rename one of the two keys; YAML keeps only one and the other would be lost silently';
    case 'BAD_INDENT':
      return 'indent this line with the same number of spaces as the keys it belongs with (indent with spaces, never tabs)';
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

/** How many values aliases may expand to in one file: far above any real playbook's, far below an alias bomb's. */
const MAX_ALIAS_VALUES = 100_000;

/** Converts the YAML AST to plain JS with null-prototype maps, recording positions. */
class Converter {
  private readonly anchors = new Map<Node, unknown>();
  constructor(
    private readonly doc: Document,
    private readonly locOf: (offset: number) => Loc,
  ) {}

  /** Collections being converted: an alias back to one of them is a cycle. */
  private readonly open = new Set<unknown>();
  /** Values made by expanding aliases so far: bounded, so an alias bomb cannot exhaust memory. */
  private expanded = 0;
  private inAlias = 0;

  convert(node: unknown): unknown {
    if (node === null || node === undefined) return null;
    if (this.inAlias > 0 && ++this.expanded > MAX_ALIAS_VALUES) {
      throw new ValidationError(
        new Problem(`YAML aliases here expand to more than ${MAX_ALIAS_VALUES} values`, {
          loc: this.locOf((node as Node).range?.[0] ?? 0),
          fix: 'write the data out, or use fewer nested aliases (this is how a "billion laughs" file looks)',
        }),
      );
    }
    if (yaml().isAlias(node)) {
      const target = (node as Alias).resolve(this.doc);
      if (target === undefined) {
        throw new ValidationError(new Problem(`the alias *${(node as Alias).source} names no anchor`, { loc: this.locOf((node as Alias).range?.[0] ?? 0), fix: `define &${(node as Alias).source} before it is used` }));
      }
      if (this.open.has(target)) {
        throw new ValidationError(new Problem(`the alias *${(node as Alias).source} refers to a value that contains it`, { loc: this.locOf((node as Alias).range?.[0] ?? 0), fix: 'a value cannot contain itself; copy the part you need instead' }));
      }
      this.inAlias++;
      try {
        return this.convert(target);
      } finally {
        this.inAlias--;
      }
    }
    if (yaml().isScalar(node)) return node.tag === '!vault' ? this.vaulted(node) : scalarValue(node);
    if (yaml().isMap(node)) return this.inside(node, () => this.convertMap(node));
    if (yaml().isSeq(node)) return this.inside(node, () => this.convertSeq(node));
    return null;
  }

  /** Convert a collection while it is open, so that an alias back to it is seen as a cycle. */
  private inside<T>(node: unknown, convert: () => T): T {
    this.open.add(node);
    try {
      return convert();
    } finally {
      this.open.delete(node);
    }
  }

  private convertSeq(node: YAMLSeq): unknown[] {
    {
      const out: unknown[] = [];
      const keys: KeyLocs = new Map();
      const sources = new Map<string | number, ScalarSource>();
      node.items.forEach((item, i) => {
        out.push(this.convert(item));
        this.noteSource(sources, i, item);
        const range = (item as Node | null)?.range;
        if (range) keys.set(i, { key: this.locOf(range[0]), value: this.locOf(range[0]) });
      });
      recordLocs(out, node.range ? this.locOf(node.range[0]) : undefined, keys);
      recordScalarSources(out, sources);
      return out;
    }
  }

  private convertMap(node: YAMLMap): Record<string, unknown> {
    const out: Record<string, unknown> = Object.create(null);
    const keys: KeyLocs = new Map();
    const sources = new Map<string | number, ScalarSource>();
    const merged: YAMLMap[] = [];
    for (const pair of node.items) {
      if (!yaml().isPair(pair)) continue;
      const keyNode = pair.key as Node | null;
      if (isMergeKey(keyNode)) {
        collectMerges(this.doc, pair.value as Node, merged);
        continue;
      }
      const raw = yaml().isScalar(keyNode) ? keyNode.value : this.convert(keyNode);
      if (typeof raw === 'object' && raw !== null && !(raw instanceof Date)) {
        // `{a: 1}: x` or `[a]: x`: YAML allows it, a playbook never means it (and String() of it throws).
        throw new ValidationError(
          new Problem(`a mapping key must be a string, number or boolean, not a ${Array.isArray(raw) ? 'list' : 'mapping'}`, {
            loc: this.locOf(keyNode?.range?.[0] ?? node.range?.[0] ?? 0),
            value: JSON.stringify(raw),
            fix: 'write the key as plain text; quote it if it starts with { or [',
          }),
        );
      }
      const key = String(raw);
      out[key] = this.convert(pair.value);
      this.noteSource(sources, key, pair.value);
      const keyStart = keyNode?.range?.[0] ?? node.range?.[0] ?? 0;
      const valueNode = pair.value as Node | null;
      const valueStart = valueNode?.range?.[0] ?? keyStart;
      keys.set(key, { key: this.locOf(keyStart), value: this.locOf(valueStart) });
    }
    // Merge keys (<<: *base): explicit keys win, then earlier merges win over later ones.
    for (const source of merged) {
      if (this.open.has(source)) {
        throw new ValidationError(new Problem('a merge key (<<) refers to the mapping that contains it', { loc: this.locOf(node.range?.[0] ?? 0), fix: 'merge another mapping, not this one' }));
      }
      this.inAlias++;
      let sub: Record<string, unknown>;
      try {
        sub = this.inside(source, () => this.convertMap(source));
      } finally {
        this.inAlias--;
      }
      const subLocs = locsOfKeys(sub);
      for (const k of Object.keys(sub)) {
        if (Object.hasOwn(out, k)) continue;
        out[k] = sub[k];
        const l = subLocs?.get(k);
        if (l) keys.set(k, l);
        const src = scalarSourceOf(sub, k);
        if (src) sources.set(k, src);
      }
    }
    recordLocs(out, node.range ? this.locOf(node.range[0]) : undefined, keys);
    recordScalarSources(out, sources);
    return out;
  }

  /** An inline `!vault` value: its plaintext, which is a secret from now on. */
  private vaulted(node: Scalar): string {
    const loc = this.locOf(node.range?.[0] ?? 0);
    const text = decryptVaulted(String(node.value), loc, 'this !vault value').toString('utf8');
    rememberSecretText(text);
    return text;
  }

  private noteSource(into: Map<string | number, ScalarSource>, key: string | number, node: unknown): void {
    if (!yaml().isScalar(node) || typeof node.source !== 'string') return;
    const oneLine = node.range ? this.locOf(node.range[0]).line === this.locOf(node.range[1]).line : false;
    into.set(key, { text: node.source, style: String(node.type ?? 'PLAIN'), oneLine });
  }
}


function isMergeKey(keyNode: Node | null): boolean {
  if (!yaml().isScalar(keyNode)) return false;
  const v = (keyNode as Scalar).value;
  // With merge enabled, yaml marks the plain `<<` key with a symbol.
  return typeof v === 'symbol' ? v.description === '<<' : v === '<<' && (keyNode as Scalar).type === 'PLAIN';
}

function collectMerges(doc: Document, value: Node, into: YAMLMap[]): void {
  const target = yaml().isAlias(value) ? (value as Alias).resolve(doc) : value;
  if (yaml().isMap(target)) into.push(target);
  else if (yaml().isSeq(target)) for (const item of target.items) collectMerges(doc, item as Node, into);
}

function scalarValue(node: Scalar): unknown {
  const v = node.value;
  // yaml gives bigint only when asked; keep numbers and strings as they are.
  return v === undefined ? null : v;
}

