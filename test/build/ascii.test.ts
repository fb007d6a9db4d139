// The build escapes what esbuild copies verbatim (comments) so the files kiln reads as latin1 are ASCII.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { escapeNonAscii, makeAscii } from '../../src/build/ascii.js';

describe('ascii (build)', () => {
  it('escapes every non-ASCII UTF-16 unit, astral characters as their two surrogates', () => {
    assert.equal(escapeNonAscii('a → b'), 'a \\u2192 b');
    assert.equal(escapeNonAscii('é😀'), '\\u00e9\\ud83d\\ude00');
    assert.equal(escapeNonAscii('plain\tascii\n'), 'plain\tascii\n');
  });

  it('leaves code meaning the same: escaped strings and regular expressions evaluate alike', () => {
    const code = "/* héllo → */ ['é😀 →', /→+/.test('→→'), `ü${'ß'}`]";
    assert.deepEqual(new Script(escapeNonAscii(code)).runInThisContext(), new Script(code).runInThisContext());
  });

  it('rewrites a file in place so that latin1 reads it back as the original text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-ascii-'));
    try {
      const file = join(dir, 'b.cjs');
      writeFileSync(file, "// handlers → hosts\nmodule.exports = 'ok';\n");
      makeAscii(file);
      const text = readFileSync(file, 'latin1');
      assert.equal(text, "// handlers \\u2192 hosts\nmodule.exports = 'ok';\n");
      assert.equal(readFileSync(file, 'utf8'), text);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
