// template: render a Handlebars file on the controller, then behave exactly like copy.
import { posix } from 'node:path';
import type { Module } from '../engine/module.js';
import { applyCopy, type CopyDo, copyQuery, type CopyOptions, type CopyState, planCopy, readControllerFile, readCopy } from './copy.js';

/** template's arguments: copy's options plus the template. */
export interface TemplateArgs extends CopyOptions {
  /** The template, looked up under templates/. */
  src: string;
}

/** The template module. */
export const template: Module<TemplateArgs, CopyState, CopyDo> = {
  name: 'template',

  query(args) {
    return typeof args.dest === 'string' && typeof args.src === 'string' ? copyQuery(args.dest, posix.basename(args.src)) : undefined;
  },

  /** Rendering happens here: it is controller-side and changes nothing, so check mode sees the real content. */
  async read(ctx, args) {
    const { path, bytes, vaulted } = readControllerFile(ctx, 'templates', args.src);
    const text = ctx.render(bytes.toString('utf8'), path);
    return readCopy(ctx, args, { bytes: Buffer.from(text, 'utf8'), name: posix.basename(args.src), label: args.src, secret: vaulted });
  },

  plan: planCopy,
  apply: applyCopy,
};

export default template;
