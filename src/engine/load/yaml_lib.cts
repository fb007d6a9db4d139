// The yaml package, loaded on first use: a run whose YAML all comes from the parse cache
// (yaml_cache.ts) never evaluates it. CommonJS, because `require` is synchronous like parsing.
import type * as YamlNamespace from 'yaml';

type Yaml = typeof YamlNamespace;
let loaded: Yaml | undefined;

function yaml(): Yaml {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above: lazy and synchronous
  return (loaded ??= require('yaml') as Yaml);
}

export = yaml;
