// kiln role init NAME: a complete role skeleton that passes `kiln validate` as generated.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT } from '../engine/exit_codes.js';
import { UsageError } from '../engine/errors.js';

const SCHEMA = (name: string): string => `# yaml-language-server: $schema=../../../dist/schemas/${name}.schema.json\n`;

function files(name: string): Record<string, string> {
  return {
    'README.md': `# ${name}\n\nWhat this role does, in one paragraph.\n\n## Parameters\n\nSee \`meta/argument_specs.yml\`; \`kiln validate\` checks callers against it.\n\n| name | type | default | description |\n| --- | --- | --- | --- |\n| ${name}_enabled | bool | true | Turn the role off without removing it. |\n| ${name}_config_dir | path | /etc/${name} | Where the configuration goes. |\n\n## Try it\n\n    kiln validate roles/${name}\n    kiln play roles/${name}/tests/test.yml --check --diff\n`,
    'tasks/main.yml': `${SCHEMA('tasks')}---\n- name: create the configuration folder\n  file:\n    path: "{{ ${name}_config_dir }}"\n    state: directory\n    mode: "0755"\n  when: ${name}_enabled\n`,
    'handlers/main.yml': `${SCHEMA('handlers')}---\n- name: ${name} changed\n  debug:\n    msg: "${name} configuration changed"\n`,
    'defaults/main.yml': `${SCHEMA('vars')}---\n${name}_enabled: true\n${name}_config_dir: /etc/${name}\n`,
    'vars/main.yml': `${SCHEMA('vars')}---\n{}\n`,
    'meta/main.yml': `${SCHEMA('role_meta')}---\ngalaxy_info:\n  role_name: ${name}\n  description: TODO describe ${name}\ndependencies: []\n`,
    'meta/argument_specs.yml': `${SCHEMA('argument_specs')}---\nargument_specs:\n  main:\n    short_description: TODO describe ${name}\n    options:\n      ${name}_enabled:\n        type: bool\n        default: true\n        description: Turn the role off without removing it.\n      ${name}_config_dir:\n        type: path\n        default: /etc/${name}\n        description: Where the configuration goes.\n`,
    'templates/.gitkeep': '',
    'files/.gitkeep': '',
    'tests/inventory': 'localhost kiln_connection=local\n',
    'tests/test.yml': `${SCHEMA('playbook')}---\n- name: test ${name}\n  hosts: localhost\n  gather_facts: false\n  roles:\n    - role: ${name}\n`,
  };
}

/** Create roles/NAME with every folder; refuses to overwrite an existing role. */
export function roleInitCommand(name: string, base: string): number {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new UsageError(`role name ${JSON.stringify(name)}: use lower-case letters, digits and _ (it becomes a variable prefix)`);
  const dir = join(base, name);
  if (existsSync(dir)) throw new UsageError(`${dir} already exists; kiln role init never overwrites`);
  for (const [rel, text] of Object.entries(files(name))) {
    const p = join(dir, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, text);
  }
  process.stdout.write(`created role ${name} in ${dir}\n`);
  return EXIT.OK;
}
