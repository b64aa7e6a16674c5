/** `prodsim show <id>`: one stored product with what the store knows about it. */
import type { Command } from 'commander';
import { createError } from '../../errors.ts';
import { ANALYZED_FIELDS } from '../../store/index.ts';
import type { CliCommand } from '../context.ts';
import { clip, table } from '../format.ts';

export const showCommand: CliCommand = {
  name: 'show',
  register(program, ctx) {
    program
      .command('show')
      .description('show a stored product: fields, analysed tokens, vectors')
      .argument('<id>', 'product id')
      .action(async (id: string, _opts: unknown, command: Command) => {
        const globals = ctx.globals(command);
        const store = await ctx.openStore(command, { mustExist: true });
        try {
          const stored = await store.getProduct(id);
          if (!stored) throw createError('PRODUCT_NOT_FOUND', `no product with id "${id}" in ${globals.store}`, { field: 'id', received: id });
          const analyzed = await store.getAnalyzed(id);
          const vectors = await store.vectorEncodersOf(id);
          const result = {
            id,
            key: stored.key,
            contentHash: stored.contentHash,
            updatedAt: new Date(stored.updatedAt).toISOString(),
            product: stored.product,
            analyzed,
            vectors,
          };
          if (globals.json) {
            ctx.outJson(result);
            return;
          }
          const p = stored.product;
          const rows: (string | number)[][] = [
            ['id', p.id],
            ['title', p.title],
            ...(p.brand ? [['brand', p.brand]] : []),
            ...(p.category ? [['category', p.category]] : []),
            ...(p.price !== undefined ? [['price', `${p.price}${p.currency ? ` ${p.currency}` : ''}`]] : []),
            ...(p.inStock !== undefined ? [['in stock', p.inStock ? 'yes' : 'no']] : []),
            ...(p.tags.length ? [['tags', p.tags.join(', ')]] : []),
            ...Object.entries(p.attributes).map(([k, v]) => [`attribute ${k}`, v]),
            ...(p.images.length ? [['images', p.images.join('\n')]] : []),
            ...(p.description ? [['description', clip(p.description, 200)]] : []),
            ['key / hash / updated', `${stored.key} / ${stored.contentHash} / ${result.updatedAt}`],
            ['vectors', vectors.length ? vectors.join(', ') : '(none)'],
          ];
          ctx.out(table(undefined, rows));
          if (analyzed) {
            const tokenRows = ANALYZED_FIELDS.filter((f) => analyzed.tokens[f].length > 0).map((f) => [f, clip(analyzed.tokens[f].join(' '), 120)]);
            if (analyzed.modelNumbers.length) tokenRows.push(['model numbers', analyzed.modelNumbers.join(' ')]);
            if (analyzed.quantities.length) tokenRows.push(['quantities', analyzed.quantities.map((q) => `${q.value}${q.unit}`).join(' ')]);
            if (analyzed.sizes.length) tokenRows.push(['sizes', analyzed.sizes.join(' ')]);
            ctx.out(table(['analysed', 'tokens'], tokenRows));
          }
        } finally {
          await store.close();
        }
      });
  },
};
