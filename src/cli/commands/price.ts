/** `prodsim price <id>`: a price reference from the most similar products. */
import type { Command } from 'commander';
import { runTask } from '../../engine/task-registry.ts';
import type { CliCommand } from '../context.ts';
import { withEngine } from '../engine-session.ts';
import { clip, table } from '../format.ts';
import { rankedTable, priceText } from '../task-output.ts';
import { parseInteger } from '../task-options.ts';
import { defined } from '../../defined.ts';
import { DEFAULT_K } from '../../tasks/result-item.ts';

export const priceCommand: CliCommand = {
  name: 'price',
  register(program, ctx) {
    program
      .command('price')
      .description('price reference (weighted median and 10–90% band) from similar products')
      .argument('<id>', 'product id')
      .option('-k, --k <n>', 'neighbours', String(DEFAULT_K))
      .action(async (id: string, o: { k: string }, command: Command) => {
        const json = ctx.globals(command).json;
        const r = await withEngine(ctx, command, (engine) => runTask(engine, 'price', defined({ id, k: parseInteger(o.k, '--k') })));
        if (json) return ctx.outJson(r);
        ctx.out(`Price reference for ${r.product.id} ${clip(r.product.title, 60)} (its price: ${priceText(r.product) || 'none'})`);
        const f = (x: number | undefined) => (x === undefined ? '—' : `${x} ${r.currency}`);
        ctx.out(
          table(undefined, [
            ['median (similarity-weighted)', f(r.median)],
            ['typical band (p10–p90)', `${f(r.low)} – ${f(r.high)}`],
            ['min – max', `${f(r.min)} – ${f(r.max)}`],
            ['own price / median', r.ratioToMedian === undefined ? '—' : r.ratioToMedian.toFixed(2)],
            ['neighbours used', `${r.used} of ${r.neighbours.length}`],
          ]),
        );
        if (r.neighbours.length > 0) ctx.out(rankedTable(r.neighbours, `price in ${r.currency}`, (i) => (r.neighbours[i]!.convertedPrice === undefined ? '' : r.neighbours[i]!.convertedPrice.toFixed(2))));
      });
  },
};
