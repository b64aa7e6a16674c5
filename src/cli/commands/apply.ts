/** `prodsim apply <pairs>`: score pairs with a trained matcher and decide each one. */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createError } from '../../errors.ts';
import type { CliCommand } from '../context.ts';
import { formatNumber, table } from '../format.ts';
import { addPairInputOptions, DEFAULT_MATCHER_PATH, readPairFile, readTables, type PairInputOptions } from './learning-input.ts';

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
        const { loadMatcherModel, matcherFromModel, applyMatcher } = await import('../../learning/matcher.ts');
        const matcher = matcherFromModel(loadMatcherModel(opts.model));
        const threshold = opts.threshold === undefined ? matcher.model.threshold : Number(opts.threshold);
        if (!(threshold >= 0 && threshold <= 1)) throw createError('INVALID_ARGUMENT', `--threshold must be in [0, 1], got "${opts.threshold}"`, { field: '--threshold' });
        const { tables } = await readTables(opts);
        const pairs = readPairFile(file, tables, opts);
        const applied = applyMatcher(matcher, pairs, threshold);
        if (opts.output) {
          const lines = ['left_id,right_id,probability,match', ...applied.map((a, i) => `${a.leftId ?? `L${i + 1}`},${a.rightId ?? `R${i + 1}`},${a.probability.toFixed(6)},${a.match ? 1 : 0}`)];
          writeFileSync(opts.output, `${lines.join('\n')}\n`);
        }
        if (ctx.globals(command).json) {
          ctx.outJson({ threshold, pairs: applied.length, matches: applied.filter((a) => a.match).length, results: applied });
          return;
        }
        const limit = Number(opts.limit) || 20;
        ctx.out(
          table(
            ['#', 'left', 'right', 'probability', 'match'],
            applied.slice(0, limit).map((a, i) => [i + 1, a.leftId ?? '', a.rightId ?? '', a.probability.toFixed(3), a.match ? 'yes' : 'no']),
          ),
        );
        ctx.out(`${formatNumber(applied.filter((a) => a.match).length)} of ${formatNumber(applied.length)} pairs match at threshold ${threshold.toFixed(3)}${opts.output ? `; all written to ${opts.output}` : ''}`);
      });
  },
};
