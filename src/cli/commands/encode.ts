/** `prodsim encode --text "…"`: how a text is analysed and encoded, and what lies nearest to it. */
import type { Command } from 'commander';
import { runTask } from '../../engine/task-registry.ts';
import { createError } from '../../errors.ts';
import type { CliCommand } from '../context.ts';
import { withEngine } from '../engine-session.ts';
import { clip, table } from '../format.ts';
import { parseInteger } from '../task-options.ts';
import { defined } from '../../defined.ts';
import { DEFAULT_K } from '../../tasks/result-item.ts';

export const encodeCommand: CliCommand = {
  name: 'encode',
  register(program, ctx) {
    program
      .command('encode')
      .description("inspect a text's vector: tokens and their weights, nearest words and products")
      .requiredOption('--text <text>', 'text to encode')
      .option('-k, --k <n>', 'neighbours', String(DEFAULT_K))
      .action(async (o: { text: string; k: string }, command: Command) => {
        if (o.text.trim() === '') throw createError('INVALID_ARGUMENT', '--text is empty', { field: '--text' });
        const json = ctx.globals(command).json;
        const r = await withEngine(ctx, command, (e) => runTask(e, 'encode', defined({ text: o.text, k: parseInteger(o.k, '--k') })), { mustExist: false });
        if (json) return ctx.outJson(r);
        ctx.out(`"${r.text}" → ${r.dimension}-d vector, norm ${r.norm.toFixed(3)}  (${clip(r.encoderId, 70)})`);
        ctx.out(table(['token', 'SIF weight', 'has vector'], r.tokens.map((t) => [t.token, t.weight === undefined ? '' : t.weight.toFixed(3), t.hasVector === undefined ? '' : t.hasVector ? 'yes' : 'no'])));
        if (r.nearestWords.length) ctx.out(`nearest words: ${r.nearestWords.map((w) => `${w.word} (${w.similarity.toFixed(2)})`).join(', ')}`);
        if (r.nearestProducts.length) ctx.out(table(['id', 'title', 'cosine'], r.nearestProducts.map((p) => [p.product.id, clip(p.product.title, 60), p.similarity.toFixed(3)])));
      });
  },
};
