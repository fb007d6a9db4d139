// The one renderer for file diffs: FileDiff data in, GNU-style unified diff text out.
import { structuredPatch, type StructuredPatchHunk } from 'diff';
import pc from 'picocolors';
import type { FileDiff } from '../result.js';

/** Past this size (either side) a line diff is slow to compute and useless to read. */
export const MAX_DIFF_BYTES = 1024 * 1024;
const CONTEXT_LINES = 3;

type Colors = ReturnType<typeof pc.createColors>;

/**
 * Render a file's before/after as a unified diff ending in a newline, or '' when nothing differs.
 * Binary and oversized content become one note line: their bytes are never printed.
 */
export function renderDiff(d: FileDiff, opts: { color: boolean }): string {
  if (d.before === d.after) return '';
  const c = pc.createColors(opts.color);
  const out = [
    c.bold(`--- before: ${d.beforeHeader ?? sideName(d.path, d.before)}`),
    c.bold(`+++ after: ${d.afterHeader ?? sideName(d.path, d.after)}`),
  ];
  const note = noteInsteadOfLines(d);
  if (note !== undefined) {
    out.push(note);
    return `${out.join('\n')}\n`;
  }
  const patch = structuredPatch('', '', d.before ?? '', d.after ?? '', undefined, undefined, { context: CONTEXT_LINES });
  // Only existence changed ('' vs absent): there is no line to show, so say so.
  if (patch.hunks.length === 0) out.push(d.before === null ? 'Empty file created' : 'Empty file removed');
  for (const hunk of patch.hunks) {
    out.push(c.cyan(hunkHeader(hunk)));
    for (const line of hunk.lines) out.push(colorLine(line, c));
  }
  return `${out.join('\n')}\n`;
}

function sideName(path: string, content: string | null): string {
  return content === null ? `${path} (absent)` : path;
}

function noteInsteadOfLines(d: FileDiff): string | undefined {
  const before = byteSize(d.before);
  const after = byteSize(d.after);
  // A NUL byte is GNU diff's own binary test; it guards against producers that forgot the flag.
  if (d.binary || d.before?.includes('\0') || d.after?.includes('\0')) {
    return `Binary content differs (${before} -> ${after})`;
  }
  if (Buffer.byteLength(d.before ?? '') > MAX_DIFF_BYTES || Buffer.byteLength(d.after ?? '') > MAX_DIFF_BYTES) {
    return `Content too large to diff (${before} -> ${after}; the limit is 1 MiB)`;
  }
  return undefined;
}

function byteSize(content: string | null): string {
  if (content === null) return 'absent';
  const n = Buffer.byteLength(content);
  return n === 1 ? '1 byte' : `${n} bytes`;
}

// GNU diff omits a count of 1, and an empty range starts at the line before it.
function hunkHeader(h: StructuredPatchHunk): string {
  return `@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@`;
}

function range(start: number, count: number): string {
  if (count === 1) return String(start);
  return `${count === 0 ? start - 1 : start},${count}`;
}

function colorLine(line: string, c: Colors): string {
  if (line.startsWith('+')) return c.green(line);
  if (line.startsWith('-')) return c.red(line);
  return line;
}
