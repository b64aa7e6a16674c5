/** `prodsim train-ranker <judgments>`: learn a search ranker (LambdaMART) from graded judgments of stored products. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { runTask } from '../../engine/task-registry.ts';
import { createError } from '../../errors.ts';
import { saveRankerModel } from '../../learning/ranker.ts';
import type { CliCommand } from '../context.ts';
import { withEngine } from '../engine-session.ts';
import { table } from '../format.ts';
import { parseInteger, parseNumber } from '../task-options.ts';
import { defined } from '../../defined.ts';

interface TrainRankerCliOptions {
  output: string;
  queries?: string;
  irrelevantGrade?: string;
  negatives?: string;
  validationShare?: string;
}

export const DEFAULT_RANKER_PATH = 'ranker.json';

export const trainRankerCommand: CliCommand = {
  name: 'train-ranker',
  register(program, ctx) {
    program
      .command('train-ranker')
      .description('learn a search ranker (LambdaMART over query–product features) from graded judgments of stored products; use it with `search --ranker`')
      .argument('<judgments>', 'a `query,product_id,relevance` CSV, or TREC qrels (`qid 0 docid rel`) with --queries')
      .option('-o, --output <file>', 'where to save the ranker', DEFAULT_RANKER_PATH)
      .option('--queries <tsv>', 'with qrels: the `qid<TAB>query` file')
      .option('--irrelevant-grade <n>', 'the grade meaning irrelevant (CrowdFlower: 1); default 0')
      .option('--negatives <n|auto>', 'unjudged search candidates per query taken as irrelevant (default auto: 30 for queries judged at one grade only)')
      .option('--validation-share <share>', 'share of the queries held out for early stopping (default 0: a fixed 200 trees)')
      .action(async (file: string, o: TrainRankerCliOptions, command: Command) => {
        const negatives = o.negatives === undefined || o.negatives === 'auto' ? o.negatives : parseInteger(o.negatives, '--negatives');
        if (!o.output.endsWith('.json')) throw createError('INVALID_ARGUMENT', `--output must end in .json, got "${o.output}"`, { field: '--output' });
        const input = defined({ judgments: file, queries: o.queries, irrelevantGrade: parseNumber(o.irrelevantGrade, '--irrelevant-grade'), negatives, validationShare: parseNumber(o.validationShare, '--validation-share') });
        const result = await withEngine(ctx, command, (engine) => runTask(engine, 'trainRanker', input));
        mkdirSync(dirname(o.output), { recursive: true });
        saveRankerModel(result.model, o.output);
        const s = result.summary;
        if (ctx.globals(command).json) return ctx.outJson({ output: o.output, summary: s });
        const valid = s.training.validationNdcg === null ? 'no validation queries' : `validation nDCG@10 ${(100 * s.training.validationNdcg).toFixed(1)} on ${s.training.validationQueries} held-out queries`;
        ctx.out(`ranker → ${o.output}: ${s.queries} queries, ${s.examples} pairs (${s.negatives} unjudged candidates as irrelevant), ${s.training.trees} trees; ${valid}`);
        if (s.unknownProducts.length > 0) ctx.out(`${s.unknownProducts.length} judged products are not in the store and were skipped (${s.unknownProducts.slice(0, 5).join(', ')}${s.unknownProducts.length > 5 ? ', …' : ''})`);
        ctx.out(table(['feature', 'split gain'], s.importance.filter((f) => f.gain > 0).slice(0, 10).map((f) => [f.feature, f.gain.toFixed(2)])));
      });
  },
};
