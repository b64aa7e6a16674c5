/**
 * Why nearest-neighbour recall@10 is low on the synthetic catalog (`npm run bench:nn-recall -- --store D/store.db`):
 * over the text vectors of a store (one that bench/tasks.ts kept with `--dir D --keep`), item vectors as
 * queries and the source left out, it compares against an exact scan:
 *
 *   - id recall@10: the share of the exact ten ids returned (the figure bench/postgres.ts reports);
 *   - tie-aware recall@10: the share of returned products at least as close as the exact tenth, less
 *     `--tie` (a returned product tied with the tenth is as good an answer as the one the exact scan kept);
 *   - how many products tie with the tenth (within `--tie`), the reason the two differ;
 *
 * for the engine's own retriever (`catalog.nearest`) and for fresh usearch indexes of the same vectors
 * built with the default options but other breadths (`expansionSearch`) and f32 instead of f16.
 * Prints JSON; no report is written.
 */
import { parseArgs } from 'node:util';
import { createEngine } from '../src/engine/engine.ts';
import { ANN_INDEX_DEFAULTS, createAnnIndex, type AnnQuantization } from '../src/store/ann/index.ts';
import { collectAll } from '../src/store/store.ts';
import { nowMs, round3 } from './tasks.ts';

const { values: args } = parseArgs({ options: { store: { type: 'string' }, probes: { type: 'string', default: '200' }, tie: { type: 'string', default: '0.001' } } });
if (!args.store) throw new Error('--store <path to a store.db> is required');
const K = 10;
const tie = Number(args.tie);
const engine = await createEngine({ storePath: args.store, images: false, readonly: true });
const encoderId = engine.catalog.textEncoder.id;
const rows = await collectAll(engine.store.vectorsFor(encoderId));
const n = rows.length;
const dim = rows[0]!.vector.length;
const unit = rows.map((r) => {
  let s = 0;
  for (const x of r.vector) s += x * x;
  const inv = 1 / Math.sqrt(s || 1);
  return Float32Array.from(r.vector, (x) => x * inv);
});
const dot = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
const step = Math.max(1, Math.floor(n / Number(args.probes)));
const probes = Array.from({ length: Math.min(Number(args.probes), n) }, (_, i) => i * step);

/**
 * Exact cosines to each probe (source left out), sorted descending, kept down to the tenth less `tie`:
 * all that the recalls and tie counts below read (the whole list is 100k entries a probe at 100k).
 */
const exact = probes.map((p) => {
  const sims: { key: number; cos: number }[] = [];
  for (let j = 0; j < n; j++) if (j !== p) sims.push({ key: j, cos: dot(unit[p]!, unit[j]!) });
  sims.sort((a, b) => b.cos - a.cos);
  const floor = sims[K - 1]!.cos - tie;
  return sims.filter((m, i) => i < K || m.cos >= floor);
});

interface RecallRow { retriever: string; idRecall: number; tieAwareRecall: number; p50Ms: number }
function score(name: string, answers: number[][], times: number[]): RecallRow {
  let idHit = 0;
  let tieHit = 0;
  answers.forEach((got, i) => {
    const ex = exact[i]!;
    const truth = new Set(ex.slice(0, K).map((m) => m.key));
    const tenth = ex[K - 1]!.cos;
    for (const key of got.slice(0, K)) {
      if (truth.has(key)) idHit++;
      if (dot(unit[probes[i]!]!, unit[key]!) >= tenth - tie) tieHit++;
    }
  });
  const sorted = [...times].sort((a, b) => a - b);
  return { retriever: name, idRecall: round3(idHit / (answers.length * K)), tieAwareRecall: round3(tieHit / (answers.length * K)), p50Ms: round3(sorted[Math.floor(sorted.length / 2)]!) };
}

const results: RecallRow[] = [];
{
  const keyOf = new Map(rows.map((r, i) => [r.id, i] as const));
  const answers: number[][] = [];
  const times: number[] = [];
  for (const p of probes) {
    const t = nowMs();
    const hits = await engine.catalog.nearest(rows[p]!.vector, K, { exclude: new Set([rows[p]!.id]) });
    times.push(nowMs() - t);
    answers.push(hits.map((h) => keyOf.get(h.id)!));
  }
  results.push(score('engine catalog.nearest (default index)', answers, times));
}
for (const [quantization, ef] of [['f16', 64], ['f16', 256], ['f16', 1024], ['f32', 64], ['f32', 256]] as [AnnQuantization, number][]) {
  const index = createAnnIndex({ dimension: dim, quantization, expansionSearch: ef });
  index.add(Float64Array.from(unit, (_, i) => i), unit);
  const answers: number[][] = [];
  const times: number[] = [];
  for (const p of probes) {
    const t = nowMs();
    const got = index.search(unit[p]!, K + 1).filter((m) => m.key !== p).slice(0, K);
    times.push(nowMs() - t);
    answers.push(got.map((m) => Number(m.key)));
  }
  results.push(score(`usearch ${quantization}, expansionSearch ${ef} (default ${ANN_INDEX_DEFAULTS.expansionSearch})`, answers, times));
}
const tiedWithTenth = exact.map((ex) => ex.filter((m) => m.cos >= ex[K - 1]!.cos - tie).length);
const exactDuplicates = exact.map((ex) => ex.filter((m) => m.cos >= 1 - 1e-6).length);
const mean = (xs: number[]) => round3(xs.reduce((a, b) => a + b, 0) / xs.length);
console.log(
  JSON.stringify(
    {
      products: n,
      dimension: dim,
      probes: probes.length,
      tie,
      productsAtLeastAsCloseAsTheTenth: { mean: mean(tiedWithTenth), max: Math.max(...tiedWithTenth), probesWithMoreThan10: tiedWithTenth.filter((c) => c > K).length },
      identicalVectors: { mean: mean(exactDuplicates), probesWithAny: exactDuplicates.filter((c) => c > 0).length },
      results,
    },
    null,
    2,
  ),
);
await engine.close();
