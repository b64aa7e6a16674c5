/** `prodsim eval <pairs>`: evaluate a trained matcher on labelled pairs and write a report with plots. */
import type { Command } from 'commander';
import { createError } from '../../errors.ts';
import type { CliCommand } from '../context.ts';
import { table } from '../format.ts';
import { addPairInputOptions, DEFAULT_MATCHER_PATH, readPairFile, readTables, type PairInputOptions } from './learning-input.ts';

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
        const { loadMatcherModel, matcherFromModel, pairsSeenInTraining } = await import('../../learning/matcher.ts');
        const { evaluatePairs, writeEvalReport } = await import('../../learning/eval-report.ts');
        const matcher = matcherFromModel(loadMatcherModel(opts.model));
        const { tables } = await readTables(opts);
        const pairs = readPairFile(file, tables, opts);
        const unlabelled = pairs.findIndex((p) => p.label === undefined);
        if (unlabelled >= 0) throw createError('INVALID_ARGUMENT', `pair ${unlabelled + 1} has no label: eval needs labelled pairs`, { file, field: 'label' });
        const seen = pairsSeenInTraining(matcher.model, pairs);
        if (seen > 0) {
          ctx.err(`warning: ${seen} of ${pairs.length} pairs were in the model's training or validation pairs; the figures overstate how it does on pairs it has not seen`);
        }
        const evaluation = evaluatePairs(matcher.score(pairs), pairs.map((p) => p.label!), matcher.model.threshold);
        const paths = writeEvalReport(evaluation, opts.out, { title: opts.title ?? `Evaluation on ${file}`, name: `prodsim ${matcher.model.classifier}` });
        const pct = (v: number) => (v * 100).toFixed(1);
        if (ctx.globals(command).json) {
          const { curve: _c, scores: _s, labels: _l, ...summary } = evaluation;
          ctx.outJson({ ...summary, pairsSeenInTraining: seen, report: paths });
          return;
        }
        ctx.out(
          table(
            ['pairs', 'matches', 'threshold', 'precision', 'recall', 'F1', 'PR-AUC', 'ECE'],
            [[evaluation.pairs, evaluation.positives, evaluation.threshold.toFixed(3), pct(evaluation.precision), pct(evaluation.recall), pct(evaluation.f1), pct(evaluation.prAuc), evaluation.reliability.ece.toFixed(3)]],
          ),
        );
        ctx.out(`Report: ${paths.join(', ')}`);
      });
  },
};
