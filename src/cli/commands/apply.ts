/** `prodsim apply <pairs>`: score pairs with a trained matcher and decide each one (the `applyMatcher` task). */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { runTask } from '../../engine/task-registry.ts';
import type { CliCommand } from '../context.ts';
import { formatNumber, table } from '../format.ts';
import { parseNumber } from '../task-options.ts';
import { addPairInputOptions, DEFAULT_MATCHER_PATH, pairSelection, withPairEngine, type PairInputOptions } from './learning-input.ts';
import { defined } from '../../defined.ts';

interface ApplyCliOptions extends PairInputOptions {
  model: string;
  threshold?: string;
  output?: string;
  limit: string;
}

export const applyCommand: CliCommand = {
  name: 'apply',
  register(program, ctx) {
    addPairInputOptions(
      program
        .command('apply')
        .description('score pairs with a trained matcher: match probability and decision per pair')
        .argument('<pairs>', 'pairs to score (labels optional)'),
    )
      .option('-m, --model <file>', 'matcher model from `prodsim train`', DEFAULT_MATCHER_PATH)
      .option('--threshold <p>', "decision threshold (default: the model's)")
      .option('-o, --output <file>', 'write all decisions as CSV (left_id,right_id,probability,match)')
      .option('--limit <n>', 'rows shown on the terminal', '20')
      .action(async (file: string, opts: ApplyCliOptions, command: Command) => {
        const input = defined({ ...pairSelection(file, opts), model: opts.model, threshold: parseNumber(opts.threshold, '--threshold') });
        const result = await withPairEngine(ctx, command, (engine) => runTask(engine, 'applyMatcher', input));
        const applied = result.results;
        if (opts.output) {
          const lines = ['left_id,right_id,probability,match', ...applied.map((a, i) => `${a.leftId ?? `L${i + 1}`},${a.rightId ?? `R${i + 1}`},${a.probability.toFixed(6)},${a.match ? 1 : 0}`)];
          writeFileSync(opts.output, `${lines.join('\n')}\n`);
        }
        if (ctx.globals(command).json) {
          ctx.outJson({ threshold: result.threshold, pairs: result.pairs, matches: result.matches, results: applied });
          return;
        }
        const limit = Number(opts.limit) || 20;
        ctx.out(
          table(
            ['#', 'left', 'right', 'probability', 'match'],
            applied.slice(0, limit).map((a, i) => [i + 1, a.leftId ?? '', a.rightId ?? '', a.probability.toFixed(3), a.match ? 'yes' : 'no']),
          ),
        );
        ctx.out(`${formatNumber(result.matches)} of ${formatNumber(result.pairs)} pairs match at threshold ${result.threshold.toFixed(3)}${opts.output ? `; all written to ${opts.output}` : ''}`);
      });
  },
};
