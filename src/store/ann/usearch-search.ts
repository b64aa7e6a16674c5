/**
 * Search of the usearch ANN index: exact below `EXACT_SEARCH_MAX_SIZE`, the HNSW graph with exact
 * rescoring otherwise, and with a filter either adaptive over-fetching or an exact scan of the
 * passing keys, as the cost model of `ann-index.ts` decides (see `usearch-index.ts`).
 */
import { createError, rejectUnknownKeys } from '../../errors.ts';
import {
  EXACT_SEARCH_MAX_SIZE,
  FILTER_SELECTIVITY_SAMPLE,
  OVERFETCH_GROWTH,
  OVERFETCH_MAX_SHARE,
  OVERFETCH_SAFETY,
  OVERFETCH_TRUSTED_SHARE,
  assertQuery,
  compareMatches,
  exactAfterOverfetchRound,
  exactFilterPays,
  similarityFromDistance,
  type AnnMatch,
  type AnnSearchOptions,
  type AnnSearchReport,
} from './ann-index.ts';
import { canExact, exactSimilarity, type UsearchState } from './usearch-state.ts';
import { TopK } from './vector-table.ts';

/** The options of a plain search (nothing to validate). */
export const NO_SEARCH_OPTIONS: AnnSearchOptions = Object.freeze({});

type KeyFilter = (key: number) => boolean;

/** One search: the prepared query, what usearch is handed, and the candidate counts. */
interface SearchRun {
  readonly k: number;
  readonly q: Float32Array;
  readonly rawQuery: Float32Array;
  readonly filter: KeyFilter | undefined;
  readonly opts: AnnSearchOptions;
  /** Candidates rescored exactly (0: none). */
  readonly rescore: number;
  /** Candidates an unfiltered search asks for. */
  readonly base: number;
}

function isSorted(matches: readonly AnnMatch[]): boolean {
  for (let i = 1; i < matches.length; i++) if (compareMatches(matches[i - 1]!, matches[i]!) > 0) return false;
  return true;
}

function report(matches: AnnMatch[], extra: Partial<AnnSearchReport>): AnnSearchReport {
  return { matches, strategy: 'ann', candidatesRequested: 0, rounds: 0, estimatedFilterPassRate: 1, rescored: 0, ...extra };
}

function exactScan(s: UsearchState, q: Float32Array, k: number, filter: KeyFilter | undefined, opts: AnnSearchOptions): AnnMatch[] {
  const { table } = s;
  const passingKeys = filter ? opts.passingKeys : undefined;
  // Keys listed as exactly the passing ones are not checked against the filter again.
  const check = passingKeys && opts.passingKeysExact === true ? undefined : filter;
  if (table.hasVectors) return passingKeys ? table.topKOf(q, k, passingKeys(), check) : table.topK(q, k, filter);
  const top = new TopK(Math.min(k, Math.max(table.size, 1)));
  const keys: Iterable<number> = passingKeys ? Array.from(passingKeys() as Iterable<number>).filter((key) => table.has(key)) : table.keys();
  for (const key of keys) {
    if (check && !check(key)) continue;
    const sim = exactSimilarity(s, q, key);
    if (sim !== undefined) top.push(sim, key);
  }
  return top.toMatches().sort(compareMatches);
}

/** Share of a stratified sample of keys that pass the filter. */
function estimatePassRate(s: UsearchState, filter: KeyFilter): number {
  const n = s.table.size;
  const sample = Math.min(n, FILTER_SELECTIVITY_SAMPLE);
  let pass = 0;
  for (let i = 0; i < sample; i++) if (filter(s.table.keyAt(Math.floor(((i + 0.5) * n) / sample)))) pass++;
  return sample === 0 ? 0 : pass / sample;
}

/** The passing candidates of a usearch result, rescored exactly when the index rescores, best first. */
function pickCandidates(
  s: UsearchState,
  run: SearchRun,
  result: { keys: BigUint64Array; distances: Float32Array; count: number },
  stats: { passRate: number; rounds: number; requested: number; strategy: AnnSearchReport['strategy'] },
): AnnSearchReport {
  const { k, q, filter, rescore } = run;
  const { keys, distances, count } = result;
  const picked: AnnMatch[] = [];
  const limit = rescore > 0 ? rescore : k;
  for (let i = 0; i < count && picked.length < limit; i++) {
    const key = Number(keys[i]!);
    if (filter && !filter(key)) continue;
    picked.push({ key, similarity: similarityFromDistance(s.o.metric, distances[i]!) });
  }
  let rescored = 0;
  if (rescore > 0) {
    for (const m of picked) {
      const sim = exactSimilarity(s, q, m.key);
      if (sim !== undefined) {
        m.similarity = sim;
        rescored++;
      }
    }
  }
  // usearch returns candidates by ascending distance; sorting is needed after rescoring, or to order
  // equal similarities by key (a linear check first: most result lists are already in order).
  if (rescored > 0 || !isSorted(picked)) picked.sort(compareMatches);
  if (picked.length > k) picked.length = k;
  return report(picked, { strategy: stats.strategy, rounds: stats.rounds, candidatesRequested: stats.requested, estimatedFilterPassRate: stats.passRate, rescored });
}

/** A filtered search: an exact scan of the passing keys, or over-fetching rounds, as the cost model (or `filterStrategy`) says. */
function filteredSearch(s: UsearchState, run: SearchRun, filter: KeyFilter): AnnSearchReport {
  const { o, d, table, raw } = s;
  const { k, q, rawQuery, opts, base } = run;
  const n = table.size;
  const forced = opts.filterStrategy ?? 'auto';
  if (forced !== 'auto' && forced !== 'exact' && forced !== 'overfetch') {
    throw createError('INVALID_ARGUMENT', `search: filterStrategy must be auto, exact or overfetch, got ${String(forced)}`, { field: 'filterStrategy' });
  }
  const passRate = estimatePassRate(s, filter);
  const nativeScan = o.metric === 'cos' && table.hasVectors;
  // Unfiltered, the best k come from a search of breadth expansionSearch; with a pass rate p the best k
  // passing keys sit ~k/p deep, so the same accuracy needs breadth expansionSearch/p.
  let wanted = Math.min(n, Math.ceil((Math.max(base, o.expansionSearch) / Math.max(passRate, 1 / n)) * OVERFETCH_SAFETY));
  if (canExact(s) && (forced === 'exact' || (forced === 'auto' && exactFilterPays({ size: n, dimension: d, passRate, overfetchCandidates: wanted, nativeScan })))) {
    return report(exactScan(s, q, k, filter, opts), { strategy: 'exact-filtered', estimatedFilterPassRate: passRate });
  }
  for (let round = 1; ; round++) {
    if (forced === 'auto' && wanted > n * OVERFETCH_MAX_SHARE && canExact(s)) {
      return report(exactScan(s, q, k, filter, opts), { strategy: 'exact-filtered', rounds: round - 1, estimatedFilterPassRate: passRate });
    }
    const res = raw.search(rawQuery, wanted, 1);
    const count = res.keys.length;
    // The tail of an HNSW result list is less reliable than its head: accept the round only when the
    // k-th passing key lies within the trusted head (OVERFETCH_TRUSTED_SHARE of the list).
    const trusted = Math.ceil(count * OVERFETCH_TRUSTED_SHARE);
    let passing = 0;
    for (let i = 0; i < trusted && passing < k; i++) if (filter(Number(res.keys[i]!))) passing++;
    if (passing >= k || count < wanted || wanted >= n) {
      return pickCandidates(s, run, { keys: res.keys, distances: res.distances, count }, { passRate, rounds: round, requested: wanted, strategy: 'ann-overfetch' });
    }
    wanted = Math.min(n, wanted * OVERFETCH_GROWTH);
    // The query's neighbourhood does not pass: scan exactly when that is now estimated no slower.
    if (forced === 'auto' && canExact(s) && exactAfterOverfetchRound({ size: n, dimension: d, passRate, overfetchCandidates: wanted, nativeScan })) {
      return report(exactScan(s, q, k, filter, opts), { strategy: 'exact-filtered', rounds: round, estimatedFilterPassRate: passRate });
    }
  }
}

export function searchDetailed(s: UsearchState, query: Float32Array, k: number, opts: AnnSearchOptions = NO_SEARCH_OPTIONS): AnnSearchReport {
  const { o, d, table } = s;
  assertQuery(query, d, k);
  if (opts !== NO_SEARCH_OPTIONS) rejectUnknownKeys(opts, ['filter', 'ef', 'passingKeys', 'passingKeysExact', 'filterStrategy'], 'AnnIndex.search');
  if (opts.ef !== undefined && (!Number.isInteger(opts.ef) || opts.ef < 1)) {
    throw createError('INVALID_ARGUMENT', `search: ef must be a positive integer, got ${opts.ef}`, { field: 'ef' });
  }
  const filter = opts.filter;
  const n = table.size;
  if (n === 0) return report([], {});
  const q = table.prepareQuery(query);
  if (n <= EXACT_SEARCH_MAX_SIZE && canExact(s)) {
    return report(exactScan(s, q, k, filter, opts), { strategy: filter ? 'exact-filtered' : 'exact' });
  }
  const rescore = o.rescore > 0 && canExact(s) ? Math.max(k, o.rescore) : 0;
  // The query handed to usearch: normalised for cos (scale-free there; keeps i8 casting in range).
  const run: SearchRun = { k, q, rawQuery: o.metric === 'cos' ? q : query, filter, opts, rescore, base: Math.max(k, rescore, opts.ef ?? 0) };
  if (filter) return filteredSearch(s, run, filter);
  const wanted = Math.min(run.base, n);
  const res = s.raw.search(run.rawQuery, wanted, 1);
  return pickCandidates(s, run, { keys: res.keys, distances: res.distances, count: res.keys.length }, { passRate: 1, rounds: 1, requested: wanted, strategy: 'ann' });
}
