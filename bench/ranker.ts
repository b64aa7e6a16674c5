/**
 * Search latency with a learned ranker (`npm run bench:ranker -- --n 100000`): on the synthetic
 * bilingual catalog of bench/synthetic-catalog.ts (store reused from `--dir` when it already holds n
 * products), a ranker is trained on synthetic judgments (for each of 40 training queries, the
 * default search's top 20 hits graded 2 = the product the query was made from, 1 = same brand,
 * 0 = other: the figures here are latency only, not relevance), then the same timed queries run
 * interleaved through `engine.search` with the default field rerank, with the learned ranker, and
 * without rerank. Reports p50/p99 and the ratio ranker / default (target ≤ 2×). Writes
 * docs/benchmarks/ranker-latency.json and .md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { RelevanceJudgment } from '../src/catalog/judgments.ts';
import { machineInfo, nowMs, percentile, prepareEngine, round3 } from './tasks.ts';
import { syntheticQueries } from './synthetic-catalog.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: { n: { type: 'string', default: '100000' }, queries: { type: 'string', default: '300' }, dir: { type: 'string' }, keep: { type: 'boolean', default: false } },
});
const n = Number(args.n);
const timedCount = Number(args.queries);
const TRAINING_QUERIES = 40;
const JUDGED_PER_QUERY = 20;
const dir = args.dir ?? path.join(os.tmpdir(), `prodsim-bench-ranker-${n}`);
const log = (s: string) => process.stderr.write(`[bench:ranker ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

const { engine } = await prepareEngine(dir, n, log);
try {
  const all = syntheticQueries(n, TRAINING_QUERIES + timedCount);
  const training = all.slice(0, TRAINING_QUERIES);
  const timed = all.slice(TRAINING_QUERIES);
  const judgments: RelevanceJudgment[] = [];
  for (const q of training) {
    const from = await engine.getProduct(q.fromId);
    const result = await engine.search({ query: q.text, k: JUDGED_PER_QUERY, explain: false });
    for (const hit of result.hits) {
      const relevance = hit.product.id === q.fromId ? 2 : from?.brand !== undefined && hit.product.brand === from.brand ? 1 : 0;
      judgments.push({ query: q.text, productId: hit.product.id, relevance });
    }
  }
  let t = nowMs();
  const { model, summary } = await engine.trainRanker(judgments, { negatives: 0 });
  log(`ranker trained on ${summary.examples} synthetic judgments in ${((nowMs() - t) / 1000).toFixed(1)} s (${model.gbdt.trees.length} trees)`);

  const configs = {
    'default (field rerank)': { explain: false },
    'learned ranker': { ranker: model, explain: false },
    'learned ranker + explain': { ranker: model, explain: true },
    'no rerank': { rerank: 'none' as const, explain: false },
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(configs).map((k) => [k, []]));
  // Warm-up: the lazy indexes and caches open on first use.
  for (const q of timed.slice(0, 20)) for (const options of Object.values(configs)) await engine.search({ query: q.text, ...options });
  for (const q of timed) {
    for (const [name, options] of Object.entries(configs)) {
      t = nowMs();
      await engine.search({ query: q.text, ...options });
      times[name]!.push(nowMs() - t);
    }
  }
  const stats = Object.fromEntries(Object.entries(times).map(([name, xs]) => [name, { p50: round3(percentile(xs, 50)), p99: round3(percentile(xs, 99)) }]));
  const base = stats['default (field rerank)']!.p50;
  const ratio = round3(stats['learned ranker']!.p50 / base);
  const report = { n, queries: timed.length, trees: model.gbdt.trees.length, stats, ratioP50: ratio, machine: machineInfo(), date: new Date().toISOString() };
  fs.writeFileSync(path.join(ROOT, 'docs/benchmarks/ranker-latency.json'), `${JSON.stringify(report, null, 2)}\n`);
  const rows = Object.entries(stats).map(([name, s]) => `| ${name} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ×${(s.p50 / base).toFixed(2)} |`);
  const md =
    `# Search latency with a learned ranker (\`npm run bench:ranker -- --n ${n}\`)\n\n` +
    `Commit ${report.machine.commit}, ${report.date.slice(0, 10)}, ${report.machine.cores} cores (${report.machine.cpuModel}), load ${report.machine.loadAverage.join(' / ')} ` +
    '(the machine is shared: compare the rows with each other, they ran interleaved query by query).\n' +
    `${n.toLocaleString('en')} synthetic products, ${timed.length} timed queries (45 % Chinese, 45 % English, 10 % model numbers), k = 10, ` +
    `ranker of ${model.gbdt.trees.length} trees trained on synthetic judgments (latency only) reranking the fused candidates (rankerTop 100: all of them).\n\n` +
    '| search | p50 ms | p99 ms | p50 / default |\n| --- | ---: | ---: | ---: |\n' +
    `${rows.join('\n')}\n\n` +
    `Learned ranker / default at the median: ×${ratio.toFixed(2)} (target ≤ 2×).\n`;
  fs.writeFileSync(path.join(ROOT, 'docs/benchmarks/ranker-latency.md'), md);
  process.stdout.write(md);
} finally {
  await engine.close();
  if (!args.keep && !args.dir) fs.rmSync(dir, { recursive: true, force: true });
}
