// Static checks after loading: undefined variables, unknown handlers, bad templates.
// They run before any host is contacted.
import handlebars from '../template/handlebars.cjs';
import { simpleParts } from '../template/simple.js';
import { didYouMean } from '../did_you_mean.js';
import { Problem, type Loc } from '../errors.js';
import { ConditionSyntaxError, parseCondition } from '../expr/parse.js';
import { variableRefs } from '../expr/refs.js';
import { valueLocOf } from '../load/locations.js';
import { locInScalar } from '../load/yaml.js';
import { moduleTraits } from '../schema/traits.js';
import { HELPER_NAMES } from '../template/helpers.js';
import { templateRefs } from '../template/refs.js';
import { handlerNames } from './handlers.js';
import type { Cond, IncludeNode, Node, Play, TaskNode } from './model.js';

export interface KnownNames {
  /** Extra vars, inventory variables of every host and group, facts, magic variables. */
  global: ReadonlySet<string>;
}

/** Names every task may read without defining them. */
export const MAGIC_VARS = [
  'inventory_hostname',
  'inventory_hostname_short',
  'group_names',
  'groups',
  'hostvars',
  'playbook_dir',
  'role_path',
  'role_name',
  'ansible_facts',
  'kiln_facts',
  'ansible_check_mode',
  'ansible_diff_mode',
  'ansible_play_hosts',
  'ansible_play_batch',
  'ansible_loop',
  'omit',
];

function isFactLike(name: string): boolean {
  return name.startsWith('ansible_') || name.startsWith('kiln_');
}

/** Run every static check on the loaded plays; returns the problems found. */
export function checkPlays(plays: Play[], known: KnownNames): Problem[] {
  const problems: Problem[] = [];
  const registered = new Set<string>();
  const facts = new Set<string>();
  for (const play of plays) {
    forEachTask(play, (t) => {
      if (t.register) registered.add(t.register);
      const sets = moduleTraits(t.module).setsFacts;
      if (sets && t.args && typeof t.args === 'object') for (const k of Object.keys(t.args)) if (!sets.except.includes(k)) facts.add(k);
    });
    forEachInclude(play.sections.flat(), (inc) => inc.defines.forEach((n) => facts.add(n)));
  }
  for (const play of plays) {
    const playNames = new Set<string>([
      ...known.global,
      ...MAGIC_VARS,
      ...registered,
      ...facts,
      ...Object.keys(play.vars),
      ...play.varsFiles.flatMap((v) => Object.keys(v)),
      ...Object.keys(play.importVars),
    ]);
    checkHandlers(play, problems);
    forEachTask(play, (t, isHandler) => checkTask(t, playNames, problems, isHandler));
  }
  return problems;
}

/** Visit the include_tasks / include_role nodes, blocks included. */
function forEachInclude(nodes: Node[], fn: (n: IncludeNode) => void): void {
  for (const n of nodes) {
    if (n.kind === 'include') fn(n);
    else if (n.kind === 'block') forEachInclude([...n.block, ...n.rescue, ...n.always], fn);
  }
}

function forEachTask(play: Play, fn: (t: TaskNode, isHandler: boolean) => void): void {
  const visit = (nodes: Node[]): void => {
    for (const n of nodes) {
      if (n.kind === 'task') fn(n, false);
      else if (n.kind === 'block') {
        visit(n.block);
        visit(n.rescue);
        visit(n.always);
      }
    }
  };
  for (const s of play.sections) visit(s);
  for (const h of play.handlers) fn(h, true);
}

function checkHandlers(play: Play, problems: Problem[]): void {
  const names = new Set<string>();
  for (const h of play.handlers) for (const n of handlerNames(h)) names.add(n);
  forEachTask(play, (t) => {
    for (const n of t.notify) {
      if (names.has(n)) continue;
      const guess = didYouMean(n, names);
      problems.push(
        new Problem(`notify: no handler is named or listens to "${n}"`, {
          loc: t.loc,
          context: `task "${t.name}"`,
          key: 'notify',
          value: JSON.stringify(n),
          fix: guess !== undefined ? `did you mean "${guess}"?` : names.size ? `handlers of this play: ${[...names].join(', ')}` : 'add a handlers: section with a task of this name',
        }),
      );
    }
  });
}

function checkTask(t: TaskNode, playNames: ReadonlySet<string>, problems: Problem[], isHandler: boolean): void {
  const role = t.inherited.role;
  const local = new Set<string>([
    ...Object.keys(t.vars),
    ...t.inherited.blockVars.flatMap((v) => Object.keys(v)),
    ...(role ? [...Object.keys(role.defaults), ...Object.keys(role.vars), ...Object.keys(role.params)] : []),
  ]);
  if (t.loop !== undefined) {
    local.add(t.loopVar);
    if (t.indexVar) local.add(t.indexVar);
  }
  const isKnown = (n: string): boolean => local.has(n) || playNames.has(n) || isFactLike(n);
  const context = `${isHandler ? 'handler' : 'task'} "${t.name}"`;
  const report = (name: string, where: Loc | undefined, key: string, text: string): void => {
    const all = [...local, ...playNames].filter((x) => !MAGIC_VARS.includes(x));
    const guess = didYouMean(name, all);
    problems.push(
      new Problem(`undefined variable "${name}"`, {
        loc: where ?? t.loc,
        context,
        key,
        value: JSON.stringify(text),
        fix:
          guess !== undefined
            ? `did you mean "${guess}"?`
            : `define "${name}" in vars, vars_files, the inventory, a role's defaults, register/set_fact, or -e; or guard it: {{default ${name} "..."}} / when: ${name} is defined`,
      }),
    );
  };
  /** `owner[ownerKey]` is the string as loaded, so a problem can point inside it. */
  const checkString = (text: string, where: Loc | undefined, key: string, owner?: unknown, ownerKey?: string | number): void => {
    if (!text.includes('{{') && !JINJA_STATEMENT.test(text)) return;
    const at = (offset: number | undefined): Loc | undefined =>
      (offset !== undefined && owner !== undefined && ownerKey !== undefined ? locInScalar(owner, ownerKey, offset) : undefined) ?? where;
    const fault = jinjaFault(text);
    let refs;
    let helpers: { name: string; fix: string }[];
    try {
      if (fault) throw fault;
      refs = templateRefs(text);
      helpers = unknownHelpers(text);
    } catch (e) {
      const { message, fix, offset } = e instanceof TemplateFault ? e : explainParseError(e, text);
      problems.push(new Problem(message, { loc: at(offset) ?? t.loc, context, key, value: JSON.stringify(text), fix }));
      return;
    }
    for (const h of helpers) {
      problems.push(new Problem(`unknown template helper "${h.name}"`, { loc: at(nameOffset(text, h.name)) ?? t.loc, context, key, value: JSON.stringify(text), fix: h.fix }));
    }
    const helperNames = new Set(helpers.map((h) => h.name));
    const seen = new Set<string>();
    for (const r of refs) {
      if (r.guarded || helperNames.has(r.name) || isKnown(r.name) || seen.has(r.name)) continue;
      seen.add(r.name);
      report(r.name, at(nameOffset(text, r.name)), key, text);
    }
  };
  const walk = (value: unknown, owner: unknown, key: string | number, path: string): void => {
    if (typeof value === 'string') checkString(value, valueLocOf(owner, key), path, owner, key);
    else if (Array.isArray(value)) value.forEach((v, i) => walk(v, value, i, `${path}[${i}]`));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, value, k, `${path}.${k}`);
  };
  walk(t.args, { [t.module]: t.args }, t.module, t.module);
  walk(t.vars, { vars: t.vars }, 'vars', 'vars');
  if (typeof t.loop === 'string') checkString(t.loop, t.loc, 'loop');
  else if (Array.isArray(t.loop)) walk(t.loop, { loop: t.loop }, 'loop', 'loop');
  checkString(t.name, t.loc, 'name');
  const conds = (list: Cond[] | undefined, key: string): void => {
    for (const c of list ?? []) {
      if (typeof c.parsed === 'boolean') continue;
      for (const r of variableRefs(c.parsed)) if (!r.guarded && !isKnown(r.name)) report(r.name, c.loc, key, c.text);
    }
  };
  conds(t.inherited.when, 'when');
  conds(t.changedWhen, 'changed_when');
  conds(t.failedWhen, 'failed_when');
  conds(t.until, 'until');
  const args = t.args && typeof t.args === 'object' ? (t.args as Record<string, unknown>) : undefined;
  for (const name of args ? (moduleTraits(t.module).conditions ?? []) : []) {
    const that = args?.[name];
    const key = `${t.module}.${name}`;
    const list = Array.isArray(that) ? that : [that];
    list.forEach((text, i) => {
      if (typeof text !== 'string' || !args) return;
      const where = Array.isArray(that) ? valueLocOf(that, i) : valueLocOf(args, name);
      try {
        for (const r of variableRefs(parseCondition(text))) if (!r.guarded && !isKnown(r.name)) report(r.name, where, key, text);
      } catch (e) {
        if (!(e instanceof ConditionSyntaxError)) throw e;
        const exact = Array.isArray(that) ? locInScalar(that, i, e.offset) : locInScalar(args, name, e.offset);
        problems.push(new Problem(`${key}: ${e.reason}`, { loc: exact ?? where, context, key, value: JSON.stringify(text), fix: e.hint ?? 'see src/engine/expr/GRAMMAR.md' }));
      }
    });
  }
}

// ------------------------------------------------------------------ template syntax

const HANDLEBARS_SUMMARY = 'kiln templates are Handlebars: {{ var }}, {{default var "x"}}, {{#if var}}...{{/if}}, {{#each list}}{{this}}{{/each}}';

const JINJA_STATEMENT = /\{%[\s\S]*?%\}/;

class TemplateFault extends Error {
  constructor(
    message: string,
    readonly fix: string,
    /** Where in the template text the fault starts, when known. */
    readonly offset?: number,
  ) {
    super(message);
  }
}

/** Offset of `name` as a word inside the first {{ }} that mentions it. */
function nameOffset(text: string, name: string): number | undefined {
  const word = new RegExp(`(^|[^\\w.@])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`);
  for (const m of text.matchAll(/\{\{[^}]*\}\}/g)) {
    const inner = word.exec(m[0]);
    if (inner) return m.index + inner.index + (inner[1] ?? '').length;
  }
  return undefined;
}

/** Jinja2 habits (filters, {% %} statements) that Handlebars would reject with a parser error. */
function jinjaFault(text: string): TemplateFault | undefined {
  if (JINJA_STATEMENT.test(text)) {
    return new TemplateFault('template uses a Jinja2 statement ({% ... %})', 'kiln templates are Handlebars: write {{#if x}}...{{else}}...{{/if}} and {{#each list}}{{this}}{{/each}} instead of {% if %} and {% for %}');
  }
  const m = /\{\{(?![\s~]*[#^/!>])([^}|]*)\|([^}]*)\}\}/.exec(text);
  if (!m) return undefined;
  const subject = (m[1] ?? '').trim();
  const filter = (m[2] ?? '').trim();
  const call = /^([A-Za-z_]\w*)\s*(?:\((.*)\))?/.exec(filter);
  const name = call?.[1] ?? '';
  const args = (call?.[2] ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean)
    .map((a) => a.replace(/^'(.*)'$/, '"$1"'));
  const helper = name === 'd' ? 'default' : name;
  const fix = HELPER_NAMES.has(helper)
    ? `write {{${[helper, subject, ...args].join(' ')}}} (a helper call) instead of {{ ${subject} | ${filter} }}`
    : `Handlebars has no filters: use a helper, e.g. {{default x "y"}}; kiln's helpers: ${[...HELPER_NAMES].join(', ')}`;
  return new TemplateFault(`template uses the Jinja2 filter "| ${filter}"`, fix, m.index + m[0].indexOf('|'));
}

/** Handlebars' parse errors name grammar tokens; say which block is open or wrongly closed. */
function explainParseError(e: unknown, text: string): { message: string; fix: string; offset?: number } {
  const msg = e instanceof Error ? e.message : String(e);
  const mismatch = /^(\S+) doesn't match (\S+)/.exec(msg);
  if (mismatch) {
    const close = text.search(new RegExp(`\\{\\{~?\\s*/\\s*${mismatch[2]?.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    return { message: `template block {{#${mismatch[1]}}} is closed by {{/${mismatch[2]}}}`, fix: `close it with {{/${mismatch[1]}}}`, offset: close >= 0 ? close : undefined };
  }
  if (/got 'EOF'/.test(msg)) {
    const open = unclosedBlock(text);
    if (open) return { message: `template block {{#${open.name}}} is never closed`, fix: `add {{/${open.name}}} where the block ends`, offset: open.offset };
    return { message: 'template ends in the middle of a {{ }} expression', fix: 'close every {{ with }}' };
  }
  const lines = msg.split('\n');
  const snippet = lines[1];
  const caret = lines[2]?.indexOf('^') ?? -1;
  const near = snippet !== undefined && caret >= 0 ? ` near "${snippet.slice(Math.max(0, caret - 12), caret + 8).trim()}"` : '';
  return { message: `template syntax error${near}`, fix: HANDLEBARS_SUMMARY };
}

/** The innermost {{#block}} left open at the end of the text. */
function unclosedBlock(text: string): { name: string; offset: number } | undefined {
  const stack: { name: string; offset: number }[] = [];
  for (const m of text.matchAll(/\{\{~?\s*([#^/])\s*([^\s}~]+)/g)) {
    if (m[1] === '/') stack.pop();
    else if (m[1] === '#') stack.push({ name: m[2] as string, offset: m.index });
  }
  return stack[stack.length - 1];
}

type HbNode = hbs.AST.Node;

/** Calls like {{uppercase name}}: with arguments, the first word must be a helper. */
function unknownHelpers(text: string): { name: string; fix: string }[] {
  // Plain substitutions call no helper, and need no parser.
  if (simpleParts(text)) return [];
  const found = new Map<string, string>();
  const known = [...HELPER_NAMES];
  const call = (n: { path: hbs.AST.PathExpression | hbs.AST.Expression; params: hbs.AST.Expression[]; hash?: hbs.AST.Hash }): void => {
    const hasArgs = n.params.length > 0 || (n.hash?.pairs.length ?? 0) > 0;
    if (hasArgs && n.path.type === 'PathExpression') {
      const p = n.path as hbs.AST.PathExpression;
      if (!p.data && p.parts.length === 1 && !HELPER_NAMES.has(p.original) && !found.has(p.original)) {
        // {{uppercase x}} means upper: a known helper inside the name counts as well as a near spelling.
        const name = p.original;
        const guess = didYouMean(name, known);
        found.set(name, guess !== undefined ? `did you mean "${guess}"?` : `kiln's helpers: ${known.join(', ')}`);
      }
    }
    n.params.forEach(visit);
    for (const pair of n.hash?.pairs ?? []) visit(pair.value);
  };
  const visit = (node: HbNode | undefined): void => {
    if (!node) return;
    switch (node.type) {
      case 'Program':
        for (const s of (node as hbs.AST.Program).body) visit(s);
        return;
      case 'MustacheStatement':
      case 'SubExpression':
        call(node as hbs.AST.MustacheStatement);
        return;
      case 'BlockStatement': {
        const b = node as hbs.AST.BlockStatement;
        call(b);
        visit(b.program);
        visit(b.inverse);
        return;
      }
      default:
        return;
    }
  };
  visit(handlebars().parse(text));
  return [...found].map(([name, fix]) => ({ name, fix }));
}
