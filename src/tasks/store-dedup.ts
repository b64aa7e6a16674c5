/**
 * Duplicates inside the store, at a cost that grows near-linearly with the catalog (issue 17: the
 * all-pairs blocking of `findDuplicates` took 805 s at 62k products). Each product's candidates come
 * from the three lookups the store already keeps, `blockK` from each:
 *
 *   1. its nearest neighbours in the ANN index over the text space (cross-language twins meet there),
 *   2. a BM25 query of its rarest title tokens in the keyword index (as `similar` asks: MORE_LIKE_THIS),
 *   3. products carrying one of its model numbers, exactly or within one edit (the model-number lookup).
 *
 * Each unordered pair is scored once with the fusion profile, or a trained scorer's probability (a
 * pair found from both sides is scored from the first), and pairs above the threshold are grouped,
 * best first, unless a conflict keeps two groups apart (`groupPairsWithCannotLinks`). Products are read in
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
import { compareProducts } from '../similarity/fusion.ts';
import type { CatalogIndex } from './catalog-index.ts';
import type { ProductRepresentation } from '../similarity/representation.ts';
import { groupPairsWithCannotLinks } from './duplicate-groups.ts';
import { DEFAULT_MATCH_OPTIONS, type DuplicateGroup, type MatchOptions, type MatchResult } from './match.ts';
import { createModelNumberLookup } from './model-number-lookup.ts';
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

export async function findStoreDuplicates(index: CatalogIndex, options: Partial<StoreDedupOptions> = {}): Promise<StoreDedupResult> {
  const opts: StoreDedupOptions = { ...DEFAULT_MATCH_OPTIONS, ...DEFAULT_STORE_DEDUP_OPTIONS, ...options };
  if (!(opts.threshold >= 0 && opts.threshold <= 1)) {
    throw createError('INVALID_ARGUMENT', `threshold must be in [0, 1], got ${opts.threshold}`, { field: 'threshold' });
  }
  if (!(Number.isInteger(opts.maxRepresentations) && opts.maxRepresentations >= 1)) {
    throw createError('INVALID_ARGUMENT', `maxRepresentations must be a positive integer, got ${opts.maxRepresentations}`, { field: 'maxRepresentations' });
  }
  const profile = resolveProfile(opts.profile);
  // Every product's key, id and canonical model numbers, in key order: the order of the scan, and the lookup.
  const products = await index.store.modelNumbersOf();
  const n = products.length;
  const ordinalOf = new Map<string, number>();
  products.forEach((p, i) => ordinalOf.set(p.id, i));
  const codes = createModelNumberLookup(products);
  const reps = createRepresentationCache(index, opts.maxRepresentations);
  /** Each scanned product's candidates (ordinals, sorted): a later product skips a pair found from here. */
  const candidatesOf: (Int32Array | undefined)[] = new Array<Int32Array | undefined>(n);
  const kept: { a: number; b: number; score: number }[] = [];
  /** Whether a scored pair's fields conflict (different products), by `a:b` ordinals. */
  const conflictOfPair = new Map<string, boolean>();
  const pairKey = (a: number, b: number) => (a < b ? `${a}:${b}` : `${b}:${a}`);
  const found = { dense: 0, keyword: 0, modelNumber: 0 };
  let candidatePairs = 0;

  for (let start = 0; start < n; start += STORE_DEDUP_BATCH) {
    opts.signal?.throwIfAborted();
    const batch = products.slice(start, start + STORE_DEDUP_BATCH);
    const batchReps = await reps.get(batch);
    // Blocking of the whole batch first, so the candidates of all its products are read at once.
    const toScoreOf: { id: string; key?: number }[][] = [];
    for (let b = 0; b < batch.length; b++) {
      const rep = batchReps[b];
      if (!rep) continue;
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
      const codeHits = batch[b]!.modelNumbers.flatMap((code) => codes.find(code)).sort((x, y) => x.edits - y.edits);
      let fromCodes = 0;
      for (const h of codeHits) {
        if (fromCodes >= opts.blockK) break;
        const j = ordinalOf.get(h.id);
        if (j !== undefined && add(products[j]!)) fromCodes += 1;
      }
      found.modelNumber += fromCodes;

      candidatesOf[i] = Int32Array.from(hits.keys()).sort();
      // An unordered pair once: skip a product scanned earlier that already had this one as a
      // candidate (every product before this one in the batch is blocked already).
      toScoreOf[b] = [...hits].filter(([j]) => j > i || !holds(candidatesOf[j] ?? new Int32Array(0), i)).map(([, h]) => h);
    }
    const flat = toScoreOf.flatMap((t) => t ?? []);
    const candidateReps = await reps.get(flat);
    let offset = 0;
    for (let b = 0; b < batch.length; b++) {
      const rep = batchReps[b];
      const toScore = toScoreOf[b];
      if (!rep || !toScore) continue;
      const i = start + b;
      const candidates = candidateReps.slice(offset, offset + toScore.length).filter((c): c is ProductRepresentation => c !== undefined);
      offset += toScore.length;
      candidatePairs += candidates.length;
      const fused = candidates.map((candidate) => compareProducts(rep, candidate, { profile }));
      const probabilities = opts.scorer && candidates.length > 0 ? await opts.scorer.probability(candidates.map((c) => ({ left: rep.product, right: c.product }))) : undefined;
      candidates.forEach((candidate, c) => {
        const score = probabilities ? probabilities[c]! : (fused[c]!.score ?? 0);
        if (score < opts.threshold) return;
        const j = ordinalOf.get(candidate.product.id)!;
        kept.push({ a: i, b: j, score });
        conflictOfPair.set(pairKey(i, j), fused[c]!.conflicts.length > 0);
      });
    }
    opts.onProgress?.(Math.min(start + STORE_DEDUP_BATCH, n), n);
    // A turn for the event loop: a server keeps answering while a dedup runs in its thread.
    await new Promise((resolve) => setImmediate(resolve));
  }

  const idOf = (i: number) => products[i]!.id;
  // Grouping asks synchronously whether two members conflict: the kept pairs' products are looked up first.
  const inPairs = [...new Set(kept.flatMap((p) => [p.a, p.b]))];
  const repOf = new Map<number, ProductRepresentation | undefined>();
  for (let i = 0; i < inPairs.length; i += STORE_DEDUP_BATCH) {
    const ordinals = inPairs.slice(i, i + STORE_DEDUP_BATCH);
    const got = await reps.get(ordinals.map((o) => products[o]!));
    ordinals.forEach((o, r) => repOf.set(o, got[r]));
  }
  const cannotLink = (a: number, b: number): boolean => {
    const key = pairKey(a, b);
    let conflict = conflictOfPair.get(key);
    if (conflict === undefined) {
      const [ra, rb] = [repOf.get(a), repOf.get(b)];
      conflictOfPair.set(key, (conflict = ra !== undefined && rb !== undefined && compareProducts(ra, rb, { profile }).conflicts.length > 0));
    }
    return conflict;
  };
  const { groups: members, keptApart } = groupPairsWithCannotLinks(kept, cannotLink);
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
  return {
    groups,
    stats: {
      left: n,
      right: n,
      candidatePairs,
      aboveThreshold: kept.length,
      matched: groups.length,
      threshold: opts.threshold,
      oneToOne: false,
      scorer: opts.scorer?.name ?? `fused profile ${profile.name}`,
      keptApart: keptApart.length,
      candidates: found,
      productsRead: reps.read,
    },
  };
}
