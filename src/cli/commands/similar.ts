/** `prodsim similar <id>`: similar products or in-stock substitutes, with explanations. */
import type { Command } from 'commander';
import { runTask } from '../../engine/task-registry.ts';
import { SIMILAR_MIN_SCORE } from '../../tasks/similar.ts';
import type { CliCommand } from '../context.ts';
import { withEngine } from '../engine-session.ts';
import { clip } from '../format.ts';
import { explanations, timingsLine, priceText, rankedTable } from '../task-output.ts';
import { addFilterOptions, filterFrom, parseInteger, parseNumber, type FilterCliOptions } from '../task-options.ts';
import { defined } from '../../defined.ts';
import { DEFAULT_K } from '../../tasks/result-item.ts';

interface SimilarCliOptions extends FilterCliOptions {
  k: string;
  substitutes?: boolean;
  profile?: string;
  explain: string;
  timings?: boolean;
  minScore?: string;
  model?: string;
}

export const similarCommand: CliCommand = {
  name: 'similar',
  register(program, ctx) {
    addFilterOptions(
      program
        .command('similar')
        .description('products similar to a stored product, each with a per-field explanation')
        .argument('<id>', 'product id')
        .option('-k, --k <n>', 'results', String(DEFAULT_K))
        .option('--substitutes', 'in-stock items of the same category that can replace this one')
        .option('--profile <name>', 'fusion profile: default, similarStyle, sameProduct'),
    )
      .option('--explain <n>', 'explain the first n results', '3')
      .option('--timings', 'milliseconds per stage (retrieval, representation, scoring…)')
      .option('--min-score <x>', `leave out items below this score (default ${SIMILAR_MIN_SCORE}, or the model's threshold)`)
      .option('--model <matcher.json>', 'a matcher trained with `prodsim train`: its probability ranks and decides')
      .action(async (id: string, o: SimilarCliOptions, command: Command) => {
        const json = ctx.globals(command).json;
        const input = defined({ id, k: parseInteger(o.k, '--k'), substitutes: o.substitutes, profile: o.profile, filter: filterFrom(o), timings: o.timings, minScore: parseNumber(o.minScore, '--min-score'), model: o.model });
        const result = await withEngine(ctx, command, (engine) => runTask(engine, 'similar', input));
        if (json) return ctx.outJson(result);
        const s = result.source;
        ctx.out(`${o.substitutes ? 'Substitutes' : 'Similar'} for ${s.id} ${clip(s.title, 60)} ${priceText(s)}${s.inStock === false ? ' (out of stock)' : ''}  [${result.scorer}, min score ${result.minScore}]`);
        if (result.noGoodMatch) {
          const best = result.bestScore === undefined ? 'nothing retrieved' : `best score ${result.bestScore.toFixed(3)}`;
          return ctx.out(`no good match: no item reaches ${result.minScore} (${best}; ${result.scorer})`);
        }
        ctx.out(rankedTable(result.items));
        const n = parseInteger(o.explain, '--explain') ?? 0;
        if (n > 0) ctx.out(`\n${explanations(result.items, n)}`);
        if (result.timings) ctx.out(`\n${timingsLine(result.timings)}`);
      });
  },
};
