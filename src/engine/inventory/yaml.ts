// Ansible's YAML inventory format: groups with hosts (name → vars), vars and children (name → group).
import { Problem, ValidationError } from '../errors.js';
import { keyLocOf, locOf } from '../load/locations.js';
import type { LoadedYaml } from '../load/yaml.js';
import { schemaJson } from '../schema/registry.js';
import { validateAgainst } from '../schema/validate.js';
import { connectionVarNames } from './connection_vars.js';
import { parseHostEntry } from './ranges.js';
import { addChildGroup, addHostToGroup, assignVars, ensureGroup, GROUP_NAME, type Inventory } from './types.js';

const SCHEMA = 'inventory.schema.json';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True when a parsed file has the shape of a YAML inventory (a mapping of groups), used to tell it from INI. */
export function looksLikeYamlInventory(value: unknown): boolean {
  return isObj(value) && Object.keys(value).length > 0;
}

/** Add a parsed YAML inventory to `inv`; throws ValidationError with file:line:col for every problem. */
export function addYamlInventory(inv: Inventory, loaded: LoadedYaml): void {
  const { value, file } = loaded;
  if (value === null) return;
  if (!isObj(value)) {
    throw new ValidationError(
      new Problem('a YAML inventory must be a mapping of group names to groups', {
        loc: locOf(value) ?? { file, line: 1, col: 1 },
        value: Array.isArray(value) ? 'a list' : JSON.stringify(value),
        fix: 'start with "all:" and put "hosts:", "vars:" and "children:" under it',
      }),
    );
  }
  const problems = [...groupNameProblems(value, []), ...schemaProblems(value)];
  if (problems.length) throw new ValidationError(problems);
  for (const name of Object.keys(value)) addGroup(inv, name, value[name], name, problems);
  if (problems.length) throw new ValidationError(problems);
}

// The schema's propertyNames check can only point at the parent mapping; these point at the bad key itself.
function groupNameProblems(groups: Obj, path: string[]): Problem[] {
  const out: Problem[] = [];
  for (const name of Object.keys(groups)) {
    const key = [...path, name].join('.');
    if (!GROUP_NAME.test(name)) {
      out.push(
        new Problem(`"${name}" is not a valid group name`, {
          loc: keyLocOf(groups, name) ?? locOf(groups),
          key,
          value: JSON.stringify(name),
          fix: 'group names start with a letter or "_" and contain only letters, digits, "_" and "-" (no spaces or dots)',
        }),
      );
    }
    const def = groups[name];
    if (isObj(def) && isObj(def['children'])) out.push(...groupNameProblems(def['children'], [...path, name, 'children']));
  }
  return out;
}

let nameFix: string | undefined;

function schemaProblems(value: Obj): Problem[] {
  nameFix ??= String((schemaJson(SCHEMA)['propertyNames'] as Obj | undefined)?.['x-fix'] ?? '');
  // Drop the schema's own group-name messages: groupNameProblems reports those with a precise position.
  return validateAgainst(SCHEMA, value).filter((p) => p.init.fix !== nameFix);
}

function addGroup(inv: Inventory, name: string, def: unknown, path: string, problems: Problem[]): void {
  const group = ensureGroup(inv, name);
  if (!isObj(def)) return;
  const hosts = def['hosts'];
  if (isObj(hosts)) {
    for (const entry of Object.keys(hosts)) {
      const vars = hosts[entry];
      try {
        const parsed = parseHostEntry(entry, { loc: keyLocOf(hosts, entry), key: `${path}.hosts.${entry}` });
        for (const hostName of parsed.names) {
          addHostToGroup(inv, name, hostName);
          const host = inv.hosts.get(hostName);
          if (!host) continue;
          assignVars(host.vars, isObj(vars) ? vars : null);
          // host:port sets the port unless the host's own variables name one explicitly.
          const explicitPort = isObj(vars) && connectionVarNames('kiln_port').some((k) => Object.hasOwn(vars, k));
          if (parsed.port !== undefined && !explicitPort) host.vars['kiln_port'] = parsed.port;
        }
      } catch (e) {
        if (!(e instanceof ValidationError)) throw e;
        problems.push(...e.problems);
      }
    }
  }
  if (isObj(def['vars'])) assignVars(group.vars, def['vars']);
  const children = def['children'];
  if (isObj(children)) {
    for (const child of Object.keys(children)) {
      addChildGroup(inv, name, child, keyLocOf(children, child));
      addGroup(inv, child, children[child], `${path}.children.${child}`, problems);
    }
  }
}
