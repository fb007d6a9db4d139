import { strict as assert } from 'node:assert';
import type { Connection } from '../../../src/engine/connection/types.js';
import type { PathBatch, PathEntry } from '../../../src/engine/facts/path.js';
import { PathReads } from '../../../src/engine/facts/path_cache.js';

const conn = { host: 'h' } as unknown as Connection;
const other = { host: 'other' } as unknown as Connection;

function batch(entries: Record<string, Partial<PathEntry> & { exists?: boolean; sha256?: string }>): PathBatch {
  const m = new Map<string, PathEntry>();
  for (const [path, e] of Object.entries(entries)) {
    m.set(path, { state: { path, exists: e.exists ?? true, type: 'file', ...(e.sha256 ? { sha256: e.sha256 } : {}) }, checksummed: e.checksummed ?? false, ...(e.below ? { below: e.below } : {}) });
  }
  return { entries: m, umask: 0o022 };
}

describe('path facts read ahead (PathReads)', () => {
  it('answers a read whose every path it holds, per connection and become user', () => {
    const r = new PathReads();
    r.store(conn, undefined, batch({ '/a': {}, '/': {} }), r.generation);
    const f = r.lookup(conn, undefined, ['/a', '/'], {});
    assert.deepEqual(f?.paths.map((p) => p.path), ['/a', '/']);
    assert.equal(f?.umask, 0o022);
    assert.equal(r.lookup(conn, undefined, ['/a', '/b'], {}), undefined, 'a path it does not hold');
    assert.equal(r.lookup(conn, 'root', ['/a'], {}), undefined, 'another become user');
    assert.equal(r.lookup(other, undefined, ['/a'], {}), undefined, 'another connection');
  });

  it('gives each read its own copy: a module changing what it got changes nothing held', () => {
    const r = new PathReads();
    const b = batch({ '/l': {}, '/d': { below: [{ count: 2, type: 'file', mode: 0o644, uid: 0, gid: 0, owner: 'root', group: 'root' }] } });
    const held = b.entries.get('/l');
    assert.ok(held);
    held.state = { path: '/l', exists: true, type: 'link', linkTarget: '/t', target: { path: '/l', exists: true, type: 'file', mode: 0o644 } };
    r.store(conn, undefined, b, r.generation);
    const first = r.lookup(conn, undefined, ['/l'], {});
    const link = first?.paths[0];
    assert.ok(link?.target);
    link.mode = 0o777;
    link.target.mode = 0o600;
    const below = r.lookup(conn, undefined, ['/d'], { below: true })?.below;
    assert.ok(below?.[0]);
    below[0].mode = 0o600;
    assert.deepEqual(r.lookup(conn, undefined, ['/l'], {})?.paths[0], { path: '/l', exists: true, type: 'link', linkTarget: '/t', target: { path: '/l', exists: true, type: 'file', mode: 0o644 } });
    assert.equal(r.lookup(conn, undefined, ['/d'], { below: true })?.below?.[0]?.mode, 0o644);
  });

  it('forgets everything once something is applied, on any connection', () => {
    const r = new PathReads();
    r.store(conn, undefined, batch({ '/a': {} }), r.generation);
    r.invalidate();
    assert.equal(r.lookup(conn, undefined, ['/a'], {}), undefined);
  });

  it('drops a read that began before an apply', () => {
    const r = new PathReads();
    const began = r.generation;
    r.invalidate();
    r.store(conn, undefined, batch({ '/a': {} }), began);
    assert.equal(r.lookup(conn, undefined, ['/a'], {}), undefined);
  });

  it('needs the checksum or the summary when the read asks for them', () => {
    const r = new PathReads();
    r.store(conn, undefined, batch({ '/a': {}, '/d': {} }), r.generation);
    assert.equal(r.lookup(conn, undefined, ['/a'], { checksum: true }), undefined);
    assert.equal(r.lookup(conn, undefined, ['/d'], { below: true }), undefined);
    r.store(conn, undefined, batch({ '/a': { checksummed: true, sha256: 'ab' }, '/d': { below: [] } }), r.generation);
    assert.equal(r.lookup(conn, undefined, ['/a'], { checksum: true })?.paths[0]?.sha256, 'ab');
    assert.deepEqual(r.lookup(conn, undefined, ['/d'], { below: true })?.below, []);
    r.store(conn, undefined, batch({ '/a': {} }), r.generation);
    assert.equal(r.lookup(conn, undefined, ['/a'], { checksum: true })?.paths[0]?.sha256, 'ab', 'a later read without checksum keeps it');
  });

  it('hands out copies: a module changing its state cannot change the next task’s', () => {
    const r = new PathReads();
    r.store(conn, undefined, batch({ '/a': {} }), r.generation);
    const first = r.lookup(conn, undefined, ['/a'], {});
    (first?.paths[0] as { mode?: number }).mode = 0o777;
    assert.equal(r.lookup(conn, undefined, ['/a'], {})?.paths[0]?.mode, undefined);
  });

  it('remembers which tasks a current read covered', () => {
    const r = new PathReads();
    const t1 = {};
    const t2 = {};
    r.store(conn, undefined, batch({ '/a': {} }), r.generation, [t1]);
    assert.equal(r.holds(conn, undefined, t1), true);
    assert.equal(r.holds(conn, undefined, t2), false);
    r.invalidate();
    assert.equal(r.holds(conn, undefined, t1), false);
  });
});
