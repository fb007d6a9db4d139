// sqlQuote: the one quoting function for SQL strings and names (round trips against a real
// MariaDB are in test/hosts/mysql.test.ts).
import { strict as assert } from 'node:assert';
import { ModuleError } from '../../../src/engine/errors.js';
import { sqlAccount, sqlQuote } from '../../../src/modules/mysql/quote.js';

describe('mysql: sqlQuote', () => {
  it('quotes strings with backslash escapes: quotes, backslashes, NUL, newlines, ^Z', () => {
    assert.equal(sqlQuote('plain', 'string'), "'plain'");
    assert.equal(sqlQuote("it's", 'string'), "'it\\'s'");
    assert.equal(sqlQuote('say "hi"', 'string'), `'say "hi"'`);
    assert.equal(sqlQuote('a\\b', 'string'), "'a\\\\b'");
    assert.equal(sqlQuote('\\', 'string'), "'\\\\'");
    assert.equal(sqlQuote("\\'", 'string'), "'\\\\\\''");
    assert.equal(sqlQuote('nul\0here', 'string'), "'nul\\0here'");
    assert.equal(sqlQuote('two\nlines\r', 'string'), "'two\\nlines\\r'");
    assert.equal(sqlQuote('ctrl-z\x1a', 'string'), "'ctrl-z\\Z'");
    assert.equal(sqlQuote('', 'string'), "''");
  });

  it('leaves % and _ alone (wildcards only where SQL makes them so), and unicode as it is', () => {
    assert.equal(sqlQuote('10.0.0.%', 'string'), "'10.0.0.%'");
    assert.equal(sqlQuote('my_app', 'string'), "'my_app'");
    assert.equal(sqlQuote('my\\_app', 'ident'), '`my\\_app`');
    assert.equal(sqlQuote('%', 'ident'), '`%`');
    assert.equal(sqlQuote('Grüße, 世界 🙂', 'string'), "'Grüße, 世界 🙂'");
    assert.equal(sqlQuote('données', 'ident'), '`données`');
  });

  it('a password with every troublesome character cannot end the literal early', () => {
    const pw = `q'u"o;t$e\\x'; DROP USER root; --`;
    const quoted = sqlQuote(pw, 'string');
    // Undo the escapes the way the server reads them: what comes back is exactly the password.
    const body = quoted.slice(1, -1);
    assert.ok(!/(^|[^\\])(\\\\)*'/.test(body), `an unescaped quote in ${quoted}`);
    assert.equal(body.replace(/\\(.)/g, (_m, c: string) => ({ '0': '\0', n: '\n', r: '\r', Z: '\x1a' })[c] ?? c), pw);
  });

  it('quotes names with backticks, doubled inside; a NUL cannot be in a name', () => {
    assert.equal(sqlQuote('app', 'ident'), '`app`');
    assert.equal(sqlQuote('we`ird', 'ident'), '`we``ird`');
    assert.equal(sqlQuote("it's", 'ident'), "`it's`");
    assert.equal(sqlQuote('back\\slash', 'ident'), '`back\\slash`');
    assert.throws(() => sqlQuote('a\0b', 'ident'), (e: unknown) => e instanceof ModuleError && /NUL/.test(e.message));
  });

  it('writes an account as quoted name and host', () => {
    assert.equal(sqlAccount('app', 'localhost'), "'app'@'localhost'");
    assert.equal(sqlAccount("o'k", '%'), "'o\\'k'@'%'");
  });
});
