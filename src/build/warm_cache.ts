// Run by build.ts in a fresh node (no flags, like users'): load the bundles without a cache, run
// what start-up is timed on (validate, a first and a converged local play, a facts-only play),
// then write the V8 code cache, which then holds the bytecode of every function those ran.
// Usage: node warm_cache.js DIR CLI_BUNDLE ENGINE_BUNDLE
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKiln, writeCodeCaches } from '../cli/bundles.js';

const TASKS = `- name: warm-up
  hosts: all
  gather_facts: false
  vars:
    greeting: hello
  tasks:
    - name: a directory
      file:
        path: "{{ root }}/d"
        state: directory
        mode: "0755"
    - name: a file
      copy:
        dest: "{{ root }}/d/f.txt"
        content: "{{ greeting }} & <more>\\n"
        mode: "0644"
    - name: a template
      template:
        src: t.j2
        dest: "{{ root }}/d/t.conf"
    - name: a link
      file:
        src: "{{ root }}/d/f.txt"
        dest: "{{ root }}/l"
        state: link
`;
const FACTS = '- name: facts\n  hosts: all\n  gather_facts: true\n';

async function main(): Promise<void> {
  const [dir, cli, engine] = process.argv.slice(2);
  if (!dir || !cli || !engine) throw new Error('usage: warm_cache.js DIR CLI_BUNDLE ENGINE_BUNDLE');
  const kiln = loadKiln(dir, { cli, engine }, false);
  const tmp = mkdtempSync(join(tmpdir(), 'kiln-warm-'));
  // A parse cache of its own: the build leaves nothing in the user's, and the later runs hit it,
  // so the code cache holds both the parser's path and the cache's.
  process.env['KILN_CACHE_DIR'] = join(tmp, 'cache');
  try {
    mkdirSync(join(tmp, 'templates'));
    writeFileSync(join(tmp, 'templates', 't.j2'), 'greeting={{ greeting }}\n{{#if greeting}}on{{/if}}\n');
    writeFileSync(join(tmp, 'site.yml'), TASKS);
    writeFileSync(join(tmp, 'facts.yml'), FACTS);
    writeFileSync(join(tmp, 'local.ini'), `localhost ansible_connection=local root=${join(tmp, 'root')}\n`);
    const runs = [['validate', 'site.yml', '-i', 'local.ini'], ['play', 'site.yml', '-i', 'local.ini'], ['play', 'site.yml', '-i', 'local.ini'], ['play', 'facts.yml']];
    for (const args of runs) {
      await kiln.main([process.execPath, 'kiln', ...args.map((a) => (a.endsWith('.yml') || a.endsWith('.ini') ? join(tmp, a) : a))]);
      if (process.exitCode !== 0) throw new Error(`kiln ${args.join(' ')} exited ${String(process.exitCode)} while warming up`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  process.stderr.write(`kiln: wrote ${writeCodeCaches().length} code caches\n`);
}

await main();
