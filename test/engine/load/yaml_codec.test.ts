// The parse cache's entries rebuild exactly what a fresh parse makes.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../../src/engine/paths.js';
import { CorruptEntry, decodeLoaded, encodeLoaded, Uncacheable } from '../../../src/engine/load/yaml_codec.js';
import { recordScalarSources } from '../../../src/engine/load/scalar_sources.js';
import { parseYamlText } from '../../../src/engine/load/yaml_parse.js';
import { assertSameLoaded, EDGE_CASES, repoYamlFiles } from '../../support/loaded_yaml.js';

/** A fresh parse, or undefined when the text does not parse (the cache never sees those). */
function fresh(source: string, file: string): unknown {
  try {
    return parseYamlText(source, file);
  } catch {
    return undefined;
  }
}

function roundTrip(value: unknown, file: string, shownAs = file): unknown {
  return decodeLoaded(JSON.parse(JSON.stringify(encodeLoaded(value, file))), shownAs);
}

describe('the parse cache codec', () => {
  const root = packageRoot();
  const corpus = repoYamlFiles(root);

  it('finds a corpus to test on', () => {
    assert.ok(corpus.some((f) => f.startsWith('roles/')) && corpus.some((f) => f.startsWith('playbooks/')), corpus.join(', '));
  });

  it('rebuilds every YAML file of the repository as a fresh parse makes it', () => {
    let compared = 0;
    for (const file of corpus) {
      const value = fresh(readFileSync(join(root, file), 'utf8'), file);
      if (value === undefined) continue;
      assertSameLoaded(roundTrip(value, file), value, file);
      compared++;
    }
    assert.ok(compared > 20, `only ${compared} files parsed`);
  });

  for (const [file, source] of Object.entries(EDGE_CASES)) {
    it(`rebuilds ${file} as a fresh parse makes it`, () => {
      const value = fresh(source, file);
      assert.notEqual(value, undefined, `${file} does not parse`);
      assertSameLoaded(roundTrip(value, file), value, file);
    });
  }

  it('carries what JSON cannot: NaN, -0, infinities, dates, bytes', () => {
    const value = fresh(EDGE_CASES['numbers.yml']! + EDGE_CASES['timestamps and tags.yml']!.replace('bin:', 'bytes:').replace('float:', 'f:'), 'n.yml') as Record<string, unknown>;
    assert.ok(Number.isNaN(value['nan']) && Object.is(value['negzero'], -0) && value['ninf'] === -Infinity);
    assert.ok(value['date'] instanceof Date && Buffer.isBuffer(value['bytes']));
    const back = roundTrip(value, 'n.yml') as Record<string, unknown>;
    assertSameLoaded(back, value);
    assert.ok(Buffer.isBuffer(back['bytes']) && (back['bytes'] as Buffer).toString() === 'hello world');
  });

  it('attaches the file it is given to every location', () => {
    const value = fresh('a:\n  b: [1, 2]\n', 'first.yml');
    assertSameLoaded(roundTrip(value, 'first.yml', 'elsewhere/second.yml'), fresh('a:\n  b: [1, 2]\n', 'elsewhere/second.yml'));
  });

  it('is compared strictly enough to notice a moved position, a lost source, a sign', () => {
    const value = fresh('a: [1, "x"]\nz: -0\n', 'x.yml') as Record<string, unknown>;
    assert.throws(() => assertSameLoaded(roundTrip(value, 'x.yml', 'y.yml'), value));
    const lost = roundTrip(value, 'x.yml') as Record<string, unknown>;
    recordScalarSources(lost['a'] as object, new Map());
    assert.throws(() => assertSameLoaded(lost, value));
    const signed = roundTrip(value, 'x.yml') as Record<string, unknown>;
    signed['z'] = 0;
    assert.throws(() => assertSameLoaded(signed, value));
  });

  it('refuses what it cannot carry exactly', () => {
    for (const odd of [10n, new Map(), new Set([1]), Symbol('s'), () => 1, { plain: 'object' }, new (class Thing {})()]) {
      assert.throws(() => encodeLoaded(odd, 'x.yml'), Uncacheable, String(typeof odd));
    }
    const value = fresh('a: 1\n', 'x.yml') as Record<string, unknown>;
    assert.throws(() => encodeLoaded(value, 'other.yml'), Uncacheable);
    value['a'] = 10n;
    assert.throws(() => encodeLoaded(value, 'x.yml'), Uncacheable);
  });

  it('rejects entries that do not decode', () => {
    for (const bad of [{}, [9], [0, 0, [1, 2], [], []], [0, 0, ['a'], [], []], [1, 0, [], ['x', 1, 1, 1, 1], []], [2, 'NaNa'], [3, 'x'], [0, [1], [], [], [], 'extra'], [1, 0, [1], [], [0, 0, 'PLAIN', 1]]]) {
      assert.throws(() => decodeLoaded(bad, 'x.yml'), CorruptEntry, JSON.stringify(bad));
    }
  });
});
