/** `prodsim train <pairs>`: learn a matcher (features, classifier, threshold) from labelled pairs, through the `trainMatcher` task. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { runTask } from '../../engine/task-registry.ts';
import { createError } from '../../errors.ts';
import { saveMatcherModel, type ClassifierKind, type TrainingStage } from '../../learning/matcher.ts';
import { DEFAULT_VALID_SHARE } from '../../learning/pairs.ts';
import type { TrainMatcherTaskResult } from '../../tasks/matcher-training.ts';
import type { CliCommand } from '../context.ts';
import { formatNumber, table } from '../format.ts';
import { addPairInputOptions, DEFAULT_MATCHER_PATH, pairSelection, withPairEngine, type PairInputOptions } from './learning-input.ts';
import { defined } from '../../defined.ts';

interface TrainCliOptions extends PairInputOptions {
  valid?: string;
  validShare: string;
  classifier: ClassifierKind;
  model: string;
  profile?: string;
}

const STAGE_LABELS: Record<TrainingStage, string> = {
  'fit-features': 'fit features',
  'featurize-train': 'featurise train',
  'featurize-valid': 'featurise valid',
  'token-model': 'token model',
  logistic: 'logistic regression',
  gbdt: 'boosted trees',
  threshold: 'threshold',
};

export const trainCommand: CliCommand = {
  name: 'train',
  register(program, ctx) {
    addPairInputOptions(
      program
        .command('train')
        .description('learn a matcher from labelled pairs (CSV/JSONL/Ditto); the threshold maximises F1 on validation pairs')
        .argument('<pairs>', 'labelled training pairs'),
    )
      .option('--valid <pairs>', 'validation pairs (default: hold out --valid-share of the training pairs)')
      .option('--valid-share <share>', 'share of training pairs held out when --valid is not given', String(DEFAULT_VALID_SHARE))
      .addOption(new Option('--classifier <kind>', 'classifier').choices(['gbdt', 'logistic', 'ensemble']).default('gbdt'))
      .option('-m, --model <file>', 'where to save the model', DEFAULT_MATCHER_PATH)
      .option('--profile <file>', 'also learn the weights of the fusion profile the applications use (similar, match, dedup: --profile <file>) and write it as JSON')
      .action(async (file: string, opts: TrainCliOptions, command: Command) => {
        const share = Number(opts.validShare);
        if (!(share > 0 && share < 1)) throw createError('INVALID_ARGUMENT', `--valid-share must be in (0, 1), got "${opts.validShare}"`, { field: '--valid-share' });
        const bar = ctx.showProgress(command)
          ? new cliProgress.SingleBar(
              { stream: ctx.io.stderr, format: 'train [{bar}] {percentage}% | {stage}', fps: 5, hideCursor: true, clearOnComplete: true },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
        let current: string | undefined;
        const input = defined({ ...pairSelection(file, opts), valid: opts.valid, validShare: share, classifier: opts.classifier, fusionProfile: opts.profile !== undefined ? true : undefined });
        let result: TrainMatcherTaskResult;
        try {
          result = await withPairEngine(ctx, command, (engine) =>
            runTask(engine, 'trainMatcher', input, {
              onProgress: (done, total, stage) => {
                if (!bar || stage === undefined) return;
                const label = STAGE_LABELS[stage as TrainingStage] ?? stage;
                if (stage !== current) {
                  current = stage;
                  bar.stop();
                  bar.start(total, 0, { stage: label });
                }
                bar.update(done, { stage: label });
              },
            }),
          );
        } finally {
          bar?.stop();
        }
        mkdirSync(dirname(opts.model), { recursive: true });
        saveMatcherModel(result.model, opts.model);
        if (opts.profile && result.profile) writeFileSync(opts.profile, `${JSON.stringify({ ...result.profile, source: `prodsim train ${file}` }, null, 2)}\n`);
        const s = result.summary;
        const m = s.validMetrics;
        if (ctx.globals(command).json) {
          ctx.outJson({ model: opts.model, classifier: s.classifier, threshold: s.threshold, training: result.model.training, profile: opts.profile });
          return;
        }
        ctx.out(`Saved ${s.classifier} matcher to ${opts.model}${opts.profile ? ` and its fusion profile to ${opts.profile}` : ''}`);
        ctx.out(
          table(undefined, [
            ['training pairs', `${formatNumber(s.trainPairs)} (${formatNumber(result.model.training.trainPositives)} matches)`],
            ['validation pairs', formatNumber(s.validPairs)],
            ['features', s.features],
            ['threshold (max F1 on valid)', s.threshold.toFixed(3)],
            ...(m ? [['valid precision / recall / F1', `${(m.precision * 100).toFixed(1)} / ${(m.recall * 100).toFixed(1)} / ${(m.f1 * 100).toFixed(1)}`], ['valid PR-AUC', (m.prAuc * 100).toFixed(1)]] : []),
            ['training time', `${s.seconds.toFixed(1)} s`],
          ]),
        );
      });
  },
};
