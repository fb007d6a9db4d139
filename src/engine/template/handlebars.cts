// Handlebars, loaded on first use: most templates never need it (simple.ts), and loading it costs
// more than a small run. CommonJS, because `require` is synchronous like the render functions.
import type HandlebarsNamespace from 'handlebars';

type Handlebars = typeof HandlebarsNamespace;
let loaded: Handlebars | undefined;

function handlebars(): Handlebars {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above: lazy and synchronous
  return (loaded ??= require('handlebars') as Handlebars);
}

export = handlebars;
