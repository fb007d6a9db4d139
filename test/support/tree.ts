// A directory tree as comparable data: every entry's type, mode, link target and content.
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface Entry {
  type: 'file' | 'dir' | 'link';
  mode: string;
  content?: string;
  target?: string;
}

/** Snapshot `root` (absolute link targets are shown relative to root). */
export function snapshot(root: string): Record<string, Entry> {
  const out: Record<string, Entry> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = lstatSync(p);
      const rel = relative(root, p);
      const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
      if (st.isSymbolicLink()) out[rel] = { type: 'link', mode: '', target: readlinkSync(p).replace(root, '<root>') };
      else if (st.isDirectory()) {
        out[rel] = { type: 'dir', mode };
        walk(p);
      } else out[rel] = { type: 'file', mode, content: readFileSync(p, 'utf8') };
    }
  };
  walk(root);
  return out;
}
