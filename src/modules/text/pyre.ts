// Python regular expressions (what Ansible users write in regexp:, insertafter:, ...) as JavaScript
// ones, over "byte strings": text decoded as latin1, one char per byte, the way Ansible's
// lineinfile and blockinfile match bytes. \w, \d, \s and \b then mean what Python's bytes patterns
// mean (ASCII), and `$`, `^` and `.` are spelt out so they treat \r and a final \n as Python does.
import { ModuleError } from '../../engine/errors.js';

/** UTF-8 text as a byte string (one char per byte). */
export function toBytes(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** A byte string back to UTF-8 text (for diffs and messages). */
export function fromBytes(bytes: string): string {
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** A compiled Python pattern: the JavaScript RegExp, and whether it had (?m). */
export interface PyRegex {
  re: RegExp;
  multiline: boolean;
  source: string;
}

const FIX = 'kiln reads Python regular expressions, as Ansible does, except scoped flags (?i:...), verbose (?x), possessive quantifiers, atomic groups and conditionals';

/**
 * Compile a Python regular expression (given as UTF-8 text) for byte-string matching. `what` names
 * the argument in errors ("regexp").
 */
export function pyRegex(pattern: string, what: string): PyRegex {
  let src = toBytes(pattern);
  let ignoreCase = false;
  let multiline = false;
  let dotAll = false;
  // Global inline flags: Python allows them only at the start.
  for (;;) {
    const m = /^\(\?([aiLmsux]+)\)/.exec(src);
    if (!m) break;
    const flags = m[1] as string;
    if (flags.includes('x')) throw new ModuleError(`${what} ${JSON.stringify(pattern)} uses verbose mode (?x), which kiln does not support; write the pattern without it`);
    ignoreCase ||= flags.includes('i');
    multiline ||= flags.includes('m');
    dotAll ||= flags.includes('s');
    src = src.slice(m[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) throw new ModuleError(`${what} ${JSON.stringify(pattern)} ends with a lone backslash; escape it as \\\\`);
      i++;
      if (!inClass && n === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && n === 'Z') out += '(?![\\s\\S])';
      else if (!inClass && n === 's') out += '[\\t\\n\\v\\f\\r ]';
      else if (!inClass && n === 'S') out += '[^\\t\\n\\v\\f\\r ]';
      else if (inClass && n === 's') out += '\\t\\n\\v\\f\\r ';
      else out += `\\${n}`;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // Python takes a ']' right after '[' or '[^' as a literal; JavaScript as the end.
      if (src[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (src[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && src[i + 1] === '?') {
      const rest = src.slice(i);
      const named = /^\(\?P<([A-Za-z_]\w*)>/.exec(rest);
      const ref = /^\(\?P=([A-Za-z_]\w*)\)/.exec(rest);
      const comment = /^\(\?#[^)]*\)/.exec(rest);
      if (named) {
        out += `(?<${named[1]}>`;
        i += named[0].length - 1;
        continue;
      }
      if (ref) {
        out += `\\k<${ref[1]}>`;
        i += ref[0].length - 1;
        continue;
      }
      if (comment) {
        i += comment[0].length - 1;
        continue;
      }
      if (/^\(\?[aiLmsux-]+[:)]/.test(rest)) throw new ModuleError(`${what} ${JSON.stringify(pattern)} has inline flags inside the pattern; ${FIX}. Put global flags like (?i) at the very start`);
      out += c;
      continue;
    }
    if (c === '$') out += multiline ? '(?=\\n|(?![\\s\\S]))' : '(?=\\n?(?![\\s\\S]))';
    else if (c === '^') out += multiline ? '(?<![^\\n])' : '^';
    else if (c === '.') out += dotAll ? '[\\s\\S]' : '[^\\n]';
    else out += c;
  }
  let re: RegExp;
  try {
    re = new RegExp(out, ignoreCase ? 'i' : '');
  } catch (e) {
    throw new ModuleError(`${what} ${JSON.stringify(pattern)} is not a regular expression kiln can use (${(e as Error).message}); ${FIX}`);
  }
  return { re, multiline, source: pattern };
}

const TEMPLATE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };

/**
 * Python's match.expand(template) on byte strings: \1..\99, \g<1>, \g<name>, \n and the other
 * escapes; a group that did not take part gives ''. Throws ModuleError for an unknown group.
 */
export function pyExpand(template: string, m: RegExpExecArray, what: string): string {
  const group = (key: string): string => {
    if (/^\d+$/.test(key)) {
      const n = Number(key);
      if (n >= m.length) throw new ModuleError(`${what} refers to group ${key}, but the regexp has ${m.length - 1} group(s)`);
      return m[n] ?? '';
    }
    if (!m.groups || !(key in m.groups)) throw new ModuleError(`${what} refers to group <${key}>, which the regexp does not name`);
    return m.groups[key] ?? '';
  };
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = template[i + 1];
    if (n === undefined) throw new ModuleError(`${what} ends with a lone backslash; write \\\\ for one backslash`);
    if (n === 'g') {
      const g = /^<([^>]+)>/.exec(template.slice(i + 2));
      if (!g) throw new ModuleError(`${what} has \\g without <group>; write \\g<1> or \\g<name>`);
      out += group(g[1] as string);
      i += 2 + g[0].length - 1;
    } else if (/[0-7]/.test(n) && /^[0-7]{3}/.test(template.slice(i + 1))) {
      out += String.fromCharCode(Number.parseInt(template.slice(i + 1, i + 4), 8) & 0xff);
      i += 3;
    } else if (n === '0') {
      const o = /^0[0-7]{0,2}/.exec(template.slice(i + 1))?.[0] ?? '0';
      out += String.fromCharCode(Number.parseInt(o, 8));
      i += o.length;
    } else if (/\d/.test(n)) {
      const d = /^\d{1,2}/.exec(template.slice(i + 1))?.[0] as string;
      out += group(d);
      i += d.length;
    } else if (TEMPLATE_ESCAPES[n] !== undefined) {
      out += TEMPLATE_ESCAPES[n];
      i++;
    } else if (/[A-Za-z]/.test(n)) {
      throw new ModuleError(`${what} has the unknown escape \\${n}; write \\\\${n} for a backslash followed by ${n}`);
    } else {
      out += `\\${n}`;
      i++;
    }
  }
  return out;
}
