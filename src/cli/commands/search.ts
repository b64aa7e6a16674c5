/** `prodsim search "<query>"`: hybrid search (BM25 + dense + model numbers), reranked. */
import type { Command } from 'commander';
import { runTask } from '../../engine/task-registry.ts';
import type { CliCommand } from '../context.ts';
import { withEngine } from '../engine-session.ts';
import { explanations, rankerExplanations, timingsLine, rankedTable } from '../task-output.ts';
import { addFilterOptions, filterFrom, parseInteger, type FilterCliOptions } from '../task-options.ts';
import { defined } from '../../defined.ts';
import { DEFAULT_K } from '../../tasks/result-item.ts';

interface SearchCliOptions extends FilterCliOptions {
  k: string;
  fusion?: string;
  rerank?: string;
  ranker?: string;
  explain: string;
  timings?: boolean;
}

export const searchCommand: CliCommand = {
  name: 'search',
  register(program, ctx) {
    addFilterOptions(
      program
        .command('search')
        .description('search products in Chinese or English: keywords + meaning + model numbers')
        .argument('<query>', 'what to look for')
        .option('-k, --k <n>', 'results', String(DEFAULT_K))
        .option('--fusion <rrf|weighted>', 'how the retrievers are fused')
        .option('--rerank <none|fields|cross-encoder>', 'reranker of the fused candidates (default fields)')
        .option('--ranker <file>', 'rerank with a learned ranker from `prodsim train-ranker` (instead of --rerank)'),
    )
      .option('--explain <n>', 'explain the first n results', '0')
      .option('--timings', 'milliseconds per stage (retrieval, representation, scoring…)')
      .action(async (query: string, o: SearchCliOptions, command: Command) => {
        const json = ctx.globals(command).json;
        const input = defined({ query, k: parseInteger(o.k, '--k'), fusion: o.fusion, rerank: o.rerank, ranker: o.ranker, filter: filterFrom(o), timings: o.timings });
        const result = await withEngine(ctx, command, (engine) => runTask(engine, 'search', input));
        if (json) return ctx.outJson(result);
        const codes = result.analyzed.modelNumbers.length ? `  model numbers: ${result.analyzed.modelNumbers.join(', ')}` : '';
        ctx.out(`"${result.query}" → tokens: ${result.analyzed.tokens.join(' ')}${codes}  [${result.fusion}, rerank ${result.rerank}]`);
        if (result.hits.length === 0) return ctx.out('no results');
        const via = (i: number) => {
          const s = result.hits[i]!.sources;
          return [s.keywordRank ? `bm25 #${s.keywordRank}` : '', s.characterRank ? `chars #${s.characterRank}` : '', s.denseRank ? `dense #${s.denseRank}` : '', s.modelNumber ? `code ${s.modelNumber.code}${s.modelNumber.edits ? ' (1 edit)' : ''}` : '']
            .filter(Boolean)
            .join(', ');
        };
        if (result.noGoodMatch) {
          ctx.out(`no good match: best relevance ${result.bestRelevance.toFixed(2)} < ${result.noGoodMatchBelow}; the nearest products:`);
        }
        ctx.out(
          rankedTable(result.hits.map((h) => ({ product: h.product, score: h.score })), 'relevance / class / found by', (i) => {
            const hit = result.hits[i]!;
            return `${hit.relevance.toFixed(2)} ${hit.relevanceClass} ${via(i)}`;
          }),
        );
        // Why a hit is not the product asked for (a complement, a substitute, irrelevant).
        const why = result.hits.flatMap((h, i) => (h.relevanceClass === 'exact' ? [] : [`${i + 1}. ${h.relevanceClass} (${h.relevanceCheck.check}): ${h.relevanceCheck.reason}`]));
        if (why.length > 0) ctx.out(why.join('\n'));
        const n = parseInteger(o.explain, '--explain') ?? 0;
        if (n > 0) ctx.out(`\n${result.rerank === 'ranker' ? rankerExplanations(result.hits, n) : explanations(result.hits, n)}`);
        if (result.timings) ctx.out(`\n${timingsLine(result.timings)}`);
      });
  },
};
