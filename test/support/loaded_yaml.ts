// Comparing two loaded YAML values as every consumer sees them: values, prototypes, key order,
// recorded locations and scalar sources. And the corpus the parse cache is tested on.
import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { locOf, locsOfKeys } from '../../src/engine/load/locations.js';
import { scalarSourcesOf } from '../../src/engine/load/scalar_sources.js';

/** Assert that `actual` is indistinguishable from `expected`; `at` names the path in messages. */
export function assertSameLoaded(actual: unknown, expected: unknown, at = '$'): void {
  if (typeof expected !== 'object' || expected === null) {
    assert.ok(Object.is(actual, expected), `${at}: ${String(actual)} is not ${String(expected)}`);
    return;
  }
  assert.ok(typeof actual === 'object' && actual !== null, `${at}: not an object`);
  assert.equal(Object.getPrototypeOf(actual), Object.getPrototypeOf(expected), `${at}: prototype`);
  if (expected instanceof Date) {
    assert.ok(Object.is((actual as Date).getTime(), expected.getTime()), `${at}: date`);
    return;
  }
  if (expected instanceof Uint8Array) {
    assert.deepEqual([...(actual as Uint8Array)], [...expected], `${at}: bytes`);
    return;
  }
  assert.deepEqual(Reflect.ownKeys(actual), Reflect.ownKeys(expected), `${at}: keys`);
  for (const k of Reflect.ownKeys(expected)) {
    const a: PropertyDescriptor = Object.getOwnPropertyDescriptor(actual, k)!;
    const e: PropertyDescriptor = Object.getOwnPropertyDescriptor(expected, k)!;
    assert.deepEqual([a.enumerable, a.writable, a.configurable], [e.enumerable, e.writable, e.configurable], `${at}.${String(k)}: descriptor`);
    assertSameLoaded(a.value, e.value, `${at}.${String(k)}`);
  }
  assert.deepEqual(locOf(actual), locOf(expected), `${at}: own location`);
  assert.deepEqual(entries(locsOfKeys(actual)), entries(locsOfKeys(expected)), `${at}: key locations`);
  assert.deepEqual(entries(scalarSourcesOf(actual)), entries(scalarSourcesOf(expected)), `${at}: scalar sources`);
}

function entries<V>(m: Map<string | number, V> | undefined): [string | number, V][] | undefined {
  return m && [...m];
}

/** The YAML files of the repository: playbooks, roles, inventories and test fixtures. */
export function repoYamlFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (/\.ya?ml$/.test(e.name)) out.push(relative(root, path));
    }
  };
  for (const dir of ['playbooks', 'roles', 'inventories', 'test/fixtures']) walk(join(root, dir));
  return out.sort();
}

/** Hand-written texts for what a real corpus rarely has. */
export const EDGE_CASES: Record<string, string> = {
  'anchors.yml': 'base: &b\n  x: 1\n  y: [a, b]\nuse: *b\nlist:\n  - &s hello\n  - *s\n',
  'merge.yml': 'defaults: &d\n  a: 1\n  b: two\nmore: &m\n  c: 3\n  a: 9\nthing:\n  <<: [*d, *m]\n  b: mine\nother:\n  <<: *d\n',
  'blocks.yml': 'lit: |\n  one\n  two\nfold: >\n  folded\n  text\n\n  para\nkeep: |+\n  kept\n\nstrip: >-\n  x\n  y\nmulti plain: a\n  b\n  c\n',
  'quoted.yml': `d: "tab\\there \\"q\\" \\u00e9 \\x41 \\\\ end"\ns: 'it''s'\nempty_d: ""\nempty_s: ''\nnl: "a\\nb"\nmultiline quoted: "one\n  two"\n`,
  'numbers.yml': 'oct: 0644\noct2: 0o17\nhex: 0x1F\nexp: 1e3\nfloat: 6.5\ninf: .inf\nninf: -.inf\nnan: .nan\nnegzero: -0\nnegzerof: -0.0\nbig: 123456789012345678901234567890\nsep: 1_000\nsexa: 1:20\nplus: +12\nbin: 0b101\n',
  'empty.yml': 'a:\nb: ~\nc: null\nd: Null\ne: ""\nf: []\ng: {}\nh:\n  -\n  - ~\n',
  'booleans.yml': 'a: yes\nb: no\nc: on\nd: off\ne: true\nf: False\ng: y\nh: n\ni: Yes\nj: OFF\nyes: key\n',
  'unicode.yml': 'name: "Zoë 🍰"\n日本: 語\nemoji: 🎉 party\n"ключ": значение\n',
  'number keys.yml': '1: one\n2.5: two and a half\n0x10: sixteen\ntrue: t\n~: tilde\n',
  'nested.yml': 'a:\n  - - - deep\n      - [x, [y, {z: 1}]]\n    - {k: [1, 2, {m: n}]}\n  - - 1\n    - 2\n',
  'timestamps and tags.yml': 'date: 2001-12-14\nstamp: 2001-12-14t21:59:43.10-05:00\nspaced: 2001-12-14 21:59:43.10 -5\nbin: !!binary aGVsbG8gd29ybGQ=\nset: !!set {a, b}\nomap: !!omap [a: 1, b: 2]\npairs: !!pairs [a: 1, a: 2]\nstr: !!str 123\nfloat: !!float 1\nunknown: !custom thing\n',
  'proto keys.yml': '__proto__: polluted\nconstructor: c\nhasOwnProperty: h\n',
  'duplicate-ish keys.yml': '1: number\n"1": string\n',
  'overridden scalar.yml': '1: a\n"1": {x: 1}\n',
  'flow.yml': '{a: 1, b: [1, 2, "three"], c: {d: e}}\n',
  'top sequence.yml': '- 1\n- two\n- {three: 3}\n',
  'top scalar.yml': 'just a string\n',
  'top number.yml': '42\n',
  'nothing.yml': '',
  'comments only.yml': '# nothing here\n',
  'document markers.yml': '%YAML 1.1\n---\na: 1\n...\n',
  'crlf.yml': 'a: 1\r\nb:\r\n  - x\r\n  - "y"\r\n',
  'tabs in values.yml': 'a: "x\ty"\nb: x\ty\n',
  'big.yml': Array.from({ length: 2000 }, (_, i) => `key${i}:\n  n: ${i}\n  s: "value ${i}"\n  l: [${i}, ${i + 1}]\n`).join(''),
};
