/**
 * Duplicates inside the store, at a cost that grows near-linearly with the catalog (issue 17: the
 * all-pairs blocking of `findDuplicates` took 805 s at 62k products). Each product's candidates come
 * from the three lookups the store already keeps, `blockK` from each:
 *
 *   1. its nearest neighbours in the ANN index over the text space (cross-language twins meet there),
 *   2. a BM25 query of its rarest title tokens in the keyword index (as `similar` asks: MORE_LIKE_THIS),
 *   3. products carrying one of its model numbers, exactly or within one edit (the model-number lookup;
 *      one edit only outside a dense series of codes: `MAX_FUZZY_CODE_NEIGHBOURS`).
 *
 * Each unordered pair is scored once with the fusion profile, or a trained scorer's probability (a
 * pair found from both sides is scored from the first), and pairs above the threshold are grouped,
 * best first, unless a conflict keeps two groups apart (`groupPairsWithCannotLinks`); with a trained
 * scorer, also a pair inside a group that the scorer itself puts below the threshold. Products are read in
 * batches of `STORE_DEDUP_BATCH`; between batches the event loop gets a turn, progress is reported
 * and the signal checked.
 *
 * Store reads: a batch's products are blocked first, then the candidates of the whole batch that are
 * not in memory are read in one store read, and scored. Representations stay in a least-recently-used
 * cache of `maxRepresentations` (a product is a candidate of ~10 others, scattered over the scan):
 * reading each candidate again from its random row was most of the time at 30k products (16.3 ms per
 * product, 4.3 with the cache and the batched reads). Memory: the candidate list of every product
 * (about 3 × blockK integers) and the cache (a few KiB per representation).
 */
import { createError } from '../errors.ts';
import type { JobPair, ProductModelNumbers, ScoredJobPair } from '../store/store.ts';
import { compareProducts } from '../similarity/fusion.ts';
import type { CatalogStatistics } from '../similarity/catalog-statistics.ts';
import type { CatalogIndex } from './catalog-index.ts';
import type { ProductRepresentation } from '../similarity/representation.ts';
import { groupPairsWithCannotLinks, keepsGroupsApart, pairKey, pairsInGroupsApart } from './duplicate-groups.ts';
import { DEFAULT_MATCH_OPTIONS, type DuplicateGroup, type MatchOptions, type MatchResult } from './match.ts';
import { createModelNumberLookup, type ModelNumberHit } from './model-number-lookup.ts';
import { resolveProfile } from './profiles.ts';
import { summarizeProduct } from './result-item.ts';
import { rarestTokens } from './similar.ts';

/** Products read, blocked and scored between two turns of the event loop. */
export const STORE_DEDUP_BATCH = 256;

export interface StoreDedupOnlyOptions {
  /**
   * Most product representations kept in memory during the scan (least recently used leave first).
   * 200k hold a 100k-product store whole (~1.4 GiB peak with the indexes); a larger store reads a
   * candidate again when it left the cache.
   */
  maxRepresentations: number;
  /**
   * Called with every candidate pair as it is scored (ids, score, whether a conflict keeps the two
   * apart: `keepsGroupsApart`),
   * above the threshold or not: evaluations ask of a missed duplicate whether blocking never found
   * it or it scored too low (`npm run eval:dedup`). The scan of one process only, not a job's workers.
   */
  onScored?: ((a: string, b: string, score: number, conflict: boolean) => void) | undefined;
}

export const DEFAULT_STORE_DEDUP_OPTIONS = { maxRepresentations: 200_000 } as const satisfies StoreDedupOnlyOptions;

export type StoreDedupOptions = Pick<MatchOptions, 'blockK' | 'threshold' | 'profile' | 'scorer' | 'onProgress' | 'signal'> & StoreDedupOnlyOptions;

export interface StoreDedupResult {
  groups: DuplicateGroup[];
  stats: MatchResult['stats'] & {
    /** Pairs above the threshold left out because a conflict kept their groups apart. */
    keptApart: number;
    /** Candidates per source, summed over products (before pairs found twice are dropped). */
    candidates: { dense: number; keyword: number; modelNumber: number };
    /** Products read from the store (a product read again after it left the cache counts again). */
    productsRead: number;
    /** Codes looked up whose one-edit neighbours were not candidates: more than `MAX_FUZZY_CODE_NEIGHBOURS` of them. */
    denseCodeSeries: number;
  };
}

/**
 * Representations by id, least recently used first out: `Map` keeps insertion order, so a hit is
 * moved to the end and the first key is the one to drop.
 */
export function createRepresentationCache(index: CatalogIndex, capacity: number) {
  const cache = new Map<string, ProductRepresentation>();
  let read = 0;
  const put = (id: string, r: ProductRepresentation) => {
    cache.set(id, r);
    if (cache.size > capacity) cache.delete(cache.keys().next().value!);
  };
  return {
    get size() {
      return cache.size;
    },
    /** Products read from the store so far. */
    get read() {
      return read;
    },
    /** Representations aligned with `hits`; those not cached are read in one store read. */
    async get(hits: readonly { id: string; key?: number | undefined }[]): Promise<(ProductRepresentation | undefined)[]> {
      const missing: { id: string; key?: number | undefined }[] = [];
      const seen = new Set<string>();
      for (const h of hits) {
        const r = cache.get(h.id);
        if (r) {
          cache.delete(h.id);
          cache.set(h.id, r);
        } else if (!seen.has(h.id)) {
          seen.add(h.id);
          missing.push(h);
        }
      }
      const fetched = new Map<string, ProductRepresentation>();
      if (missing.length > 0) {
        const reps = await index.representHits(missing);
        read += missing.length;
        missing.forEach((h, i) => {
          const r = reps[i];
          if (r) fetched.set(h.id, r);
        });
      }
      // Cached after all hits are looked up: a read block larger than the cache still answers whole.
      const out = hits.map((h) => cache.get(h.id) ?? fetched.get(h.id));
      for (const [id, r] of fetched) put(id, r);
      return out;
    },
  };
}

/** Whether the sorted list holds `x` (binary search). */
function holds(sorted: Int32Array, x: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = sorted[mid]!;
    if (v === x) return true;
    if (v < x) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** What a scan of the store's products needs: the products in key order and the lookups over them. */
interface DedupScan {
  index: CatalogIndex;
  opts: StoreDedupOptions;
  profile: ReturnType<typeof resolveProfile>;
  /** The store's catalog statistics when the profile weighs evidence by them (a code on hundreds of products counts less). */
  catalog: CatalogStatistics | undefined;
  /** Every product's key, id and canonical model numbers, in key order: the order of the scan. */
  products: ProductModelNumbers[];
  ordinalOf: Map<string, number>;
  codes: ReturnType<typeof createModelNumberLookup>;
  reps: ReturnType<typeof createRepresentationCache>;
  found: { dense: number; keyword: number; modelNumber: number };
  /** Codes whose one-edit neighbours were left out (`MAX_FUZZY_CODE_NEIGHBOURS`). */
  denseCodeSeries: number;
}

function checkOptions(options: Partial<StoreDedupOptions>): StoreDedupOptions {
  const opts: StoreDedupOptions = { ...DEFAULT_MATCH_OPTIONS, ...DEFAULT_STORE_DEDUP_OPTIONS, ...options };
  if (!(opts.threshold >= 0 && opts.threshold <= 1)) {
    throw createError('INVALID_ARGUMENT', `threshold must be in [0, 1], got ${opts.threshold}`, { field: 'threshold' });
  }
  if (!(Number.isInteger(opts.maxRepresentations) && opts.maxRepresentations >= 1)) {
    throw createError('INVALID_ARGUMENT', `maxRepresentations must be a positive integer, got ${opts.maxRepresentations}`, { field: 'maxRepresentations' });
  }
  return opts;
}

async function prepareScan(index: CatalogIndex, opts: StoreDedupOptions): Promise<DedupScan> {
  const profile = resolveProfile(opts.profile);
  // Every worker of a job reads the statistics of the same revision (checked by jobScan), so all score alike.
  const catalog = profile.weighByCatalog ? await index.catalogStatistics() : undefined;
  const products = await index.store.modelNumbersOf();
  const ordinalOf = new Map<string, number>();
  products.forEach((p, i) => ordinalOf.set(p.id, i));
  return {
    index,
    opts,
    profile,
    catalog,
    products,
    ordinalOf,
    codes: createModelNumberLookup(products),
    reps: createRepresentationCache(index, opts.maxRepresentations),
    found: { dense: 0, keyword: 0, modelNumber: 0 },
    denseCodeSeries: 0,
  };
}

/**
 * The candidates of the products at ordinals [start, end), from the three lookups, `blockK` from
 * each: per product (undefined when it could not be represented) the candidates' ordinals in the
 * order found, with their hits.
 */
async function blockRange(scan: DedupScan, start: number, end: number): Promise<(Map<number, { id: string; key?: number }> | undefined)[]> {
  const { index, opts, products, ordinalOf, codes, found } = scan;
  const batch = products.slice(start, end);
  const batchReps = await scan.reps.get(batch);
  const out: (Map<number, { id: string; key?: number }> | undefined)[] = [];
  for (let b = 0; b < batch.length; b++) {
    const rep = batchReps[b];
    if (!rep) {
      out.push(undefined);
      continue;
    }
    const i = start + b;
    const self = rep.product.id;
    const hits = new Map<number, { id: string; key?: number }>();
    const add = (h: { id: string; key?: number }) => {
      const j = ordinalOf.get(h.id);
      if (j === undefined || j === i || hits.has(j)) return false;
      hits.set(j, h);
      return true;
    };
    if (rep.dense.title) for (const h of await index.nearest(rep.dense.title, opts.blockK, { exclude: new Set([self]) })) if (add(h)) found.dense += 1;
    const rare = await rarestTokens(index, rep.text.title.tokens);
    if (rare.length > 0) for (const h of await index.keyword(rare, opts.blockK + 1)) if (add(h)) found.keyword += 1;
    const codeHits = batch[b]!.modelNumbers.flatMap((code) => codeCandidates(codes.find(code), scan)).sort((x, y) => x.edits - y.edits);
    let fromCodes = 0;
    for (const h of codeHits) {
      if (fromCodes >= opts.blockK) break;
      const j = ordinalOf.get(h.id);
      if (j !== undefined && add(products[j]!)) fromCodes += 1;
    }
    found.modelNumber += fromCodes;
    out.push(hits);
  }
  return out;
}

/**
 * Codes one edit from a product's code are candidates only when there are at most this many: a typo
 * or another way of writing one code has few neighbours, but in a dense series (`mx7805`, `mx7806`, …)
 * a code one edit away is another model. At 1M synthetic products a code had 14 such neighbours (1.4
 * at 100k: bench/model-number-lookup.ts), they filled the lookup's `blockK` and doubled the pairs
 * scored per product (20 against 7.7), while the planted duplicates share their code exactly.
 */
export const MAX_FUZZY_CODE_NEIGHBOURS = 3;

/** A code's lookup hits a dedup takes: the exact ones, and the one-edit ones unless the code sits in a dense series. */
function codeCandidates(hits: readonly ModelNumberHit[], scan: DedupScan): readonly ModelNumberHit[] {
  const fuzzyCodes = new Set(hits.filter((h) => h.edits > 0).map((h) => h.code));
  if (fuzzyCodes.size <= MAX_FUZZY_CODE_NEIGHBOURS) return hits;
  scan.denseCodeSeries += 1;
  return hits.filter((h) => h.edits === 0);
}

/** A pair to score, from the side that found it first (`scanner`): ordinals. */
interface PairToScore {
  scanner: number;
  other: number;
}

/**
 * Scores pairs with the fusion profile, or the trained scorer's probability: aligned with `pairs`,
 * undefined where a side could not be represented.
 */
async function scorePairs(scan: DedupScan, pairs: readonly PairToScore[]): Promise<({ score: number; conflict: boolean } | undefined)[]> {
  const { products, profile, catalog, opts } = scan;
  const reps = await scan.reps.get(pairs.flatMap((p) => [products[p.scanner]!, products[p.other]!]));
  const both: { at: number; a: ProductRepresentation; b: ProductRepresentation }[] = [];
  pairs.forEach((_, at) => {
    const [a, b] = [reps[2 * at], reps[2 * at + 1]];
    if (a && b) both.push({ at, a, b });
  });
  const fused = both.map(({ a, b }) => compareProducts(a, b, { profile, catalog }));
  const probabilities = opts.scorer && both.length > 0 ? await opts.scorer.probability(both.map(({ a, b }) => ({ left: a.product, right: b.product }))) : undefined;
  const out = Array.from<{ score: number; conflict: boolean } | undefined>({ length: pairs.length });
  both.forEach(({ at }, c) => {
    out[at] = { score: probabilities ? probabilities[c]! : (fused[c]!.score ?? 0), conflict: keepsGroupsApart(fused[c]!) };
  });
  return out;
}


/** Groups the pairs above the threshold (`kept`: a is the side that scored it), best first, unless a conflict keeps two groups apart. */
async function groupKept(
  scan: DedupScan,
  kept: { a: number; b: number; score: number }[],
  conflictOfPair: Map<string, boolean>,
  counts: { candidatePairs: number; productsRead: number },
): Promise<StoreDedupResult> {
  const { index, products, profile, catalog, opts } = scan;
  const n = products.length;
  const idOf = (i: number) => products[i]!.id;
  // Grouping asks synchronously whether two members conflict: the kept pairs' products are looked up first.
  const inPairs = [...new Set(kept.flatMap((p) => [p.a, p.b]))];
  const repOf = new Map<number, ProductRepresentation | undefined>();
  for (let i = 0; i < inPairs.length; i += STORE_DEDUP_BATCH) {
    const ordinals = inPairs.slice(i, i + STORE_DEDUP_BATCH);
    const got = await scan.reps.get(ordinals.map((o) => products[o]!));
    ordinals.forEach((o, r) => repOf.set(o, got[r]));
  }
  const cannotLink = (a: number, b: number): boolean => {
    const key = pairKey(a, b);
    let conflict = conflictOfPair.get(key);
    if (conflict === undefined) {
      const [ra, rb] = [repOf.get(a), repOf.get(b)];
      conflictOfPair.set(key, (conflict = ra !== undefined && rb !== undefined && keepsGroupsApart(compareProducts(ra, rb, { profile, catalog }))));
    }
    return conflict;
  };
  let { groups: members, keptApart } = groupPairsWithCannotLinks(kept, cannotLink);
  if (opts.scorer) {
    // The pairs inside each group that the scorer itself calls different keep their products apart (`pairsInGroupsApart`).
    // Scoring a pair compares it field by field too: its conflict is kept, not computed again when grouping asks.
    const apart = async (pairs: readonly [number, number][]) => (await scorePairs(scan, pairs.map(([a, b]) => ({ scanner: a, other: b })))).map((s) => s !== undefined && (s.conflict || s.score < opts.threshold));
    for (const [key, verdict] of await pairsInGroupsApart(members, new Set(kept.map((p) => pairKey(p.a, p.b))), apart)) conflictOfPair.set(key, verdict);
    ({ groups: members, keptApart } = groupPairsWithCannotLinks(kept, cannotLink));
  }
  const memberIds = [...new Set(members.flat())].map(idOf);
  const summaries = new Map((await index.store.getProducts(memberIds)).map((s) => [s.product.id, summarizeProduct(s.product)]));
  const groupOf = new Map<number, DuplicateGroup>();
  for (const m of members) {
    const group: DuplicateGroup = { ids: m.map(idOf), products: m.map((i) => summaries.get(idOf(i))!), minScore: 1, pairs: [] };
    for (const i of m) groupOf.set(i, group);
  }
  for (const p of kept) {
    const g = groupOf.get(p.a);
    if (!g || g !== groupOf.get(p.b)) continue;
    g.pairs.push({ a: idOf(p.a), b: idOf(p.b), score: p.score });
    g.minScore = Math.min(g.minScore, p.score);
  }
  const groups = [...new Set(groupOf.values())].sort((a, b) => b.ids.length - a.ids.length || b.minScore - a.minScore);
  // A group's pairs best first (then by ordinal): the same list whichever order the pairs were scored in.
  const ordinal = (id: string) => scan.ordinalOf.get(id)!;
  for (const g of groups) g.pairs.sort((x, y) => y.score - x.score || ordinal(x.a) - ordinal(y.a) || ordinal(x.b) - ordinal(y.b));
  return {
    groups,
    stats: {
      left: n,
      right: n,
      candidatePairs: counts.candidatePairs,
      aboveThreshold: kept.length,
      matched: groups.length,
      threshold: opts.threshold,
      oneToOne: false,
      scorer: opts.scorer?.name ?? `fused profile ${profile.name}`,
      keptApart: keptApart.length,
      candidates: scan.found,
      productsRead: counts.productsRead,
      denseCodeSeries: scan.denseCodeSeries,
    },
  };
}

export async function findStoreDuplicates(index: CatalogIndex, options: Partial<StoreDedupOptions> = {}): Promise<StoreDedupResult> {
  const opts = checkOptions(options);
  const scan = await prepareScan(index, opts);
  const n = scan.products.length;
  /** Each scanned product's candidates (ordinals, sorted): a later product skips a pair found from here. */
  const candidatesOf: (Int32Array | undefined)[] = new Array<Int32Array | undefined>(n);
  const kept: { a: number; b: number; score: number }[] = [];
  /** Whether a scored pair's fields conflict (different products), by `a:b` ordinals. */
  const conflictOfPair = new Map<string, boolean>();
  let candidatePairs = 0;

  for (let start = 0; start < n; start += STORE_DEDUP_BATCH) {
    opts.signal?.throwIfAborted();
    const end = Math.min(start + STORE_DEDUP_BATCH, n);
    // Blocking of the whole batch first, so the candidates of all its products are read at once.
    const hitsOf = await blockRange(scan, start, end);
    const toScore: PairToScore[] = [];
    hitsOf.forEach((hits, b) => {
      if (!hits) return;
      const i = start + b;
      candidatesOf[i] = Int32Array.from(hits.keys()).sort();
      // An unordered pair once: skip a product scanned earlier that already had this one as a
      // candidate (every product before this one in the batch is blocked already).
      for (const j of hits.keys()) if (j > i || !holds(candidatesOf[j] ?? new Int32Array(0), i)) toScore.push({ scanner: i, other: j });
    });
    const scores = await scorePairs(scan, toScore);
    toScore.forEach((p, c) => {
      const s = scores[c];
      if (!s) return;
      candidatePairs += 1;
      opts.onScored?.(scan.products[p.scanner]!.id, scan.products[p.other]!.id, s.score, s.conflict);
      if (s.score < opts.threshold) return;
      kept.push({ a: p.scanner, b: p.other, score: s.score });
      conflictOfPair.set(pairKey(p.scanner, p.other), s.conflict);
    });
    opts.onProgress?.(end, n);
    // A turn for the event loop: a server keeps answering while a dedup runs in its thread.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return groupKept(scan, kept, conflictOfPair, { candidatePairs, productsRead: scan.reps.read });
}

// ------------------------------------------------------------------ several worker processes on one job

/**
 * A dedup of a PostgreSQL store by several worker processes (issue 16 item 5), over the store's
 * pair-job tables (`PairJobStore`): the products, in key order, are cut into blocks of `blockSize`.
 *
 *   1. phase `block`: a worker claims a block and writes its products' candidates (the same three
 *      lookups as `findStoreDuplicates`, in the database) as unordered pairs, keyed by (lower key,
 *      higher key), with whether the lower side found the higher one;
 *   2. phase `score`, once every block is blocked: a worker claims a block and scores the pairs
 *      whose lower key is in it, from the side a single process scores them from (the lower one
 *      when it found the pair, else the higher one), so the scores are the single process's;
 *   3. `finishStoreDedupJob` groups the pairs above the threshold as `findStoreDuplicates` does.
 *
 * Every pair row exists once and its block is scored by one worker: no pair is scored twice, and a
 * worker that dies leaves its block, unwritten, to another. The model-number lookup is built in
 * each worker from the store (an id and a few codes per product).
 */
export interface StoreDedupJobOptions {
  /** Products per block (a claim): smaller blocks spread the work more evenly, larger ones claim less often. */
  blockSize: number;
}

export const DEFAULT_STORE_DEDUP_JOB_OPTIONS = { blockSize: 1_024 } as const satisfies StoreDedupJobOptions;

function pairJobsOf(index: CatalogIndex) {
  const jobs = index.store.pairJobs;
  if (!jobs) throw createError('INVALID_ARGUMENT', `dedup workers need a PostgreSQL store (--store postgres://…); ${index.store.path} has no job tables`, { field: 'store' });
  return jobs;
}

/** Makes the job: its blocks over the store's current products. `options` is kept with it for the workers. */
export async function createStoreDedupJob(index: CatalogIndex, options: unknown, jobOptions: Partial<StoreDedupJobOptions> = {}): Promise<string> {
  const jobs = pairJobsOf(index);
  const { blockSize } = { ...DEFAULT_STORE_DEDUP_JOB_OPTIONS, ...jobOptions };
  if (!(Number.isInteger(blockSize) && blockSize >= 1)) throw createError('INVALID_ARGUMENT', `blockSize must be a positive integer, got ${blockSize}`, { field: 'blockSize' });
  const revision = await index.store.revision();
  const products = await index.store.modelNumbersOf();
  const blocks: { lo: number; hi: number }[] = [];
  for (let i = 0; i < products.length; i += blockSize) blocks.push({ lo: products[i]!.key, hi: products[Math.min(i + blockSize, products.length) - 1]!.key });
  return jobs.createJob({ kind: 'dedup', options, revision, products: products.length, blocks });
}

export interface StoreDedupWorkerOptions {
  /** Names the worker in the job's tables. */
  worker: string;
  /** Wait between two looks for a free block while others hold the rest. */
  pollMs?: number;
  onProgress?: (phase: 'block' | 'score', blocksDone: number, blocks: number) => void;
  signal?: AbortSignal;
}

async function jobScan(index: CatalogIndex, jobId: string, options: Partial<StoreDedupOptions>) {
  const jobs = pairJobsOf(index);
  const job = await jobs.getJob(jobId);
  if (!job) throw createError('INVALID_ARGUMENT', `no dedup job ${jobId} in ${index.store.path}`, { field: 'job' });
  const revision = await index.store.revision();
  if (revision !== job.revision) throw createError('INVALID_ARGUMENT', `the store changed since dedup job ${jobId} was made: make a new job`, { field: 'job' });
  const scan = await prepareScan(index, checkOptions(options));
  if (scan.products.length !== job.products) throw createError('INVALID_ARGUMENT', `dedup job ${jobId} was made for ${job.products} products, the store has ${scan.products.length}`, { field: 'job' });
  const ordinalOfKey = new Map<number, number>();
  scan.products.forEach((p, i) => ordinalOfKey.set(p.key, i));
  return { jobs, job, scan, ordinalOfKey };
}

/** Works on the job until no block is left: what one worker process runs. Returns the blocks it did per phase. */
export async function runStoreDedupWorker(index: CatalogIndex, jobId: string, options: Partial<StoreDedupOptions>, worker: StoreDedupWorkerOptions): Promise<Record<'block' | 'score', number>> {
  const { jobs, job, scan, ordinalOfKey } = await jobScan(index, jobId, options);
  const { products } = scan;
  const pollMs = worker.pollMs ?? 200;
  const did = { block: 0, score: 0 };
  for (const phase of ['block', 'score'] as const) {
    for (;;) {
      worker.signal?.throwIfAborted();
      const claim = await jobs.claim(jobId, phase, worker.worker);
      if (claim === 'done') break;
      if (claim === 'wait') {
        await new Promise((resolve) => setTimeout(resolve, pollMs));
        continue;
      }
      try {
        const start = ordinalOfKey.get(claim.lo);
        const last = ordinalOfKey.get(claim.hi);
        if (start === undefined || last === undefined) throw createError('INVALID_ARGUMENT', `dedup job ${jobId}: block ${claim.block} names products the store no longer has`, { field: 'job' });
        if (phase === 'block') {
          const before = { ...scan.found, denseCodeSeries: scan.denseCodeSeries };
          const pairs: JobPair[] = [];
          for (let s = start; s <= last; s += STORE_DEDUP_BATCH) {
            const end = Math.min(s + STORE_DEDUP_BATCH, last + 1);
            const hitsOf = await blockRange(scan, s, end);
            hitsOf.forEach((hits, b) => {
              const i = s + b;
              for (const j of hits?.keys() ?? []) {
                const [ki, kj] = [products[i]!.key, products[j]!.key];
                pairs.push(ki < kj ? { lo: ki, hi: kj, fromLow: true } : { lo: kj, hi: ki, fromLow: false });
              }
            });
            await new Promise((resolve) => setImmediate(resolve));
          }
          const stats = {
            dense: scan.found.dense - before.dense,
            keyword: scan.found.keyword - before.keyword,
            modelNumber: scan.found.modelNumber - before.modelNumber,
            denseCodeSeries: scan.denseCodeSeries - before.denseCodeSeries,
          };
          await claim.complete({ pairs, stats });
        } else {
          const pairs = await claim.pairs();
          const toScore = pairs.map((p) => {
            const [lo, hi] = [ordinalOfKey.get(p.lo)!, ordinalOfKey.get(p.hi)!];
            return p.fromLow ? { scanner: lo, other: hi } : { scanner: hi, other: lo };
          });
          const scored: ScoredJobPair[] = [];
          for (let s = 0; s < toScore.length; s += 4 * STORE_DEDUP_BATCH) {
            const part = toScore.slice(s, s + 4 * STORE_DEDUP_BATCH);
            const scores = await scorePairs(scan, part);
            scores.forEach((r, c) => {
              if (r) scored.push({ ...pairs[s + c]!, score: r.score, conflict: r.conflict });
            });
            await new Promise((resolve) => setImmediate(resolve));
          }
          await claim.complete({ scores: scored, stats: { candidatePairs: scored.length, productsRead: 0 } });
        }
      } catch (e) {
        // Clean up and rethrow: the claimed block is given back so another worker can take it.
        await claim.abandon();
        throw e;
      }
      did[phase] += 1;
      const now = await jobs.getJob(jobId);
      worker.onProgress?.(phase, now?.done[phase] ?? 0, job.blocks);
    }
  }
  return did;
}

/** The job's duplicate groups, once every block is scored (as `findStoreDuplicates` groups them). */
export async function finishStoreDedupJob(index: CatalogIndex, jobId: string, options: Partial<StoreDedupOptions>): Promise<StoreDedupResult & { job: { id: string; blocks: number; pairsScored: number; maxScoredTimes: number; byWorker: Record<string, number> } }> {
  const { jobs, job, scan, ordinalOfKey } = await jobScan(index, jobId, options);
  if (job.done.score < job.blocks) throw createError('INVALID_ARGUMENT', `dedup job ${jobId} is not finished: ${job.done.block}/${job.blocks} blocks blocked, ${job.done.score}/${job.blocks} scored`, { field: 'job' });
  const kept: { a: number; b: number; score: number }[] = [];
  const conflictOfPair = new Map<string, boolean>();
  for (const p of await jobs.scoredPairs(jobId, scan.opts.threshold)) {
    const [lo, hi] = [ordinalOfKey.get(p.lo)!, ordinalOfKey.get(p.hi)!];
    kept.push(p.fromLow ? { a: lo, b: hi, score: p.score } : { a: hi, b: lo, score: p.score });
    conflictOfPair.set(pairKey(lo, hi), p.conflict);
  }
  scan.found = { dense: job.stats['dense'] ?? 0, keyword: job.stats['keyword'] ?? 0, modelNumber: job.stats['modelNumber'] ?? 0 };
  scan.denseCodeSeries = job.stats['denseCodeSeries'] ?? 0;
  const counts = await jobs.pairCounts(jobId);
  const result = await groupKept(scan, kept, conflictOfPair, { candidatePairs: job.stats['candidatePairs'] ?? 0, productsRead: scan.reps.read });
  return { ...result, job: { id: jobId, blocks: job.blocks, pairsScored: counts.scored, maxScoredTimes: counts.maxScoredTimes, byWorker: counts.byWorker } };
}
