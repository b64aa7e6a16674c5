/** `prodsim train <pairs>`: learn a matcher (features, classifier, threshold) from labelled pairs. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { createError } from '../../errors.ts';
import type { ClassifierKind, TrainingStage } from '../../learning/matcher.ts';
import type { CliCommand } from '../context.ts';
import { formatNumber, table } from '../format.ts';
import { DEFAULT_VALID_SHARE } from '../../learning/pairs.ts';
import { addPairInputOptions, DEFAULT_MATCHER_PATH, readPairFile, readTables, type PairInputOptions } from './learning-input.ts';

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
        const { trainMatcher, saveMatcherModel } = await import('../../learning/matcher.ts');
        const { trainingSplit } = await import('../../learning/pairs.ts');
        const { writeFileSync } = await import('node:fs');
        const globals = ctx.globals(command);
        const { tables, records } = await readTables(opts);
        const share = Number(opts.validShare);
        if (!(share > 0 && share < 1)) throw createError('INVALID_ARGUMENT', `--valid-share must be in (0, 1), got "${opts.validShare}"`, { field: '--valid-share' });
        const { train, valid } = trainingSplit(readPairFile(file, tables, opts), { validShare: share, ...(opts.valid ? { valid: readPairFile(opts.valid, tables, opts) } : {}) });
        const bar = ctx.showProgress(command)
          ? new cliProgress.SingleBar(
              { stream: ctx.io.stderr, format: 'train [{bar}] {percentage}% | {stage}', fps: 5, hideCursor: true, clearOnComplete: true },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
        let current: TrainingStage | undefined;
        try {
          const matcher = trainMatcher(train, valid, {
            classifier: opts.classifier,
            records,
            onProgress: (stage, done, total) => {
              if (!bar) return;
              if (stage !== current) {
                current = stage;
                bar.stop();
                bar.start(total, 0, { stage: STAGE_LABELS[stage] });
              }
              bar.update(done, { stage: STAGE_LABELS[stage] });
            },
          });
          bar?.stop();
          mkdirSync(dirname(opts.model), { recursive: true });
          saveMatcherModel(matcher.model, opts.model);
          if (opts.profile) {
            const { learnFusionProfile } = await import('../../learning/fusion-learning.ts');
            // The records come from productToPairRecord (see learning-input.ts), so these keys exist.
            const learned = learnFusionProfile(train, valid, { name: `learned:${file}`, mapping: { title: 'title', description: 'description', brand: 'brand', price: 'price' } });
            writeFileSync(opts.profile, `${JSON.stringify({ ...learned.profile, threshold: learned.threshold, source: `prodsim train ${file}` }, null, 2)}\n`);
          }
          const m = matcher.model.training.validMetrics;
          if (globals.json) {
            ctx.outJson({ model: opts.model, classifier: matcher.model.classifier, threshold: matcher.model.threshold, training: matcher.model.training, profile: opts.profile });
            return;
          }
          ctx.out(`Saved ${opts.classifier} matcher to ${opts.model}${opts.profile ? ` and its fusion profile to ${opts.profile}` : ''}`);
          ctx.out(
            table(undefined, [
              ['training pairs', `${formatNumber(train.length)} (${formatNumber(matcher.model.training.trainPositives)} matches)`],
              ['validation pairs', formatNumber(valid.length)],
              ['features', matcher.model.featureNames.length],
              ['threshold (max F1 on valid)', matcher.model.threshold.toFixed(3)],
              ...(m ? [['valid precision / recall / F1', `${(m.precision * 100).toFixed(1)} / ${(m.recall * 100).toFixed(1)} / ${(m.f1 * 100).toFixed(1)}`], ['valid PR-AUC', (m.prAuc * 100).toFixed(1)]] : []),
              ['training time', `${matcher.model.training.seconds.toFixed(1)} s`],
            ]),
          );
        } finally {
          bar?.stop();
        }
      });
  },
};
