import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_DIFF_BYTES, renderDiff } from '../../../src/engine/output/diff.js';
import type { FileDiff } from '../../../src/engine/result.js';

const plain = { color: false };

function lines(n: number): string {
  return Array.from({ length: n }, (_, i) => `line ${i + 1}\n`).join('');
}

describe('renderDiff', () => {
  it('renders nothing when both sides are equal, or both absent', () => {
    assert.equal(renderDiff({ path: '/etc/x', before: 'a\n', after: 'a\n' }, plain), '');
    assert.equal(renderDiff({ path: '/etc/x', before: null, after: null }, plain), '');
  });

  it('renders a unified diff with before/after headers and 3 lines of context', () => {
    const after = lines(10).replace('line 5\n', 'LINE FIVE\n');
    assert.equal(
      renderDiff({ path: '/etc/x', before: lines(10), after }, plain),
      [
        '--- before: /etc/x',
        '+++ after: /etc/x',
        '@@ -2,7 +2,7 @@',
        ' line 2',
        ' line 3',
        ' line 4',
        '-line 5',
        '+LINE FIVE',
        ' line 6',
        ' line 7',
        ' line 8',
        '',
      ].join('\n'),
    );
  });

  it('marks a missing final newline exactly as GNU diff does, on the side that lacks it', () => {
    // Expected text produced by GNU diffutils 3.8 `diff -u` on the same two files.
    assert.equal(
      renderDiff({ path: 'f', before: 'a\nb', after: 'a\nb\n' }, plain),
      '--- before: f\n+++ after: f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n',
    );
    assert.equal(
      renderDiff({ path: 'f', before: 'a\nb', after: 'x\nb' }, plain),
      '--- before: f\n+++ after: f\n@@ -1,2 +1,2 @@\n-a\n+x\n b\n\\ No newline at end of file\n',
    );
    assert.equal(
      renderDiff({ path: 'f', before: 'a', after: 'b' }, plain),
      '--- before: f\n+++ after: f\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file\n',
    );
  });

  it('shows a created file as all lines added, its before side named absent', () => {
    assert.equal(
      renderDiff({ path: '/srv/app.conf', before: null, after: 'a\nb\n' }, plain),
      '--- before: /srv/app.conf (absent)\n+++ after: /srv/app.conf\n@@ -0,0 +1,2 @@\n+a\n+b\n',
    );
  });

  it('shows a removed file as all lines removed, its after side named absent', () => {
    assert.equal(
      renderDiff({ path: '/srv/app.conf', before: 'a\nb\n', after: null }, plain),
      '--- before: /srv/app.conf\n+++ after: /srv/app.conf (absent)\n@@ -1,2 +0,0 @@\n-a\n-b\n',
    );
  });

  it('says so when an empty file is created or removed (no line to show)', () => {
    assert.match(renderDiff({ path: '/e', before: null, after: '' }, plain), /\nEmpty file created\n$/);
    assert.match(renderDiff({ path: '/e', before: '', after: null }, plain), /\nEmpty file removed\n$/);
  });

  it('uses beforeHeader/afterHeader when given', () => {
    const out = renderDiff({ path: '/x', before: 'a\n', after: 'b\n', beforeHeader: '/x (backup)', afterHeader: 'rendered template' }, plain);
    assert.ok(out.startsWith('--- before: /x (backup)\n+++ after: rendered template\n'), out);
  });

  it('prints one note line for binary content, never its bytes', () => {
    const d: FileDiff = { path: '/bin/tool', before: 'SECRETBYTES', after: 'OTHERBYTES!!', binary: true };
    const out = renderDiff(d, plain);
    assert.equal(out, '--- before: /bin/tool\n+++ after: /bin/tool\nBinary content differs (11 bytes -> 12 bytes)\n');
  });

  it('treats content with a NUL byte as binary even without the flag', () => {
    const out = renderDiff({ path: '/b', before: null, after: 'x\0y' }, plain);
    assert.equal(out.split('\n')[2], 'Binary content differs (absent -> 3 bytes)');
    assert.ok(!out.includes('\0'));
  });

  it('prints one note line when either side is over 1 MiB', () => {
    const big = 'x'.repeat(MAX_DIFF_BYTES) + '\n';
    const out = renderDiff({ path: '/var/big', before: 'small\n', after: big }, plain);
    assert.equal(out.split('\n').length, 4, 'two headers, one note, trailing newline');
    assert.match(out, /^Content too large to diff \(6 bytes -> 1048577 bytes; the limit is 1 MiB\)$/m);
    // Exactly at the limit is still diffed.
    const atLimit = 'y'.repeat(MAX_DIFF_BYTES - 1) + '\n';
    assert.match(renderDiff({ path: '/v', before: 'small\n', after: atLimit }, plain), /^@@ /m);
  });

  it('keeps CRLF line endings as they are', () => {
    const out = renderDiff({ path: 'w', before: 'a\r\nb\r\n', after: 'a\r\nc\r\n' }, plain);
    assert.ok(out.includes(' a\r\n-b\r\n+c\r\n'), JSON.stringify(out));
    // A CRLF -> LF change is a change, and shows.
    assert.ok(renderDiff({ path: 'w', before: 'a\r\n', after: 'a\n' }, plain).includes('-a\r\n+a\n'));
  });

  it('colours only when asked: bold headers, cyan hunks, red removals, green additions', () => {
    const d: FileDiff = { path: 'f', before: 'a\nb\n', after: 'a\nc\n' };
    assert.ok(!renderDiff(d, plain).includes('\x1b['));
    const out = renderDiff(d, { color: true });
    assert.ok(out.includes('\x1b[1m--- before: f'), out);
    assert.ok(out.includes('\x1b[1m+++ after: f'), out);
    assert.ok(out.includes('\x1b[36m@@ -1,2 +1,2 @@'), out);
    assert.ok(out.includes('\x1b[31m-b\x1b[39m'), out);
    assert.ok(out.includes('\x1b[32m+c\x1b[39m'), out);
    assert.ok(out.includes('\n a\n'), 'context lines stay uncoloured');
  });

  it('produces patches GNU patch applies (no-newline, CRLF, created and multi-hunk cases)', function () {
    if (spawnSync('patch', ['--version']).status !== 0) this.skip();
    const dir = mkdtempSync(join(tmpdir(), 'kiln-diff-'));
    try {
      const cases: [string, string][] = [
        ['a\nb', 'a\nb\n'],
        ['a\nb\n', 'a\nc'],
        ['', 'x\ny\n'],
        ['a\r\nb\r\n', 'a\nb\r\n'],
        [lines(40), lines(40).replace('line 3\n', '').replace('line 30\n', 'thirty\n')],
      ];
      for (const [before, after] of cases) {
        const file = join(dir, 'f');
        writeFileSync(file, before);
        const body = renderDiff({ path: 'f', before, after }, plain).split('\n').slice(2).join('\n');
        writeFileSync(join(dir, 'p.diff'), `--- f\n+++ f\n${body}`);
        const r = spawnSync('patch', ['--binary', '-s', '-f', file, join(dir, 'p.diff')], { encoding: 'utf8' });
        assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
        assert.equal(readFileSync(file, 'utf8'), after, JSON.stringify({ before, after }));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
