/**
 * Offline text encoders on real titles: fit/train time, encode throughput (texts/s), how well each
 * encoder's cosine separates matching from non-matching labelled pairs (ROC AUC), and how often a
 * title's 10 nearest neighbours share its category (semantic similarity, what similar-items needs).
 *
 *   node --import tsx bench/encoders.ts [--data ../shared/datasets] [--out docs/benchmarks]
 *
 * Corpora: Abt-Buy `tableA.csv` + `tableB.csv` names (English electronics), the distinct Taobao
 * titles of zh-product-matching (Chinese, category = `cate_name`), and every 15th product of
 * fashion-images `products_all.csv` (English display names, category = `articleType`).
 * Pairs: Abt-Buy `test.csv` and Taobao `test.jsonl`.
 * Writes docs/benchmarks/encoders.md.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import { cosineSimilarity, type DenseEncoder } from '../src/encoders/encoder.ts';
import { fitLexicalEncoder, sparseCosine, type LexicalEncoder } from '../src/encoders/lexical/lexical-encoder.ts';
import { createGloveEncoder } from '../src/encoders/glove/glove-encoder.ts';
import { trainCatalogVectors } from '../src/encoders/catalog-vectors/catalog-vectors.ts';
import { createCatalogCombinedEncoder, createCatalogSifEncoder } from '../src/encoders/catalog-vectors/combined-encoder.ts';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/datasets' },
    out: { type: 'string', default: 'docs/benchmarks' },
  },
});

interface Corpus {
  name: string;
  texts: string[];
  pairs: { left: string; right: string; label: number }[];
  /** Category of each text (same order as texts), when known. */
  categories?: string[];
}

function loadAbtBuy(): Corpus {
  const dir = join(args.data, 'entity-matching/abt-buy');
  const table = (f: string) => {
    const rows = parse<{ id: string; name: string }>(readFileSync(join(dir, f)), { columns: true, skip_empty_lines: true });
    return new Map(rows.map((r) => [r.id, r.name]));
  };
  const a = table('tableA.csv');
  const b = table('tableB.csv');
  const test = parse<{ ltable_id: string; rtable_id: string; label: string }>(readFileSync(join(dir, 'test.csv')), { columns: true });
  return {
    name: 'Abt-Buy names (en)',
    texts: [...a.values(), ...b.values()],
    pairs: test.map((p) => ({ left: a.get(p.ltable_id) ?? '', right: b.get(p.rtable_id) ?? '', label: Number(p.label) })),
  };
}

function loadTaobao(): Corpus {
  const dir = join(args.data, 'zh-product-matching');
  const titles = new Map<string, string>();
  const pairs: Corpus['pairs'] = [];
  for (const f of ['train.jsonl', 'val.jsonl', 'test.jsonl']) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const r = JSON.parse(line) as { title_left: string; title_right: string; cate_name_left: string; cate_name_right: string; label: number | string };
      titles.set(r.title_left, r.cate_name_left);
      titles.set(r.title_right, r.cate_name_right);
      if (f === 'test.jsonl') pairs.push({ left: r.title_left, right: r.title_right, label: Number(r.label) });
    }
  }
  return { name: 'Taobao titles (zh)', texts: [...titles.keys()], pairs, categories: [...titles.values()] };
}

function loadFashion(): Corpus | undefined {
  const file = join(args.data, 'fashion-images/products_all.csv');
  if (!existsSync(file)) return undefined;
  const rows = parse<{ productDisplayName: string; articleType: string }>(readFileSync(file), { columns: true, skip_empty_lines: true });
  const sample = rows.filter((r, i) => i % 15 === 0 && r.productDisplayName);
  return { name: 'Fashion names (en)', texts: sample.map((r) => r.productDisplayName), pairs: [], categories: sample.map((r) => r.articleType) };
}

/** Mean share of each item's k nearest neighbours (by the given similarity) with its category. */
function neighbourAgreement(n: number, similarity: (i: number, j: number) => number, categories: string[], k = 10): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    // top k by insertion into a small sorted list (ties: lower index first)
    const top: { j: number; s: number }[] = [];
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const sim = similarity(i, j);
      if (top.length === k && sim <= top[k - 1]!.s) continue;
      let pos = top.length;
      while (pos > 0 && top[pos - 1]!.s < sim) pos--;
      top.splice(pos, 0, { j, s: sim });
      if (top.length > k) top.pop();
    }
    let same = 0;
    for (const t of top) if (categories[t.j] === categories[i]) same++;
    total += same / k;
  }
  return total / n;
}

/** ROC AUC by the rank-sum statistic (ties get half credit). */
function auc(scores: number[], labels: number[]): number {
  const idx = scores.map((_, i) => i).sort((x, y) => scores[x]! - scores[y]!);
  let rankSumPos = 0;
  let pos = 0;
  let i = 0;
  while (i < idx.length) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const avgRank = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) if (labels[idx[k]!] === 1) {
      rankSumPos += avgRank;
      pos++;
    }
    i = j + 1;
  }
  const neg = labels.length - pos;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

interface Row {
  corpus: string;
  encoder: string;
  fitMs: number;
  coldPerSec: number;
  warmPerSec: number;
  auc: number;
  agreement: number;
  dimension: string;
}

async function timeEncode(encode: (batch: string[]) => Promise<unknown>, texts: string[]): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < texts.length; i += 64) await encode(texts.slice(i, i + 64));
  return texts.length / ((performance.now() - t0) / 1000);
}

async function denseAgreement(enc: DenseEncoder<string>, corpus: Corpus): Promise<number> {
  if (!corpus.categories) return NaN;
  const v = await enc.encode(corpus.texts);
  return neighbourAgreement(v.length, (i, j) => cosineSimilarity(v[i]!, v[j]!), corpus.categories);
}

async function lexicalAgreement(enc: LexicalEncoder, corpus: Corpus): Promise<number> {
  if (!corpus.categories) return NaN;
  const v = await enc.encode(corpus.texts);
  return neighbourAgreement(v.length, (i, j) => sparseCosine(v[i]!, v[j]!), corpus.categories);
}

async function denseAuc(enc: DenseEncoder<string>, pairs: Corpus['pairs']): Promise<number> {
  if (pairs.length === 0) return NaN;
  const left = await enc.encode(pairs.map((p) => p.left));
  const right = await enc.encode(pairs.map((p) => p.right));
  return auc(pairs.map((_, i) => cosineSimilarity(left[i]!, right[i]!)), pairs.map((p) => p.label));
}

async function lexicalAuc(enc: LexicalEncoder, pairs: Corpus['pairs']): Promise<number> {
  if (pairs.length === 0) return NaN;
  const left = await enc.encode(pairs.map((p) => p.left));
  const right = await enc.encode(pairs.map((p) => p.right));
  return auc(pairs.map((_, i) => sparseCosine(left[i]!, right[i]!)), pairs.map((p) => p.label));
}

const missing = ['entity-matching/abt-buy/tableA.csv', 'zh-product-matching/test.jsonl'].filter((f) => !existsSync(join(args.data, f)));
if (missing.length > 0) {
  console.error(`datasets missing under ${args.data}: ${missing.join(', ')}`);
  process.exit(66);
}

const analyzer = createTextAnalyzer();
analyzer.tokenize('预热 warm-up');
let t0 = performance.now();
const gloveLoad = await createGloveEncoder({ analyzer });
const gloveLoadMs = performance.now() - t0;
void gloveLoad;

const rows: Row[] = [];
const sensitivity: { corpus: string; a: number; auc: number; agreement: number }[] = [];
for (const corpus of [loadAbtBuy(), loadTaobao(), loadFashion()].filter((c): c is Corpus => c !== undefined)) {
  console.error(`${corpus.name}: ${corpus.texts.length} texts, ${corpus.pairs.length} pairs`);
  const tokensPerText = corpus.texts.reduce((s, t) => s + analyzer.tokenize(t).length, 0) / corpus.texts.length;

  // Lexical
  t0 = performance.now();
  const lex = fitLexicalEncoder(corpus.texts, { analyzer });
  const lexFit = performance.now() - t0;
  const lexCold = await timeEncode((b) => lex.encode(b), corpus.texts);
  const lexWarm = await timeEncode((b) => lex.encode(b), corpus.texts);
  rows.push({ corpus: corpus.name, encoder: 'lexical TF-IDF (words + char n-grams)', fitMs: lexFit, coldPerSec: lexCold, warmPerSec: lexWarm, auc: await lexicalAuc(lex, corpus.pairs), agreement: await lexicalAgreement(lex, corpus), dimension: `sparse, ${lex.vocabularySize} features` });

  // GloVe + CEDICT + SIF (fresh encoder so the bridge's memo starts cold)
  const glove = await createGloveEncoder({ analyzer });
  const gloveCold = await timeEncode((b) => glove.encode(b), corpus.texts);
  const gloveWarm = await timeEncode((b) => glove.encode(b), corpus.texts);
  const gloveUnfittedAuc = await denseAuc(glove, corpus.pairs);
  rows.push({ corpus: corpus.name, encoder: 'GloVe+CEDICT SIF, not fitted', fitMs: 0, coldPerSec: gloveCold, warmPerSec: gloveWarm, auc: gloveUnfittedAuc, agreement: await denseAgreement(glove, corpus), dimension: '100' });
  t0 = performance.now();
  glove.fit(corpus.texts);
  const gloveFit = performance.now() - t0;
  const gloveFittedWarm = await timeEncode((b) => glove.encode(b), corpus.texts);
  rows.push({ corpus: corpus.name, encoder: 'GloVe+CEDICT SIF, fitted (1 PC removed; default)', fitMs: gloveFit, coldPerSec: NaN, warmPerSec: gloveFittedWarm, auc: await denseAuc(glove, corpus.pairs), agreement: await denseAgreement(glove, corpus), dimension: '100' });
  const withFrequencies = await createGloveEncoder({ analyzer, catalogFrequencies: true });
  withFrequencies.fit(corpus.texts);
  rows.push({ corpus: corpus.name, encoder: 'GloVe+CEDICT SIF, fitted with catalog p(w) (catalogFrequencies)', fitMs: NaN, coldPerSec: NaN, warmPerSec: NaN, auc: await denseAuc(withFrequencies, corpus.pairs), agreement: await denseAgreement(withFrequencies, corpus), dimension: '100' });

  // Without the CEDICT bridge Chinese tokens have no vector: shows what the bridge contributes.
  const englishOnly = await createGloveEncoder({ analyzer, chinese: false });
  englishOnly.fit(corpus.texts);
  rows.push({ corpus: corpus.name, encoder: 'GloVe SIF without CEDICT bridge, fitted', fitMs: NaN, coldPerSec: NaN, warmPerSec: NaN, auc: await denseAuc(englishOnly, corpus.pairs), agreement: await denseAgreement(englishOnly, corpus), dimension: '100' });

  // Sensitivity to SIF's a (fitted).
  for (const a of [1e-4, 1e-3, 1e-2, 1e-1]) {
    const enc = await createGloveEncoder({ analyzer, a });
    enc.fit(corpus.texts);
    sensitivity.push({ corpus: corpus.name, a, auc: await denseAuc(enc, corpus.pairs), agreement: await denseAgreement(enc, corpus) });
  }

  // Catalog vectors
  t0 = performance.now();
  const cv = trainCatalogVectors(corpus.texts, { analyzer });
  const cvTrain = performance.now() - t0;
  const catalog = createCatalogSifEncoder(cv, { analyzer });
  t0 = performance.now();
  catalog.fit(corpus.texts);
  const catFit = performance.now() - t0;
  const catWarm = await timeEncode((b) => catalog.encode(b), corpus.texts);
  rows.push({ corpus: corpus.name, encoder: `catalog PPMI-SVD SIF (vocab ${cv.words.length})`, fitMs: cvTrain + catFit, coldPerSec: NaN, warmPerSec: catWarm, auc: await denseAuc(catalog, corpus.pairs), agreement: await denseAgreement(catalog, corpus), dimension: String(cv.dimension) });

  const combined = createCatalogCombinedEncoder(glove, catalog);
  const combWarm = await timeEncode((b) => combined.encode(b), corpus.texts);
  rows.push({ corpus: corpus.name, encoder: 'combined 0.5 pretrained + 0.5 catalog', fitMs: NaN, coldPerSec: NaN, warmPerSec: combWarm, auc: await denseAuc(combined, corpus.pairs), agreement: await denseAgreement(combined, corpus), dimension: String(combined.dimension) });
  console.error(`  ${tokensPerText.toFixed(1)} tokens/text`);
}

const fmt = (x: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : '—');
const md = `# Offline text encoders: speed and pair separation

Generated by \`node --import tsx bench/encoders.ts\` on ${new Date().toISOString().slice(0, 10)}
(${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)} at the end, Node ${process.version}; the
machine is shared, so throughputs are indicative). One process, one thread.

- **fit**: lexical = vocabulary + IDF; GloVe SIF = first principal component (+ catalog word
  frequencies with \`catalogFrequencies: true\`);
  catalog = co-occurrence → PPMI → randomized SVD (100-d) + SIF fit.
- **cold / warm**: texts/s on the first pass (the CEDICT bridge builds each Chinese word's vector on
  first sight) and on a second pass over the same texts (memoised). Batches of 64.
- **AUC**: ROC AUC of the encoder's cosine as a match score on labelled test pairs
  (Abt-Buy \`test.csv\`: 1,916 pairs; Taobao \`test.jsonl\`: 2,000 pairs). Cosine alone, no training.
  Same-product matching rewards exact tokens and model numbers.
- **cat@10**: mean share of a title's 10 nearest neighbours (exhaustive cosine) in the same category
  (Taobao \`cate_name\`, 82 categories; fashion \`articleType\`, 143 types): semantic similarity, what
  similar items and recommendation need.
- Loading the pretrained encoder (GloVe int8 binary + CEDICT gloss table, cached in
  \`~/.cache/prodsim\`): ${gloveLoadMs.toFixed(0)} ms.

| corpus | encoder | dim | fit ms | cold texts/s | warm texts/s | pair AUC | cat@10 |
| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |
${rows.map((r) => `| ${r.corpus} | ${r.encoder} | ${r.dimension} | ${fmt(r.fitMs)} | ${fmt(r.coldPerSec)} | ${fmt(r.warmPerSec)} | ${fmt(r.auc, 3)} | ${fmt(r.agreement, 3)} |`).join('\n')}

## SIF parameter a (GloVe+CEDICT SIF, fitted, default options otherwise): pair AUC / cat@10

| corpus | ${[...new Set(sensitivity.map((x) => x.a))].map((a) => `a = ${a}`).join(' | ')} |
| --- | ${[...new Set(sensitivity.map((x) => x.a))].map(() => '---:').join(' | ')} |
${[...new Set(sensitivity.map((x) => x.corpus))].map((c) => `| ${c} | ${sensitivity.filter((x) => x.corpus === c).map((x) => `${fmt(x.auc, 3)} / ${fmt(x.agreement, 3)}`).join(' | ')} |`).join('\n')}
`;
mkdirSync(args.out, { recursive: true });
writeFileSync(join(args.out, 'encoders.md'), md);
console.log(md);
