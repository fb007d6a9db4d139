// blockinfile: keep a block of lines between two marker lines in a text file (insert, update or
// remove it). The edit is Ansible's: the same marker matching, insertafter/insertbefore rules
// (Python regexps, text/pyre.ts) and newline handling.
import { ModuleError } from '../engine/errors.js';
import type { Module } from '../engine/module.js';
import { foldAliases } from './common/aliases.js';
import { applyTextFile, type Edit, planTextFile, readTextFile, type TextDo, type TextFileArgs, type TextFileState, textFileQuery } from './text/edit.js';
import { fromBytes, pyRegex, toBytes } from './text/pyre.js';

/** blockinfile's arguments, as the schema allows them (dest, destfile and name fold into path; content into block). */
export interface BlockinfileArgs extends TextFileArgs {
  dest?: string;
  destfile?: string;
  name?: string;
  state?: 'present' | 'absent';
  marker?: string;
  marker_begin?: string;
  marker_end?: string;
  block?: string;
  content?: string;
  insertafter?: string;
  insertbefore?: string;
}

export const DEFAULT_MARKER = '# {mark} ANSIBLE MANAGED BLOCK';

export function normalize(args: BlockinfileArgs): BlockinfileArgs {
  return foldAliases(foldAliases(args, 'path', ['dest', 'destfile', 'name']), 'block', ['content']);
}

/** Python's bytes.splitlines(keepends=True): lines end at \n, \r\n or \r. */
function splitlines(text: string): string[] {
  return text.match(/[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$/g) ?? [];
}

/** Pure: Ansible's blockinfile edit of `before` (a byte string; null when the file is missing). */
export function blockEdit(before: string | null, a: BlockinfileArgs, path: string): Edit {
  if (a.insertafter !== undefined && a.insertbefore !== undefined) throw new ModuleError('give insertafter: or insertbefore:, not both');
  const original = before ?? '';
  const lines = before === null ? [] : splitlines(before);
  const present = a.state !== 'absent';
  const marker = toBytes(a.marker ?? DEFAULT_MARKER);
  const marker0 = `${marker.split('{mark}').join(toBytes(a.marker_begin ?? 'BEGIN'))}\n`;
  const marker1 = `${marker.split('{mark}').join(toBytes(a.marker_end ?? 'END'))}\n`;
  let block = toBytes(a.block ?? '');
  let insertafter = a.insertafter;
  const insertbefore = a.insertbefore;
  if (insertafter === undefined && insertbefore === undefined) insertafter = 'EOF';
  let ins: ReturnType<typeof pyRegex> | undefined;
  if (insertafter !== undefined && insertafter !== 'EOF') ins = pyRegex(insertafter, 'insertafter');
  else if (insertbefore !== undefined && insertbefore !== 'BOF') ins = pyRegex(insertbefore, 'insertbefore');

  let blocklines: string[] = [];
  if (present && block) {
    if (!block.endsWith('\n')) block += '\n';
    blocklines = [marker0, ...splitlines(block), marker1];
  }
  let n0: number | undefined;
  let n1: number | undefined;
  lines.forEach((l, i) => {
    if (l === marker0) n0 = i;
    if (l === marker1) n1 = i;
  });
  const hadBlock = n0 !== undefined && n1 !== undefined;
  if (n0 === undefined || n1 === undefined) {
    n0 = undefined;
    if (ins) {
      if (ins.multiline) {
        const m = ins.re.exec(original);
        if (m) {
          const upTo = insertafter !== undefined ? m.index + m[0].length : m.index;
          n0 = (original.slice(0, upTo).match(/\n/g) ?? []).length;
        }
      } else {
        lines.forEach((l, i) => {
          if (ins?.re.exec(l)) n0 = i;
        });
      }
      if (n0 === undefined) n0 = lines.length;
      else if (insertafter !== undefined) n0 += 1;
    } else if (insertbefore !== undefined) n0 = 0;
    else n0 = lines.length;
  } else if (n0 < n1) lines.splice(n0, n1 - n0 + 1);
  else {
    lines.splice(n1, n0 - n1 + 1);
    n0 = n1;
  }
  if (n0 > 0 && !(lines[n0 - 1] as string).endsWith('\n')) lines[n0 - 1] += '\n';
  lines.splice(n0, 0, ...blocklines);
  const after = lines.join('');
  const name = fromBytes(marker0.replace(/\n$/, ''));
  if (after === original) {
    const why = blocklines.length ? `${path} already has the block ${JSON.stringify(name)} as given` : `${path} has no block ${JSON.stringify(name)}`;
    return { after, summary: '', okReason: why };
  }
  const summary = !blocklines.length ? `remove block ${JSON.stringify(name)} from ${path}` : hadBlock ? `update block ${JSON.stringify(name)} in ${path}` : `insert block ${JSON.stringify(name)} in ${path}`;
  return { after, summary, okReason: '' };
}

/** The blockinfile module. */
export const blockinfile: Module<BlockinfileArgs, TextFileState, TextDo> = {
  name: 'blockinfile',

  query(args) {
    const a = normalize(args);
    return typeof a.path === 'string' ? textFileQuery(a.path) : undefined;
  },

  read: (ctx, args) => readTextFile(ctx, normalize(args)),

  plan(current, args) {
    const a = normalize(args);
    const removes = a.state === 'absent';
    return planTextFile(current, a, removes, (before) => blockEdit(current.content === null && !current.file.exists ? null : before, a, current.path));
  },

  apply: (ctx, _args, plan) => applyTextFile(ctx, plan),
};

export default blockinfile;
