/** `prodsim eval <pairs>`: evaluate a trained matcher on labelled pairs (the `evalMatcher` task) and write a report with plots. */
import type { Command } from 'commander';
import { runTask } from '../../engine/task-registry.ts';
import { evaluatePairs, writeEvalReport } from '../../learning/eval-report.ts';
import type { CliCommand } from '../context.ts';
import { table } from '../format.ts';
import { addPairInputOptions, DEFAULT_MATCHER_PATH, pairSelection, withPairEngine, type PairInputOptions } from './learning-input.ts';

interface EvalCliOptions extends PairInputOptions {
  model: string;
  out: string;
  title?: string;
}

export const evalCommand: CliCommand = {
  name: 'eval',
  register(program, ctx) {
    addPairInputOptions(
      program
        .command('eval')
        .description('precision, recall, F1, PR-AUC of a matcher on labelled pairs; writes a Markdown report with SVG plots')
        .argument('<pairs>', 'labelled pairs'),
    )
      .option('-m, --model <file>', 'matcher model from `prodsim train`', DEFAULT_MATCHER_PATH)
      .option('--out <dir>', 'report folder (eval.md, eval-pr.svg, eval-scores.svg)', './prodsim-eval')
      .option('--title <text>', 'report title')
      .action(async (file: string, opts: EvalCliOptions, command: Command) => {
        const result = await withPairEngine(ctx, command, (engine) => runTask(engine, 'evalMatcher', { ...pairSelection(file, opts), model: opts.model }));
        if (result.pairsSeenInTraining > 0) {
          ctx.err(`warning: ${result.pairsSeenInTraining} of ${result.pairs} pairs were in the model's training or validation pairs; the figures overstate how it does on pairs it has not seen`);
        }
        const evaluation = evaluatePairs(result.scores, result.labels, result.threshold);
        const paths = writeEvalReport(evaluation, opts.out, { title: opts.title ?? `Evaluation on ${file}`, name: `prodsim ${result.classifier}` });
        const pct = (v: number) => (v * 100).toFixed(1);
        if (ctx.globals(command).json) {
          const { scores: _s, labels: _l, ...summary } = result;
          ctx.outJson({ ...summary, report: paths });
          return;
        }
        ctx.out(
          table(
            ['pairs', 'matches', 'threshold', 'precision', 'recall', 'F1', 'PR-AUC', 'ECE'],
            [[result.pairs, result.positives, result.threshold.toFixed(3), pct(result.precision), pct(result.recall), pct(result.f1), pct(result.prAuc), result.reliability.ece.toFixed(3)]],
          ),
        );
        ctx.out(`Report: ${paths.join(', ')}`);
      });
  },
};
