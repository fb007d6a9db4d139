// Plain substitutions skip Handlebars (simple.ts): the result, or the error, must be exactly
// what Handlebars gives for the same text and variables.
import { strict as assert } from 'node:assert';
import Handlebars from 'handlebars';
import { environment, renderText, renderTextByHandlebars } from '../../../src/engine/template/render.js';
import { templateRefs } from '../../../src/engine/template/refs.js';
import { simpleParts } from '../../../src/engine/template/simple.js';
import { lazilyRendered } from '../../../src/engine/vars/lazy.js';
import { Secret } from '../../../src/engine/secret.js';
import { HELPER_NAMES } from '../../../src/engine/template/helpers.js';

type Outcome = { ok: string } | { error: string; name: string };

function outcome(f: () => string): Outcome {
  try {
    return { ok: f() };
  } catch (e) {
    return { error: (e as Error).message, name: (e as Error).constructor.name };
  }
}

const nullProto = Object.assign(Object.create(null) as Record<string, unknown>, { k: 1 });
const VARS: Record<string, unknown> = {
  root: '/srv',
  port: 8080,
  zero: 0,
  neg: -1.5,
  big: 1e21,
  yes: true,
  no: false,
  nothing: null,
  undef: undefined,
  empty: '',
  list: [1, 'two', null, [3, 4], { a: 1 }],
  emptyList: [],
  obj: { a: { b: { c: 'deep' } }, n: 2, l: [1, 2], f: () => 'called' },
  flat: nullProto,
  secret: new Secret('hunter2'),
  fn: () => 'called',
  valueOf: { valueOf: () => 42, toString: () => 'str' },
  date: new Date(0),
  'dash-ed': 'dashed',
  _under: 'under',
  str: 'text',
};

const TEXTS = [
  '{{ root }}/d3',
  '{{root}}',
  '{{  root  }}',
  '{{\nroot\n}}',
  '{{\troot}}',
  'pre {{ port }} post',
  '{{ port }}{{ port }}',
  '{{ port }}{{ zero }}x',
  'x{{ port }}{{ zero }}',
  '{{ yes }}{{ port }}',
  '{{ list }}{{ port }}',
  '{{ zero }} {{ neg }} {{ big }}',
  '{{ yes }}/{{ no }}',
  '[{{ nothing }}]',
  '[{{ undef }}]',
  '[{{ empty }}]',
  '{{ list }}',
  '{{ emptyList }}',
  '{{ obj }}',
  '{{ obj.a.b.c }}',
  '{{ obj.a.b }}',
  '{{ obj.n }}',
  '{{ obj.l }}',
  '{{ obj.l.length }}',
  '{{ list.length }}',
  '{{ str.length }}',
  '{{ obj.f }}',
  '{{ fn }}',
  '{{ flat }}',
  '{{ flat.k }}',
  '{{ secret }}',
  'pw={{ secret }}',
  '{{ secret.x }}',
  '{{ valueOf }}',
  '{{ valueOf }}x',
  '{{ date }}',
  '{{ dash-ed }}',
  '{{ _under }}',
  '{{ missing }}',
  'a {{ root }} {{ missing }}',
  '{{ obj.missing }}',
  '{{ obj.a.missing.c }}',
  '{{ nothing.x }}',
  '{{ undef.x }}',
  '{{ port.x }}',
  '{{ toString }}',
  '{{ obj.toString }}',
  '{{ constructor }}',
  '{{ obj.constructor }}',
  '{{ __proto__ }}',
  '{{ hasOwnProperty }}',
  '{{ this }}',
  '{{ this.root }}',
  '{{ thisroot }}',
  '{{ true }}',
  '{{ null }}',
  '{{ obj.true }}',
  '{{ 1 }}',
  '{{ env }}',
  '{{ lookup }}',
  '{{ log }}',
  '{{ helperMissing }}',
  '{{ upper root }}',
  '{{{ root }}}',
  '{{ root }}}',
  '{{~ root ~}}',
  '\\{{ root }}',
  '\\\\{{ root }}',
  'a}}b{{ root }}c}}',
  '{{ root }}{{',
  '{{ }}',
  '{{ root. }}',
  '{{ .root }}',
  '{{ obj..a }}',
  '{{ obj/a }}',
  '{{ obj.[a] }}',
  '{{ @root }}',
  '{{! comment }}{{ root }}',
  '{{#if yes}}{{ root }}{{/if}}',
  'nul\0{{ root }}',
  'line1\n  {{ root }}\n{{ port }}\n',
  '{{ list.0 }}',
];

describe('template fast path', () => {
  for (const text of TEXTS) {
    it(`renders ${JSON.stringify(text)} as Handlebars does`, () => {
      const want = outcome(() => renderTextByHandlebars(text, VARS, 'test'));
      assert.deepEqual(outcome(() => renderText(text, VARS, 'test')), want);
      // Twice: the second render comes from the cache.
      assert.deepEqual(outcome(() => renderText(text, VARS, 'test')), want);
    });
  }

  it('takes the fast path for plain substitutions only', () => {
    assert.deepEqual(simpleParts('{{ root }}/d{{ a.b }}'), [['root'], '/d', ['a', 'b']]);
    for (const t of ['{{ upper x }}', '{{{ x }}}', '{{ this }}', '\\{{ x }}', '{{ x }}}', '{{#if x}}{{/if}}', '{{ true }}', '{{ default }}']) {
      assert.equal(simpleParts(t), undefined, t);
    }
  });

  it('treats every Handlebars helper name as a helper, not a variable', () => {
    const all = Object.keys(environment().helpers);
    for (const name of all) assert.equal(simpleParts(`{{ ${name} }}`), undefined, name);
    assert.ok([...HELPER_NAMES].every((n) => all.includes(n)));
  });

  it('renders lazily rendered variables (getters) as Handlebars does', () => {
    const vars = lazilyRendered({ base: '/opt', app: '{{ base }}/app', port: 80, loop: '{{ loop }}' });
    for (const text of ['{{ app }}:{{ port }}', '{{ app }}{{ port }}', '{{ loop }}', 'x{{ loop }}']) {
      assert.deepEqual(outcome(() => renderText(text, vars)), outcome(() => renderTextByHandlebars(text, vars)), text);
    }
  });

  it('renders a variable that is defined for one host and not for another', () => {
    assert.equal(renderText('{{ host_only }}!', { host_only: 'a' }), 'a!');
    assert.throws(() => renderText('{{ host_only }}!', {}), /undefined variable "host_only"/);
    assert.equal(renderText('{{ host_only }}!', { host_only: 'b' }), 'b!');
  });

  it('finds the same variables in a template as the Handlebars walk', () => {
    for (const text of ['{{ root }}/d3', '{{ a.b }} {{ c }} {{ a }}', 'x {{ env }} {{ this.x }}', '{{ thisone }}']) {
      const walk = (t: string) => {
        const refs: string[] = [];
        const visit = (n: hbs.AST.Node): void => {
          if (n.type === 'Program') (n as hbs.AST.Program).body.forEach(visit);
          if (n.type !== 'MustacheStatement') return;
          const p = (n as hbs.AST.MustacheStatement).path as hbs.AST.PathExpression;
          if (!HELPER_NAMES.has(p.original) && !p.original.startsWith('this') && p.parts[0]) refs.push(p.parts[0]);
        };
        visit(Handlebars.parse(t));
        return refs;
      };
      assert.deepEqual(templateRefs(text).map((r) => r.name), walk(text), text);
      assert.ok(templateRefs(text).every((r) => !r.guarded));
    }
  });
});
