/**
 * Record-disjoint splits of labelled pairs: no record (and no product cluster) of one part occurs in
 * another. Public pair benchmarks reuse the same records across train and test (Taobao: 3,957 of the
 * 4,000 test records are in train), so a test score there measures memorised records as much as
 * matching; a record-disjoint split measures matching on products never seen in training.
 */
import { createError } from '../errors.ts';
import { seededRandom } from '../random.ts';
import type { LabeledPair, PairRecord } from './pairs.ts';

export interface RecordDisjointSplitOptions {
  /** Shares of product clusters given to train, valid and test (normalised; train > 0, the others ≥ 0). */
  shares: readonly [number, number, number];
  seed: number;
  /** Identity of a record (two pairs naming the same record must give the same key). */
  recordKey: (record: PairRecord, pair: LabeledPair, side: 'left' | 'right') => string;
  /**
   * The product cluster of a record when the data has one (WDC Products, Taobao cluster ids); without
   * it, clusters are the connected components of the matching pairs.
   */
  clusterOf: ((record: PairRecord, pair: LabeledPair, side: 'left' | 'right') => string | undefined) | undefined;
  /**
   * A match stays whole inside a cluster, a non-match needs both its clusters in one part: left alone,
   * valid and test would hold every match of their clusters but only about share² of the non-matches
   * (WDC Products: 400 matches to 309 non-matches instead of 1 to 4), which flatters F1. With this on,
   * matches of valid and test are subsampled (seeded) back to the match rate of all the pairs.
   */
  keepMatchRate: boolean;
}

export const DEFAULT_RECORD_DISJOINT_OPTIONS = {
  shares: [0.6, 0.2, 0.2],
  seed: 1,
  recordKey: (record: PairRecord) => JSON.stringify(record),
  clusterOf: undefined,
  keepMatchRate: true,
} as const satisfies RecordDisjointSplitOptions;

export interface RecordDisjointSplit {
  train: LabeledPair[];
  valid: LabeledPair[];
  test: LabeledPair[];
  /** Pairs whose two records fell into different parts: used nowhere. */
  dropped: number;
  clusters: number;
}

/** Union–find over string keys. */
function createUnionFind(): { find(k: string): string; union(a: string, b: string): void } {
  const parent = new Map<string, string>();
  const find = (k: string): string => {
    let root = k;
    while (parent.has(root) && parent.get(root) !== root) root = parent.get(root)!;
    // path compression
    let cur = k;
    while (cur !== root) {
      const next = parent.get(cur) ?? root;
      parent.set(cur, root);
      cur = next;
    }
    if (!parent.has(root)) parent.set(root, root);
    return root;
  };
  return {
    find,
    union(a, b) {
      const ra = find(a);
      const rb = find(b);
      if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
    },
  };
}

/**
 * Groups records into product clusters (given cluster ids, or the connected components of the
 * matching pairs), assigns whole clusters to train / valid / test at random (seeded), and keeps a
 * pair only when both its records fall in the same part. No record and no cluster is in two parts.
 */
export function recordDisjointSplit(pairs: readonly LabeledPair[], options: Partial<RecordDisjointSplitOptions> = {}): RecordDisjointSplit {
  const opts: RecordDisjointSplitOptions = { ...DEFAULT_RECORD_DISJOINT_OPTIONS, ...options };
  const [a, b, c] = opts.shares;
  if (!(a > 0 && b >= 0 && c >= 0)) throw createError('INVALID_ARGUMENT', `record-disjoint split: shares must be > 0 (train) and ≥ 0, got ${opts.shares.join(' / ')}`, { field: 'shares' });
  const uf = createUnionFind();
  const keys = pairs.map((p) => [opts.recordKey(p.left, p, 'left'), opts.recordKey(p.right, p, 'right')] as const);
  pairs.forEach((p, i) => {
    const [kl, kr] = keys[i]!;
    uf.find(kl);
    uf.find(kr);
    // A record is tied to its cluster id (so records of one product stay together) or, without ids,
    // to the records it matches.
    if (opts.clusterOf) {
      const cl = opts.clusterOf(p.left, p, 'left');
      const cr = opts.clusterOf(p.right, p, 'right');
      if (cl !== undefined) uf.union(kl, `cluster:${cl}`);
      if (cr !== undefined) uf.union(kr, `cluster:${cr}`);
    } else if (p.label === 1) uf.union(kl, kr);
  });
  // Clusters in first-seen order, shuffled with the seed, then cut by share.
  const roots: string[] = [];
  const seen = new Set<string>();
  for (const [kl, kr] of keys) {
    for (const k of [kl, kr]) {
      const r = uf.find(k);
      if (!seen.has(r)) {
        seen.add(r);
        roots.push(r);
      }
    }
  }
  const rand = seededRandom(opts.seed);
  for (let i = roots.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [roots[i], roots[j]] = [roots[j]!, roots[i]!];
  }
  const total = a + b + c;
  const cutTrain = Math.round((roots.length * a) / total);
  const cutValid = Math.round((roots.length * (a + b)) / total);
  const partOf = new Map<string, 0 | 1 | 2>();
  roots.forEach((r, i) => partOf.set(r, i < cutTrain ? 0 : i < cutValid ? 1 : 2));
  const parts: [LabeledPair[], LabeledPair[], LabeledPair[]] = [[], [], []];
  let dropped = 0;
  pairs.forEach((p, i) => {
    const [kl, kr] = keys[i]!;
    const pl = partOf.get(uf.find(kl))!;
    const pr = partOf.get(uf.find(kr))!;
    if (pl === pr) parts[pl].push(p);
    else dropped++;
  });
  if (opts.keepMatchRate) {
    const rate = pairs.filter((p) => p.label === 1).length / Math.max(1, pairs.length);
    for (const k of [1, 2] as const) {
      const part = parts[k];
      const matches = part.filter((p) => p.label === 1);
      const others = part.length - matches.length;
      const keep = rate < 1 ? Math.min(matches.length, Math.round((rate * others) / (1 - rate))) : matches.length;
      if (keep >= matches.length) continue;
      // Seeded choice of `keep` matches, the part's order otherwise kept.
      const chosen = new Set(matches.map((p) => [p, rand()] as const).sort((x, y) => x[1] - y[1]).slice(0, keep).map(([p]) => p));
      dropped += matches.length - keep;
      parts[k] = part.filter((p) => p.label !== 1 || chosen.has(p));
    }
  }
  return { train: parts[0], valid: parts[1], test: parts[2], dropped, clusters: roots.length };
}

/** How many distinct records (by key) of `test` also occur in `train`. */
export function sharedRecordCount(
  train: readonly LabeledPair[],
  test: readonly LabeledPair[],
  recordKey: (record: PairRecord) => string = DEFAULT_RECORD_DISJOINT_OPTIONS.recordKey,
): { shared: number; testRecords: number } {
  const seen = new Set(train.flatMap((p) => [recordKey(p.left), recordKey(p.right)]));
  const testKeys = new Set(test.flatMap((p) => [recordKey(p.left), recordKey(p.right)]));
  let shared = 0;
  for (const k of testKeys) if (seen.has(k)) shared++;
  return { shared, testRecords: testKeys.size };
}

/** Share of the distinct records of `valid` that also occur in `train` (0 when valid is empty). */
export function sharedRecordShare(train: readonly LabeledPair[], valid: readonly LabeledPair[]): number {
  const { shared, testRecords } = sharedRecordCount(train, valid);
  return testRecords === 0 ? 0 : shared / testRecords;
}

/**
 * Validation pairs that mostly repeat training records cannot tell when boosting starts to memorise
 * those records: their loss keeps falling with every tree (Taobao val, 1,265 of 1,287 records in
 * train: valid log loss 0.315 → 0.149 from 50 to 1,500 trees, so the 1,500-tree cap was always hit).
 * Above this share, early stopping runs on a record-disjoint part of the training pairs instead.
 */
export const MAX_SHARED_RECORD_SHARE_FOR_EARLY_STOPPING = 0.2;

/**
 * Indices of the training pairs to fit on and of those to stop on, record-disjoint (whole product
 * clusters held out, `stopShare` of them), for early stopping when the validation pairs share too
 * many records with the training pairs; undefined when validation pairs are fit for it.
 */
export function earlyStoppingSplit(
  train: readonly LabeledPair[],
  valid: readonly LabeledPair[],
  options: { stopShare?: number; seed?: number } = {},
): { fit: number[]; stop: number[]; sharedRecordShare: number } | undefined {
  const shared = sharedRecordShare(train, valid);
  if (valid.length > 0 && shared <= MAX_SHARED_RECORD_SHARE_FOR_EARLY_STOPPING) return undefined;
  const stopShare = options.stopShare ?? 0.2;
  const index = new Map<LabeledPair, number>(train.map((p, i) => [p, i]));
  const split = recordDisjointSplit(train, { shares: [1 - stopShare, stopShare, 0], seed: options.seed ?? 1 });
  const fit = split.train.map((p) => index.get(p)!);
  const stop = split.valid.map((p) => index.get(p)!);
  const hasBoth = (idx: number[]) => idx.some((i) => train[i]!.label === 1) && idx.some((i) => train[i]!.label !== 1);
  if (!hasBoth(fit) || !hasBoth(stop)) return undefined;
  return { fit, stop, sharedRecordShare: shared };
}

/**
 * Each pair's two fold numbers (0 … folds − 1) when whole product clusters (the connected components
 * of the matching pairs, records by `recordKey`) are dealt to `folds` folds at random (seeded): a model
 * fitted without folds f and g has seen no record, and no product, of a pair whose folds are f and g.
 */
export function clusterFolds(
  pairs: readonly LabeledPair[],
  folds: number,
  options: { seed?: number; recordKey?: (record: PairRecord) => string } = {},
): [number, number][] {
  if (!Number.isInteger(folds) || folds < 2) throw createError('INVALID_ARGUMENT', `clusterFolds: folds must be an integer ≥ 2, got ${folds}`, { field: 'folds' });
  const recordKey = options.recordKey ?? DEFAULT_RECORD_DISJOINT_OPTIONS.recordKey;
  const uf = createUnionFind();
  const keys = pairs.map((p) => [recordKey(p.left), recordKey(p.right)] as const);
  pairs.forEach((p, i) => {
    const [kl, kr] = keys[i]!;
    if (p.label === 1) uf.union(kl, kr);
  });
  const rand = seededRandom(options.seed ?? 1);
  const foldOf = new Map<string, number>();
  const fold = (k: string) => {
    const root = uf.find(k);
    let f = foldOf.get(root);
    if (f === undefined) foldOf.set(root, (f = Math.floor(rand() * folds)));
    return f;
  };
  return keys.map(([kl, kr]) => [fold(kl), fold(kr)]);
}
