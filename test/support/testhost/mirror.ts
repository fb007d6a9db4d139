// Which Debian mirror this machine uses (its apt sources), so the test hosts' image and their apt
// go to the same place and nowhere else.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AptSource {
  /** e.g. http://deb.debian.org/debian (no trailing slash). */
  uri: string;
  suites: string[];
}

export interface Mirror {
  /** The archive debootstrap installs from: the source that carries the release suite itself. */
  archive: string;
  /** Every bookworm source of the machine (release, -updates, -security...), http only. */
  sources: AptSource[];
}

/** Parse one-line sources (`deb [opts] URI SUITE COMPONENTS...`). */
export function parseSourcesList(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line.startsWith('deb ')) continue;
    const words = line.replace(/\[[^\]]*\]/, '').trim().split(/\s+/);
    const [, uri, suite] = words;
    if (uri && suite) out.push({ uri: uri.replace(/\/+$/, ''), suites: [suite] });
  }
  return out;
}

/** Parse deb822 `.sources` stanzas (Types, URIs, Suites; Enabled: no is honoured). */
export function parseDeb822(text: string): AptSource[] {
  const out: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#')) continue;
      if (/^\s/.test(line) && last) {
        fields.set(last, `${fields.get(last) ?? ''} ${line.trim()}`);
        continue;
      }
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (!m) continue;
      last = (m[1] as string).toLowerCase();
      fields.set(last, (m[2] as string).trim());
    }
    const types = (fields.get('types') ?? '').split(/\s+/);
    if (!types.includes('deb') || /^(no|false)$/i.test(fields.get('enabled') ?? '')) continue;
    const suites = (fields.get('suites') ?? '').split(/\s+/).filter(Boolean);
    for (const uri of (fields.get('uris') ?? '').split(/\s+/).filter(Boolean)) out.push({ uri: uri.replace(/\/+$/, ''), suites });
  }
  return out;
}

/** Pick the sources for `release` out of everything apt knows; throws when none is usable. */
export function pickMirror(all: readonly AptSource[], release: string): Mirror {
  const ours = new RegExp(`^${release}(-[a-z]+)?$`);
  const byUri = new Map<string, Set<string>>();
  for (const s of all) {
    // apt-cacher-ng proxies plain http; an https mirror would need a tunnel the hosts must not have.
    if (!s.uri.startsWith('http://')) continue;
    for (const suite of s.suites) {
      if (!ours.test(suite)) continue;
      const set = byUri.get(s.uri) ?? new Set<string>();
      set.add(suite);
      byUri.set(s.uri, set);
    }
  }
  const sources = [...byUri].map(([uri, suites]) => ({ uri, suites: [...suites] }));
  const archive = sources.find((s) => s.suites.includes(release))?.uri;
  if (!archive) {
    throw new Error(
      `no http:// Debian mirror for "${release}" in /etc/apt/sources.list or /etc/apt/sources.list.d/: test hosts install from the machine's own mirror`,
    );
  }
  return { archive, sources };
}

/** The machine's mirror for `release`, from /etc/apt (sources.list, *.list, *.sources). */
export function machineMirror(release = 'bookworm', etcApt = '/etc/apt'): Mirror {
  const all: AptSource[] = [];
  const read = (file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  };
  all.push(...parseSourcesList(read(join(etcApt, 'sources.list'))));
  let names: string[] = [];
  try {
    names = readdirSync(join(etcApt, 'sources.list.d')).sort();
  } catch {
    // no drop-in folder
  }
  for (const n of names) {
    const file = join(etcApt, 'sources.list.d', n);
    if (n.endsWith('.list')) all.push(...parseSourcesList(read(file)));
    else if (n.endsWith('.sources')) all.push(...parseDeb822(read(file)));
  }
  return pickMirror(all, release);
}

/** The host's /etc/apt/sources.list: the same mirrors, `main` only. */
export function hostSourcesList(m: Mirror): string {
  const lines = m.sources.flatMap((s) => s.suites.map((suite) => `deb ${s.uri} ${suite} main`));
  return `${lines.join('\n')}\n`;
}
