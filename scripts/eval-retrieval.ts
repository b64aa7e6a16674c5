/**
 * `npm run eval:retrieval`: item-to-item retrieval quality and a dedup benchmark, through the engine
 * as an application calls it. (1) Abt-Buy and Amazon-Google full tables: both shops ingested into one
 * store, `similar` asked for each product with a known match in the other shop; Recall@1/5/10 and MRR
 * (within the top 10) of the true match. (2) Taobao by product cluster: every record with another
 * record of its cluster. (3) Fashion products: precision@10 of the same article type and of the same
 * colour. (4) Dedup on the Taobao records: pairwise precision and recall of `dedup` groups against the
 * product clusters (connected components of the matching pairs). Writes
 * docs/benchmarks/item-retrieval.md. Skips cleanly when ../shared/datasets is absent.
 * EVAL_RETRIEVAL_ONLY=abt-buy,amazon-google,taobao,fashion,dedup picks parts; EVAL_RETRIEVAL_QUERIES
 * caps the queries per set (default 1,000, a seeded sample).
 */
import { git } from './git.ts';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseCsv } from 'csv-parse/sync';
import { createEngine, type Engine } from '../src/engine/engine.ts';
import type { Product } from '../src/catalog/product.ts';
import { readRecordTable, readPairs, type PairRecord } from '../src/learning/pairs.ts';
import { evaluateRankings, pairwiseGroupingMetrics, type RankedQuery } from '../src/learning/metrics.ts';
import { markdownTable } from '../src/learning/eval-report.ts';
import { readTaobaoClusters, readTaobaoPairs, taobaoProduct, taobaoRecordsById } from '../src/learning/zh/taobao.ts';
import { DEFAULT_MATCH_OPTIONS } from '../src/tasks/match.ts';
import { productToPairRecord } from '../src/tasks/learned-matcher.ts';
import { saveMatcherModel, trainMatcher } from '../src/learning/matcher.ts';
import type { LabeledPair } from '../src/learning/pairs.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { seededRandom } from '../src/random.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = process.env['PRODSIM_SHARED'] ?? resolve(ROOT, '../shared');
const DATA = join(SHARED, 'datasets');
const OUT_MD = join(ROOT, 'docs/benchmarks/item-retrieval.md');

if (!existsSync(DATA)) {
  console.log(`eval:retrieval skipped: ${DATA} not found (the public benchmarks live outside the repository, in ../shared)`);
  process.exit(0);
}

const only = process.env['EVAL_RETRIEVAL_ONLY']?.split(',');
const maxQueries = Number(process.env['EVAL_RETRIEVAL_QUERIES'] ?? 1000);
/** EVAL_RETRIEVAL_MODEL=0 skips training matchers (the "with a model" rows). */
const withModel = process.env['EVAL_RETRIEVAL_MODEL'] !== '0';
const wanted = (key: string) => !only || only.includes(key);
const log = (msg: string) => process.stderr.write(`[eval:retrieval ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const started = performance.now();
const loadAtStart = loadavg()[0]!;

/** A seeded sample of at most `n` items, in their original order. */
function sample<T>(items: readonly T[], n: number, seed = 7): T[] {
  if (items.length <= n) return [...items];
  const rand = seededRandom(seed);
  const keyed = items.map((x, i) => ({ x, i, r: rand() }));
  return keyed
    .sort((a, b) => a.r - b.r)
    .slice(0, n)
    .sort((a, b) => a.i - b.i)
    .map((k) => k.x);
}

async function freshEngine(): Promise<Engine> {
  return createEngine({ storePath: ':memory:', images: false });
}

interface RetrievalRow {
  set: string;
  products: number;
  queries: number;
  profile: string;
  recall1: number;
  recall5: number;
  recall10: number;
  mrr: number;
  msPerQuery: number;
}

/** Asks `similar` for each query id; relevant = the ids that are the same product. */
async function retrieval(engine: Engine, set: string, products: number, queries: { id: string; relevant: string[] }[], profile: string, model?: string): Promise<RetrievalRow> {
  const ranked: (RankedQuery & { relevant: Set<string> })[] = [];
  const t0 = performance.now();
  for (const q of queries) {
    // minScore 0: the ranking is measured, not the "no good match" cut-off.
    const result = await engine.similar({ id: q.id, k: 10, profile, minScore: 0, ...(model ? { model } : {}) });
    ranked.push({ ranked: result.items.map((it) => it.product.id), relevance: new Map(q.relevant.map((id) => [id, 1])), relevant: new Set(q.relevant) });
  }
  const ms = (performance.now() - t0) / Math.max(1, queries.length);
  // Recall@k here: the query's true match is in the top k (any of them when a product has several).
  const hitAt = (k: number) => ranked.filter((r) => r.ranked.slice(0, k).some((id) => r.relevant.has(id))).length / Math.max(1, ranked.length);
  const row: RetrievalRow = {
    set,
    products,
    queries: queries.length,
    profile: model ? 'trained matcher' : profile,
    recall1: hitAt(1),
    recall5: hitAt(5),
    recall10: hitAt(10),
    mrr: evaluateRankings(ranked, 10).mrr,
    msPerQuery: ms,
  };
  log(`${set} (${profile}): R@1 ${row.recall1.toFixed(3)}, R@5 ${row.recall5.toFixed(3)}, R@10 ${row.recall10.toFixed(3)}, MRR ${row.mrr.toFixed(3)} over ${queries.length} queries`);
  return row;
}

function priceOf(raw: string | undefined): number | undefined {
  const v = Number((raw ?? '').replace(/[^0-9.]/g, ''));
  return v > 0 ? v : undefined;
}

function emProduct(id: string, r: PairRecord, fields: { title: string; description?: string; brand?: string }): Product {
  const price = priceOf(r['price']);
  const description = fields.description ? r[fields.description] : undefined;
  const brand = fields.brand ? r[fields.brand] : undefined;
  return { id, title: r[fields.title] || '(no title)', ...(description ? { description } : {}), ...(brand ? { brand } : {}), ...(price ? { price } : {}), tags: [], images: [], attributes: {} };
}

const MODEL_DIR = mkdtempSync(join(tmpdir(), 'prodsim-eval-retrieval-'));
process.on('exit', () => rmSync(MODEL_DIR, { recursive: true, force: true }));

/**
 * A matcher trained as \`prodsim train\` does (records from \`productToPairRecord\`, the function the
 * applications score with), saved to a temporary model file for the engine's \`model\` option.
 * One seed to keep the run lean.
 */
function trainModelFile(name: string, byId: ReadonlyMap<string, Product>, train: readonly [string, string, 0 | 1][], valid: readonly [string, string, 0 | 1][]): string {
  const records = new Map([...byId].map(([id, p]) => [id, productToPairRecord(p)]));
  const pairs = (list: readonly [string, string, 0 | 1][]): LabeledPair[] => list.map(([l, r, label]) => ({ left: records.get(l)!, right: records.get(r)!, label, leftId: l, rightId: r }));
  const t0 = performance.now();
  const matcher = trainMatcher(pairs(train), pairs(valid), { records: [...records.values()], gbdtSeeds: 1 });
  const file = join(MODEL_DIR, `${name}.json`);
  saveMatcherModel(matcher.model, file);
  log(`${name}: trained matcher in ${((performance.now() - t0) / 1000).toFixed(0)} s (threshold ${matcher.model.threshold.toFixed(3)}, ${matcher.model.training.earlyStopping?.trees ?? '?'} trees)`);
  return file;
}

/** Two shops' tables in one store; a query per left product with a match, relevant = its matches in the right shop. */
async function twoShopRetrieval(key: string, name: string, fields: { title: string; description?: string; brand?: string }): Promise<RetrievalRow[]> {
  const dir = join(DATA, 'entity-matching', key);
  const left = readRecordTable(join(dir, 'tableA.csv'));
  const right = readRecordTable(join(dir, 'tableB.csv'));
  const matches = new Map<string, string[]>();
  const testMatches = new Map<string, string[]>();
  const labelled: Record<string, [string, string, 0 | 1][]> = { train: [], valid: [], test: [] };
  for (const split of ['train', 'valid', 'test']) {
    for (const p of readPairs(join(dir, `${split}.csv`), { left, right })) {
      labelled[split]!.push([`a${p.leftId}`, `b${p.rightId}`, p.label ?? 0]);
      if (p.label !== 1) continue;
      const l = `a${p.leftId}`;
      matches.set(l, [...(matches.get(l) ?? []), `b${p.rightId}`]);
      if (split === 'test') testMatches.set(l, [...(testMatches.get(l) ?? []), `b${p.rightId}`]);
    }
  }
  const products = [...[...left].map(([id, r]) => emProduct(`a${id}`, r, fields)), ...[...right].map(([id, r]) => emProduct(`b${id}`, r, fields))];
  const engine = await freshEngine();
  try {
    log(`${name}: ingesting ${products.length} products`);
    await engine.upsertProducts(products);
    const queries = sample([...matches].map(([id, relevant]) => ({ id, relevant })), maxQueries);
    const rows = [await retrieval(engine, name, products.length, queries, 'default'), await retrieval(engine, name, products.length, queries, 'sameProduct')];
    if (withModel) {
      // With a model: only the test split's matches are asked, never a pair the model was trained or thresholded on.
      const byId = new Map(products.map((p) => [p.id, p]));
      const file = trainModelFile(key, byId, labelled['train']!, labelled['valid']!);
      const testQueries = sample([...testMatches].map(([id, relevant]) => ({ id, relevant })), maxQueries);
      const testSet = `${name} (test-split matches)`;
      rows.push(await retrieval(engine, testSet, products.length, testQueries, 'default'), await retrieval(engine, testSet, products.length, testQueries, 'sameProduct'), await retrieval(engine, testSet, products.length, testQueries, 'default', file));
    }
    return rows;
  } finally {
    await engine.close();
  }
}

/** Distinct Taobao records of all splits as products (id = item id), with their cluster ids. */
function taobaoProducts(): { products: Product[]; clusterOf: Map<string, string> } {
  const dir = join(DATA, 'zh-product-matching');
  const clusterOf = new Map<string, string>();
  const files = ['train', 'val', 'test'].map((split) => join(dir, `${split}.jsonl`));
  for (const file of files) for (const [k, v] of readTaobaoClusters(file)) clusterOf.set(k, v);
  const records = taobaoRecordsById(files.flatMap((file) => readTaobaoPairs(file)));
  return { products: [...records].map(([id, r]) => taobaoProduct(r, id)), clusterOf };
}

/** Same-cluster pairs of a set of ids. */
function clusterMembers(ids: readonly string[], clusterOf: ReadonlyMap<string, string>): Map<string, string[]> {
  const members = new Map<string, string[]>();
  for (const id of ids) {
    const c = clusterOf.get(id);
    if (c !== undefined) members.set(c, [...(members.get(c) ?? []), id]);
  }
  return members;
}

interface DedupRow {
  scorer: string;
  threshold: number;
  groups: number;
  predictedPairs: number;
  truePairs: number;
  precision: number;
  recall: number;
  f1: number;
}

async function taobaoRetrievalAndDedup(): Promise<{ retrieval: RetrievalRow[]; dedup: DedupRow[]; products: number; clusters: number }> {
  const { products, clusterOf } = taobaoProducts();
  const members = clusterMembers(
    products.map((p) => p.id),
    clusterOf,
  );
  const engine = await freshEngine();
  try {
    log(`Taobao: ingesting ${products.length} products (${members.size} clusters)`);
    await engine.upsertProducts(products);
    const rows: RetrievalRow[] = [];
    if (wanted('taobao')) {
      const queries = sample(
        products.filter((p) => (members.get(clusterOf.get(p.id) ?? '')?.length ?? 0) > 1).map((p) => ({ id: p.id, relevant: members.get(clusterOf.get(p.id)!)!.filter((id) => id !== p.id) })),
        maxQueries,
      );
      rows.push(await retrieval(engine, 'Taobao (by cluster)', products.length, queries, 'default'), await retrieval(engine, 'Taobao (by cluster)', products.length, queries, 'sameProduct'));
    }
    const dedup: DedupRow[] = [];
    if (wanted('dedup')) {
      // True pairs: every two ingested records of one cluster (clusters = connected components of the matches).
      const ingestedClusterOf = new Map([...members].flatMap(([c, ids]) => ids.map((id) => [id, c] as const)));
      const runs: { scorer: string; threshold: number | undefined; model?: string }[] = [...new Set([DEFAULT_MATCH_OPTIONS.threshold, 0.7, 0.8])].map((t) => ({ scorer: 'fused profile', threshold: t }));
      if (withModel) {
        // Trained on train.jsonl (thresholded on val.jsonl); most of the deduplicated records are in those pairs, so this flatters it.
        const ids = (split: string) => readTaobaoPairs(join(DATA, 'zh-product-matching', `${split}.jsonl`)).map((p) => [p.leftId!, p.rightId!, p.label ?? 0] as [string, string, 0 | 1]);
        const file = trainModelFile('taobao', new Map(products.map((p) => [p.id, p])), ids('train'), ids('val'));
        runs.push({ scorer: 'trained matcher', threshold: undefined, model: file });
      }
      for (const run of runs) {
        const { groups } = await engine.dedup(undefined, { ...(run.threshold !== undefined ? { threshold: run.threshold } : {}), ...(run.model ? { model: run.model } : {}) });
        const { predictedPairs: predicted, truePairs, precision, recall, f1 } = pairwiseGroupingMetrics(
          groups.map((g) => g.ids),
          ingestedClusterOf,
        );
        const threshold = run.threshold ?? Number.NaN;
        const row = { scorer: run.scorer, threshold, groups: groups.length, predictedPairs: predicted, truePairs, precision, recall, f1 };
        dedup.push(row);
        log(`Taobao dedup (${run.scorer}) at ${run.threshold ?? "the model's threshold"}: ${groups.length} groups, pairwise P ${precision.toFixed(3)} R ${recall.toFixed(3)}`);
      }
    }
    return { retrieval: rows, dedup, products: products.length, clusters: members.size };
  } finally {
    await engine.close();
  }
}

interface FashionRow {
  profile: string;
  queries: number;
  products: number;
  sameType: number;
  sameColour: number;
  sameBoth: number;
}

async function fashion(): Promise<FashionRow[]> {
  const file = join(DATA, 'fashion-images/products_all.csv');
  const rows = parseCsv<Record<string, string>>(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true, relax_quotes: true, relax_column_count: true });
  const meta = new Map<string, { type: string; colour: string }>();
  const products: Product[] = [];
  for (const r of rows) {
    const id = r['id'];
    const title = r['productDisplayName'];
    if (!id || !title || meta.has(id)) continue;
    meta.set(id, { type: r['articleType'] ?? '', colour: r['baseColour'] ?? '' });
    // Title only: category fields would hand over the article type being measured.
    products.push({ id, title, tags: [], images: [], attributes: {} });
  }
  const engine = await freshEngine();
  try {
    log(`fashion: ingesting ${products.length} products`);
    await engine.upsertProducts(products);
    const queries = sample(products, Math.min(maxQueries, 500));
    const out: FashionRow[] = [];
    for (const profile of ['default', 'similarStyle']) {
      let type = 0;
      let colour = 0;
      let both = 0;
      let shown = 0;
      for (const q of queries) {
        const m = meta.get(q.id)!;
        const result = await engine.similar({ id: q.id, k: 10, profile, minScore: 0 });
        for (const it of result.items) {
          const o = meta.get(it.product.id);
          if (!o) continue;
          shown++;
          if (o.type === m.type) type++;
          if (o.colour === m.colour) colour++;
          if (o.type === m.type && o.colour === m.colour) both++;
        }
      }
      // Precision@10 over the 10 slots of every query (a slot left empty counts as a miss).
      const slots = queries.length * 10;
      const row = { profile, queries: queries.length, products: products.length, sameType: type / slots, sameColour: colour / slots, sameBoth: both / slots };
      out.push(row);
      log(`fashion (${profile}): P@10 same type ${row.sameType.toFixed(3)}, same colour ${row.sameColour.toFixed(3)}, both ${row.sameBoth.toFixed(3)} (${shown} of ${slots} slots filled)`);
    }
    return out;
  } finally {
    await engine.close();
  }
}

// ---------------------------------------------------------------- run

const retrievalRows: RetrievalRow[] = [];
if (wanted('abt-buy')) retrievalRows.push(...(await twoShopRetrieval('abt-buy', 'Abt-Buy', { title: 'name', description: 'description' })));
if (wanted('amazon-google')) retrievalRows.push(...(await twoShopRetrieval('amazon-google', 'Amazon-Google', { title: 'title', brand: 'manufacturer' })));
const taobao = wanted('taobao') || wanted('dedup') ? await taobaoRetrievalAndDedup() : undefined;
if (taobao) retrievalRows.push(...taobao.retrieval);
const fashionRows = wanted('fashion') ? await fashion() : [];

// ---------------------------------------------------------------- report

const commit = git('rev-parse --short HEAD');
const dirty = git('status --porcelain -- src scripts/eval-retrieval.ts') !== '';
const totalSeconds = (performance.now() - started) / 1000;
const f3 = (v: number) => v.toFixed(3);

const retrievalTable = markdownTable(
  ['set', 'products in the store', 'queries', 'profile', 'Recall@1', 'Recall@5', 'Recall@10', 'MRR@10', 'ms / query'],
  retrievalRows.map((r) => [r.set, r.products, r.queries, r.profile, f3(r.recall1), f3(r.recall5), f3(r.recall10), f3(r.mrr), r.msPerQuery.toFixed(1)]),
  ['l', 'r', 'r', 'l', 'r', 'r', 'r', 'r', 'r'],
);
const fashionTable = markdownTable(
  ['profile', 'products', 'queries', 'P@10 same article type', 'P@10 same colour', 'P@10 both'],
  fashionRows.map((r) => [r.profile, r.products, r.queries, f3(r.sameType), f3(r.sameColour), f3(r.sameBoth)]),
  ['l', 'r', 'r', 'r', 'r', 'r'],
);
const dedupTable = markdownTable(
  ['scorer', 'threshold', 'groups', 'pairs in groups', 'true same-cluster pairs', 'pairwise precision', 'pairwise recall', 'F1'],
  (taobao?.dedup ?? []).map((d) => [d.scorer, Number.isNaN(d.threshold) ? "the model's" : `${d.threshold}${d.threshold === DEFAULT_MATCH_OPTIONS.threshold ? ' (default)' : ''}`, d.groups, d.predictedPairs, d.truePairs, f3(d.precision), f3(d.recall), f3(d.f1)]),
  ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r'],
);

const md = `# Item-to-item retrieval and dedup quality

Produced by \`npm run eval:retrieval\` (scripts/eval-retrieval.ts) on commit \`${commit}\`${dirty ? ' (with uncommitted changes)' : ''},
${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}; whole run ${totalSeconds.toFixed(0)} s wall
(1-minute load average ${loadAtStart.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at the end: a shared machine, so ms / query is indicative).

Everything goes through the engine as an application calls it: products are written with \`upsertProducts\` into an
in-memory store (default text encoder, no images), then \`similar\` (k = 10) and \`dedup\` are asked. No label is used to
build anything in the no-model rows; labels only decide what counts as a hit. \`similar\` is asked with \`minScore: 0\`: the
ranking is measured, not the "no good match" cut-off. **trained matcher** rows: a matcher trained like \`prodsim train\` (records from
\`productToPairRecord\`, GBDT, one seed) on the set's train pairs, thresholded on its valid pairs, passed as the engine's \`model\`;
its queries are the test split's matches only (shown beside the no-model profiles on the same queries).

## Similar items: is the same product in the other shop found?

Abt-Buy and Amazon-Google: both shops' full tables (\`tableA\` + \`tableB\`) in one store; a query for every left product with a
known match (the matching pairs of train, valid and test), a seeded sample of at most ${maxQueries}. Taobao: the distinct records
of all splits (title, category path, \`pv_pairs\` as attributes, 品牌 as brand); a query for each record whose product cluster
has another record, relevant = the other records of its cluster. Recall@k: a true match is among the first k results.
\`default\` is the profile \`similar\` uses; \`sameProduct\` the one match and dedup use.

${retrievalTable}

## Fashion products: same article type and colour

\`products_all.csv\`, titles only (\`productDisplayName\`; the category columns would hand over the article type measured),
${Math.min(maxQueries, 500)} seeded queries; precision@10 = share of the 10 result slots holding a product of the query's article type
(colour, both).

${fashionTable}

## Dedup against Taobao product clusters

\`dedup\` over the Taobao records in the store; a predicted pair is two records of one group, a true pair two records of one
product cluster (\`cluster_id\`, i.e. the connected components of the matching pairs). Target: precision ≥ 0.9 at the default
threshold (${DEFAULT_MATCH_OPTIONS.threshold}).${taobao ? ` ${taobao.products} records, ${taobao.clusters} clusters.` : ''}
These records mix the train, val and test pairs; \`npm run eval:dedup\` (docs/benchmarks/dedup-taobao.md) measures the
default on the val and test records apart and splits the missed pairs by cause.

${dedupTable}
`;

mkdirSync(dirname(OUT_MD), { recursive: true });
writeFileSync(OUT_MD, md);
log(`wrote ${OUT_MD} in ${totalSeconds.toFixed(0)} s`);
