/**
 * The character n-gram keyword index beside the word index (issue #19): build time, memory and file
 * size, and query latency of both on the synthetic catalog (70 % Chinese products) and on the
 * Multi-CPR mini corpus when ../shared is present. The word index itself is unchanged by the n-gram
 * one (its own figures: `npm run bench:keyword`).
 *
 *   node --import tsx bench/keyword-granularity.ts [--products 20000] [--queries 400]
 *
 * Writes docs/benchmarks/keyword-granularity.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createMemoryKeywordIndex } from '../src/store/keyword/memory-bm25.ts';
import { storeWithRewrittenTokens } from '../src/store/keyword/token-view.ts';
import { createSqliteSyncStore } from '../src/store/sqlite/sqlite-sync-store.ts';
import { analyzeProduct } from '../src/store/product-record.ts';
import type { SyncProductStore } from '../src/store/store.ts';
import type { Product } from '../src/catalog/product.ts';
import { readTsvCorpus, readTsvQueries } from '../src/catalog/judgments.ts';
import { hanNgramTokens } from '../src/text/han-ngrams.ts';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';
import { markdownTable } from '../src/learning/eval-report.ts';
import { syntheticProduct, syntheticQueries } from './synthetic-catalog.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({ options: { products: { type: 'string', default: '20000' }, queries: { type: 'string', default: '400' } } });
const analyzer = createTextAnalyzer();

// The synchronous SQLite core: what the in-memory keyword indexes read (`LocalIndexSource`).
function storeOf(products: readonly Product[]): SyncProductStore {
  const store = createSqliteSyncStore({ path: ':memory:' });
  const BATCH = 2000;
  for (let i = 0; i < products.length; i += BATCH) {
    store.upsertProducts(products.slice(i, i + BATCH).map((product) => ({ product, analyzed: analyzeProduct(product, analyzer) })));
  }
  return store;
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

function measure(name: string, products: readonly Product[], queries: readonly string[]): (string | number)[][] {
  const store = storeOf(products);
  const rows: (string | number)[][] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prodsim-kwg-'));
  for (const [granularity, view, toQuery] of [
    ['words (jieba)', store, (t: string[]) => t],
    ['character 1–2-grams', storeWithRewrittenTokens(store, (t) => hanNgramTokens(t)), (t: string[]) => hanNgramTokens(t)],
  ] as const) {
    let started = performance.now();
    const index = createMemoryKeywordIndex(view);
    const buildMs = performance.now() - started;
    const fileBytes = index.save(path.join(dir, 'k.idx'));
    const tokens = queries.map((q) => toQuery(analyzer.analyze(q).tokens));
    for (const t of tokens.slice(0, 20)) index.search(t, { k: 50 });
    const times: number[] = [];
    for (const t of tokens) {
      started = performance.now();
      index.search(t, { k: 50 });
      times.push(performance.now() - started);
    }
    const stats = index.stats();
    rows.push([name, granularity, products.length.toLocaleString('en'), stats.terms.toLocaleString('en'), stats.postings.toLocaleString('en'), (stats.memoryBytes / 1e6).toFixed(1), (fileBytes / 1e6).toFixed(1), Math.round(buildMs), quantile(times, 0.5).toFixed(3), quantile(times, 0.99).toFixed(3)]);
    process.stderr.write(`${rows.at(-1)!.join(' | ')}\n`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  store.close();
  return rows;
}

const n = Number(args.products);
const rows = measure('synthetic (70 % Chinese)', Array.from({ length: n }, (_, i) => syntheticProduct(i)), syntheticQueries(n, Number(args.queries)).map((q) => q.text));
const mcpr = path.join(ROOT, '../shared/datasets/search-relevance/multicpr-ecom-mini');
if (fs.existsSync(mcpr)) {
  const products = readTsvCorpus(path.join(mcpr, 'corpus.tsv')).map((d): Product => ({ id: d.id, title: d.title, tags: [], images: [], attributes: {} }));
  rows.push(...measure('Multi-CPR mini titles', products, readTsvQueries(path.join(mcpr, 'queries-dev.tsv')).map((q) => q.query)));
}
const out = path.join(ROOT, 'docs/benchmarks/keyword-granularity.md');
fs.writeFileSync(
  out,
  '# Keyword index at two granularities (`node --import tsx bench/keyword-granularity.ts`)\n\n' +
    `${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores shared with other jobs (load ${os.loadavg()[0]!.toFixed(1)}): latencies indicative. ` +
    'The character n-gram index (unigrams + bigrams of each run of Chinese words; other tokens whole) is built from the same store rows as the word index, ' +
    'only once a query with Chinese words arrives. Query: top 50, MaxScore.\n\n' +
    markdownTable(['catalog', 'granularity', 'products', 'terms', 'postings', 'memory MB', 'file MB', 'build ms', 'query p50 ms', 'query p99 ms'], rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r']) +
    '\n',
);
process.stderr.write(`wrote ${out}\n`);
