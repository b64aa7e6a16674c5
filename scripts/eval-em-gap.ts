/**
 * `npm run eval:em-gap`: is the gap between validation F1 and record-disjoint test F1 real, or the
 * noise of one small split? For each benchmark the training data (train + valid, never the given test)
 * is split record-disjointly (`recordDisjointSplit`, whole product clusters) with several seeds; each
 * split trains the GBDT matcher on its train part, picks the threshold on its valid part, and scores its
 * test part once. Reports per seed and the mean gap (test − valid) with its 95 % t-interval, so the
 * issue's yardstick ("record-disjoint within 5 points of valid") is judged on the interval, not one draw.
 * Writes docs/benchmarks/em-record-disjoint-gap.md. Skips cleanly when ../shared/datasets is absent.
 *
 * EM_ONLY=key,key limits the benchmarks; EM_GAP_SEEDS the split seeds (default 5); EM_SEEDS the
 * boosted models averaged per matcher (default 1 here: the spread between splits is the subject);
 * EM_TREES caps boosting rounds.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chooseThresholdRule, evaluateThresholdRules } from '../src/learning/calibration.ts';
import { markdownTable, pct } from '../src/learning/eval-report.ts';
import { trainMatcher } from '../src/learning/matcher.ts';
import { pairMetricsAt } from '../src/learning/metrics.ts';
import { recordDisjointSplit } from '../src/learning/splits.ts';
import { createTextAnalyzer } from '../src/text/text-analyzer.ts';
import { emBenchmarks } from './em-benchmarks.ts';
import { git } from './git.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = process.env['PRODSIM_SHARED'] ?? resolve(ROOT, '../shared');
const EM_DIR = join(SHARED, 'datasets/entity-matching');
const OUT_MD = join(ROOT, 'docs/benchmarks/em-record-disjoint-gap.md');

if (!existsSync(EM_DIR)) {
  console.log(`eval:em-gap skipped: ${EM_DIR} not found (the public benchmarks live outside the repository, in ../shared)`);
  process.exit(0);
}

const only = process.env['EM_ONLY']?.split(',');
const splitSeeds = Number(process.env['EM_GAP_SEEDS'] ?? 5);
const gbdtSeeds = Number(process.env['EM_SEEDS'] ?? 1);
const gbdtCap = process.env['EM_TREES'] ? { trees: Number(process.env['EM_TREES']) } : {};
/** EM_TOKEN_MODEL=0: matchers without the learned token model (`tokens.learned`), to measure what it adds. */
const tokenModel = process.env['EM_TOKEN_MODEL'] === '0' ? (false as const) : {};
const analyzer = createTextAnalyzer();
const log = (msg: string) => process.stderr.write(`[eval:em-gap ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/** Two-sided 97.5 % quantiles of Student's t for 1–9 degrees of freedom (more: 2.262 is close enough below 2.26). */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262];

interface SeedResult {
  seed: number;
  sizes: [number, number, number];
  positives: number;
  validF1: number;
  testF1: number;
  chosenRule: string;
  chosenTestF1: number;
}

const started = performance.now();
const results: { name: string; seeds: SeedResult[] }[] = [];
for (const bench of emBenchmarks(EM_DIR)) {
  if (only && !only.includes(bench.key)) continue;
  const loaded = bench.load();
  const seeds: SeedResult[] = [];
  for (let seed = 1; seed <= splitSeeds; seed++) {
    const split = recordDisjointSplit([...loaded.train, ...loaded.valid], { seed, ...(loaded.clusterOf ? { clusterOf: loaded.clusterOf } : {}) });
    const y = (pairs: typeof split.test) => Uint8Array.from(pairs, (p) => p.label ?? 0);
    if (!y(split.valid).includes(1) || !y(split.test).includes(1)) {
      log(`${bench.name} seed ${seed}: a part has no match, skipped`);
      continue;
    }
    const m = trainMatcher(split.train, split.valid, { classifier: 'gbdt', records: loaded.records, gbdt: gbdtCap, gbdtSeeds, tokenModel }, analyzer);
    const sv = m.score(split.valid);
    const st = m.score(split.test);
    const validF1 = m.model.training.validMetrics?.f1 ?? Number.NaN;
    const testF1 = pairMetricsAt(st, y(split.test), m.model.threshold).f1;
    const choice = chooseThresholdRule({ pairs: split.valid, scores: sv });
    const chosenTestF1 = evaluateThresholdRules({ scores: sv, labels: y(split.valid) }, { pairs: split.test, scores: st })[choice.rule].f1;
    seeds.push({ seed, sizes: [split.train.length, split.valid.length, split.test.length], positives: y(split.test).reduce((a, b) => a + b, 0), validF1, testF1, chosenRule: choice.rule, chosenTestF1 });
    log(`${bench.name} seed ${seed}: valid ${pct(validF1)}, record-disjoint test ${pct(testF1)} (gap ${((testF1 - validF1) * 100).toFixed(1)}); rule chosen on valid ${choice.rule} → ${pct(chosenTestF1)}`);
  }
  results.push({ name: bench.name, seeds });
}

function summary(values: number[]): { mean: number; low: number; high: number; sd: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : Number.NaN;
  const half = n > 1 ? (T975[Math.min(n - 1, T975.length) - 1]! * sd) / Math.sqrt(n) : Number.NaN;
  return { mean, low: mean - half, high: mean + half, sd };
}
const pts = (v: number) => (Number.isFinite(v) ? (v * 100).toFixed(1) : '—');

const table = markdownTable(
  ['benchmark', 'seeds', 'valid F1 (mean)', 'record-disjoint test F1 (mean)', 'gap test − valid: mean [95 % interval]', 'gap sd', 'per seed: valid → test', 'test F1, rule chosen on valid (mean)', 'meets "within 5": interval reaches −5'],
  results.map((r) => {
    const gaps = summary(r.seeds.map((s) => s.testF1 - s.validF1));
    return [
      r.name,
      r.seeds.length,
      pts(summary(r.seeds.map((s) => s.validF1)).mean),
      pts(summary(r.seeds.map((s) => s.testF1)).mean),
      `${pts(gaps.mean)} [${pts(gaps.low)}, ${pts(gaps.high)}]`,
      pts(gaps.sd),
      r.seeds.map((s) => `${pts(s.validF1)}→${pts(s.testF1)}`).join(', '),
      pts(summary(r.seeds.map((s) => s.chosenTestF1)).mean),
      Number.isFinite(gaps.high) ? (gaps.high >= -0.05 ? 'yes' : 'no') : '—',
    ];
  }),
  ['l', 'r', 'r', 'r', 'r', 'r', 'l', 'r', 'l'],
);
const sizes = markdownTable(
  ['benchmark', 'train / valid / test pairs per seed (test matches)', 'rules chosen on valid'],
  results.map((r) => [r.name, r.seeds.map((s) => `${s.sizes.join(' / ')} (${s.positives})`).join('; '), r.seeds.map((s) => s.chosenRule).join(', ')]),
  ['l', 'l', 'l'],
);

const seconds = (performance.now() - started) / 1000;
const md = `# Record-disjoint test F1 against valid F1, over several splits

Produced by \`npm run eval:em-gap\` (scripts/eval-em-gap.ts) on commit \`${git('rev-parse --short HEAD')}\`, ${new Date().toISOString().slice(0, 10)},
Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${seconds.toFixed(0)} s wall; ${splitSeeds} split seeds, ${gbdtSeeds} boosted model(s) per matcher${gbdtCap.trees ? `, at most ${gbdtCap.trees} trees` : ''}.

\`eval:em\` reports one record-disjoint split (seed 1). Its test parts are small (tens to a few hundred pairs, tens of
matches), so one split's gap to valid F1 is mostly the luck of that split. Here each benchmark's training data (train +
valid, never the given test) is split record-disjointly with seeds 1–${splitSeeds} (whole product clusters to train /
valid / test, 60 / 20 / 20); each split trains the GBDT matcher, takes the max-F1 threshold on its valid part, and
scores its test part once. The gap is test F1 − valid F1 in points; the interval is the mean's 95 % t-interval.

**Yardstick** (proposed for the issue's "record-disjoint figures within 5 points of valid F1"): a benchmark meets it
when the 95 % interval of its mean gap reaches −5 or above, i.e. the data do not show a gap larger than 5 points.

${table}

The valid F1 is the one the threshold was picked on (max-F1), so it is optimistic by construction; the "rule chosen on
valid" column decides test with the threshold rule picked on valid alone (\`chooseThresholdRule\`, see
[entity-matching.md](entity-matching.md#threshold-rules-for-unseen-products)).

${sizes}
`;
mkdirSync(dirname(OUT_MD), { recursive: true });
writeFileSync(OUT_MD, md);
log(`wrote ${OUT_MD} in ${seconds.toFixed(0)} s`);
