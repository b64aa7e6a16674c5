/**
 * One version of an in-memory keyword index: its segments (a main segment, the tombstones and delta
 * segment updates left, the term dictionary) behind the `KeywordIndex` contract. Queries run the main
 * segment's evaluators (`postings-search.ts`) and score the delta's rows, with the live catalog's N,
 * avgdl and document frequencies; saving writes the merged segments (`index-file.ts`).
 */
import { createError, rejectUnknownKeys } from '../../errors.ts';
import type { KeywordHit } from '../store.ts';
import { normOf, phraseKey, queryPhrases, type IndexData, type LogPosition } from './build.ts';
import { compileFilter, deltaRowPasses, mainKeysPassing, mainRowPredicate, rowPasses, type CompiledFilter } from './column-filter.ts';
import { EMPTY_DELTA, createMainSegment, deltaPostings, deltaRowOf, type DeltaRow, type DeltaSegment, type MainSegment } from './delta-segment.ts';
import { saveData } from './index-file.ts';
import { BM25_K1, BM25_MIN_IDF, type KeywordIndex, type KeywordIndexStats } from './keyword-index.ts';
import { TopK, mainSegmentSearch, type MainSegmentSearch, type QueryTerm } from './postings-search.ts';
import { mergeSegments } from './segment-merge.ts';

/** Stamps the delta rows a query touches (`DeltaRow.queryStamp`); one counter for every index (queries never interleave). */
let deltaQueryStamp = 0;

/** Score upper bounds are raised by this factor so rounding never makes a bound smaller than a score. */
const BOUND_SLACK = 1 + 1e-9;

/** The term dictionary: main-segment terms first, then terms that delta rows brought; shared by the versions made from one another. */
export interface Dictionary {
  terms: string[];
  ids: Map<string, number>;
}

/** One index version: its segments, how much of the shared tombstone list and dictionary it sees, and its store position. */
export interface IndexState {
  main: MainSegment;
  tombstoneCount: number;
  /** Σ lengths of the tombstoned main rows. */
  deadLength: number;
  delta: DeltaSegment;
  dictionary: Dictionary;
  termCount: number;
  log: LogPosition;
}

/** What an incremental update needs of an index beyond its public face. */
export interface IndexInternals {
  state: IndexState;
  /** False once an update has handed the dictionary on: a second update of this index copies it first. */
  ownsDictionary: boolean;
  /** Log rows merged into this index since it (or the index it was updated from) was last saved; 0 after `save`. */
  unsavedChanges: number;
}
export const internalsOf = new WeakMap<KeywordIndex, IndexInternals>();

export function dictionaryOf(terms: readonly string[]): Dictionary {
  const ids = new Map<string, number>();
  for (let i = 0; i < terms.length; i++) ids.set(terms[i]!, i);
  return { terms: terms.slice(), ids };
}

/** A version of a single main segment (after a build, load or merge). */
export function stateOf(data: IndexData, dictionary: Dictionary = dictionaryOf(data.terms)): IndexState {
  return {
    main: createMainSegment(data),
    tombstoneCount: 0,
    deadLength: 0,
    delta: EMPTY_DELTA,
    dictionary,
    termCount: data.terms.length,
    log: { revision: data.revision, changeSeq: data.changeSeq, changeLogId: data.changeLogId },
  };
}

/** The state's segments folded into one main segment (sharing its dictionary). */
export function mergedState(state: IndexState): IndexState {
  const data = mergeSegments(state.main, state.tombstoneCount, state.delta, state.dictionary.terms, state.termCount, state.log);
  return stateOf(data, state.dictionary);
}

/** What a version's queries, filters and stats read: its live N and avgdl, and lookups of its terms and keys. */
interface VersionView {
  readonly state: IndexState;
  readonly data: IndexData;
  readonly nMain: number;
  /** Terms of the main segment (the dictionary's first terms). */
  readonly mainTerms: number;
  /** Live rows: main rows not tombstoned, and delta rows. */
  readonly n: number;
  readonly totalLength: number;
  readonly avgdl: number;
  /** Factor raising a main-segment bound computed with the main segment's avgdl to one under the live avgdl. */
  readonly boundScale: number;
  /** Whether tombstones or delta rows exist (else the main segment is the whole version). */
  readonly segmented: boolean;
  /** Main rows not tombstoned in this version; undefined when none is. */
  readonly live: ((d: number) => boolean) | undefined;
  /** A term's id, or -1; ids of terms added by later versions sharing the dictionary are not this index's. */
  readonly termOf: (phrase: string) => number;
  /** Live rows holding term `t` (0 for -1). */
  readonly df: (t: number) => number;
  readonly idfOf: (nHit: number) => number;
  /** The main row of a live key, or -1. */
  readonly liveRowOf: (key: number) => number;
  readonly idOfKey: (key: number) => string | undefined;
}

function versionView(state: IndexState): VersionView {
  const { main, delta, tombstoneCount, dictionary, termCount } = state;
  const data = main.data;
  const nMain = data.ids.length;
  const mainTerms = data.offsets.length - 1;
  const n = nMain - tombstoneCount + delta.rows.length;
  const totalLength = data.totalLength - state.deadLength + delta.totalLength;
  const avgdl = n > 0 ? totalLength / n : 1;
  // Main rows never change, so a bound computed with the main segment's avgdl A0 stays one under the
  // live avgdl A1 once scaled by max(1, A1/A0): each posting's value grows by at most A1/A0 when avgdl
  // grows, and not at all when it shrinks; tombstoned postings only lower the max.
  const mainAvgdl = nMain > 0 ? data.totalLength / nMain : 0;
  const seqOf = main.tombstones.seqOf;
  const live = tombstoneCount === 0 ? undefined : (d: number): boolean => seqOf[d]! >= tombstoneCount;
  const liveRowOf = (key: number): number => {
    const r = main.rowOf(key);
    return r >= 0 && (live === undefined || live(r)) ? r : -1;
  };
  return {
    state,
    data,
    nMain,
    mainTerms,
    n,
    totalLength,
    avgdl,
    boundScale: mainAvgdl > 0 ? Math.max(1, avgdl / mainAvgdl) : 1,
    segmented: tombstoneCount > 0 || delta.rows.length > 0,
    live,
    termOf(phrase) {
      const t = dictionary.ids.get(phrase);
      return t !== undefined && t < termCount ? t : -1;
    },
    df(t) {
      if (t < 0) return 0;
      let count = deltaPostings(delta, t).rows.length;
      if (t < mainTerms) count += data.offsets[t + 1]! - data.offsets[t]! - main.tombstones.deadInTerm(data, t, tombstoneCount);
      return count;
    },
    idfOf(nHit) {
      const idf = Math.log((n - nHit + 0.5) / (nHit + 0.5));
      return idf <= 0 ? BM25_MIN_IDF : idf;
    },
    liveRowOf,
    idOfKey(key) {
      const r = liveRowOf(key);
      if (r >= 0) return data.ids[r];
      return delta.rows.length > 0 ? deltaRowOf(delta, key)?.id : undefined;
    },
  };
}

/** The delta rows' part of a query: every matching delta row scored (the delta is small) into `top`, ranked by key on ties. */
function searchDelta(delta: DeltaSegment, avgdl: number, qt: readonly QueryTerm[], matchAll: boolean, top: TopK, f: CompiledFilter | undefined): void {
  const ordered = [...qt].sort((a, b) => a.phrase - b.phrase);
  // Per-row sums in scratch fields of the rows, stamped with this query (no map per query).
  const stamp = ++deltaQueryStamp;
  const touched: DeltaRow[] = [];
  const k1plus1 = BM25_K1 + 1;
  for (const q of ordered) {
    const list = deltaPostings(delta, q.term);
    if (matchAll && list.rows.length === 0) return;
    for (let i = 0; i < list.rows.length; i++) {
      const row = list.rows[i]!;
      const freq = list.freqs[i]!;
      // Phrase order and the same expression as the main segment's paths: bit-identical sums.
      const c = (q.idf * (freq * k1plus1)) / (freq + normOf(row.length, avgdl));
      if (row.queryStamp !== stamp) {
        row.queryStamp = stamp;
        row.querySum = 0;
        row.queryHits = 0;
        touched.push(row);
      }
      row.querySum += c;
      row.queryHits++;
    }
  }
  for (const row of touched) {
    if (matchAll && row.queryHits < ordered.length) continue;
    if (f !== undefined && !deltaRowPasses(f, row)) continue;
    top.offer(row.querySum, row.key);
  }
}

/** The brands of the version's live rows, sorted; worked out once per version when it is segmented. */
function liveBrandsOf(v: VersionView): () => string[] {
  const { main, delta, tombstoneCount } = v.state;
  const data = v.data;
  let brandList: string[] | undefined;
  return () => {
    if (!v.segmented) return data.brands;
    if (brandList) return brandList;
    if (!main.brandCounts) {
      const counts = new Int32Array(data.brands.length);
      for (const b of data.brandOf) if (b >= 0) counts[b]!++;
      main.brandCounts = counts;
    }
    const counts = main.brandCounts.slice();
    for (let i = 0; i < tombstoneCount; i++) {
      const b = data.brandOf[main.tombstones.rows[i]!]!;
      if (b >= 0) counts[b]!--;
    }
    const set = new Set<string>();
    data.brands.forEach((b, i) => counts[i]! > 0 && set.add(b));
    for (const row of delta.rows) if (row.brand !== null) set.add(row.brand);
    brandList = [...set].sort();
    return brandList;
  };
}

type SearchOptions = Parameters<KeywordIndex['search']>[1];

/** The search options, checked, with their defaults. */
function searchOptionsOf(options: SearchOptions): Required<Pick<SearchOptions, 'k' | 'filter' | 'match' | 'pruning'>> {
  rejectUnknownKeys(options, ['k', 'filter', 'match', 'pruning'], 'keyword index search');
  const { k, filter = {}, match = 'any', pruning = 'maxscore' } = options;
  if (!Number.isInteger(k) || k < 1) {
    throw createError('INVALID_ARGUMENT', 'keyword search: k must be a positive integer', { field: 'k', received: String(k) });
  }
  if (match !== 'any' && match !== 'all') {
    throw createError('INVALID_ARGUMENT', 'keyword search: match must be "any" or "all"', { field: 'match', received: String(match) });
  }
  if (pruning !== 'blockmax' && pruning !== 'maxscore' && pruning !== 'none') {
    throw createError('INVALID_ARGUMENT', 'keyword search: pruning must be "blockmax", "maxscore" or "none"', { field: 'pruning', received: String(pruning) });
  }
  return { k, filter, match, pruning };
}

/** The query's phrases as terms of this version: IDF with the live N, and the main segment's bound scaled to it. */
function queryTermsOf(v: VersionView, phrases: ReturnType<typeof queryPhrases>): QueryTerm[] {
  return phrases.map((p, phrase) => {
    const key = phraseKey(p);
    const term = key.length > 0 ? v.termOf(key) : -1;
    const nHit = v.df(term);
    const idf = v.idfOf(nHit);
    const scale = idf * v.boundScale * BOUND_SLACK;
    const bound = term < 0 || term >= v.mainTerms ? 0 : v.data.bounds[term]! * scale;
    return { phrase, term, idf, bound, scale, df: nHit };
  });
}

/** The main segment's hits and the delta's top-k (ties by key), both best first, merged into the first `k`. */
function mergeDeltaHits(hits: readonly KeywordHit[], fromDelta: ReturnType<TopK['sorted']>, k: number, delta: DeltaSegment): KeywordHit[] {
  const out: KeywordHit[] = [];
  let i = 0;
  let j = 0;
  while (out.length < k && (i < hits.length || j < fromDelta.length)) {
    const h = hits[i];
    const dh = fromDelta[j];
    if (dh === undefined || (h !== undefined && (h.score > dh.score || (h.score === dh.score && h.key < dh.tie)))) out.push(hits[i++]!);
    else {
      out.push({ id: deltaRowOf(delta, dh.tie)!.id, key: dh.tie, score: dh.score });
      j++;
    }
  }
  return out;
}

/** `KeywordIndex.search` on one version: the main segment's evaluator for the options, then the delta's rows. */
function searchVersion(v: VersionView, evaluators: MainSegmentSearch, queryTokens: readonly string[], options: SearchOptions): KeywordHit[] {
  const { k, filter, match, pruning } = searchOptionsOf(options);
  const { data, n } = v;
  const delta = v.state.delta;
  const phrases = queryPhrases(queryTokens);
  if (phrases.length === 0 || n === 0) return [];
  const all = queryTermsOf(v, phrases);
  const qt = all.filter((q) => q.term >= 0);
  if (qt.length === 0 || (match === 'all' && qt.length < all.length)) return [];
  const f = compileFilter(data, filter);
  // Tombstones are tested by the evaluators themselves: the predicate is the filter's alone.
  const pass = f === undefined ? undefined : mainRowPredicate(data, f);
  const kk = Math.min(k, n);
  const top = new TopK(kk);
  const matchAll = match === 'all' && qt.length > 1;
  if (matchAll) evaluators.searchAll(qt, top, pass, phrases.length);
  else if (pruning === 'none') evaluators.searchExhaustive(qt, top, pass);
  else if (pruning === 'maxscore') evaluators.searchMaxScore(qt, top, pass, phrases.length);
  else evaluators.searchBlockMax(qt, top, pass, phrases.length);
  const hits: KeywordHit[] = top.sorted().map(({ score, tie }) => ({ id: data.ids[tie]!, key: data.keys[tie]!, score }));
  if (delta.rows.length === 0) return hits;
  const deltaTop = new TopK(kk);
  searchDelta(delta, v.avgdl, qt, matchAll, deltaTop, f);
  return mergeDeltaHits(hits, deltaTop.sorted(), kk, delta);
}

/** `KeywordIndex.keyFilter`: whether a key is a live row passing the filter. */
function keyFilterOf(v: VersionView, filter: Parameters<KeywordIndex['keyFilter']>[0]): (key: number) => boolean {
  const { data, segmented } = v;
  const { main, delta } = v.state;
  const f = compileFilter(data, filter);
  if (!segmented) {
    if (f === undefined) return (key) => main.rowOf(key) >= 0;
    return (key) => {
      const row = main.rowOf(key);
      return row >= 0 && rowPasses(data, f, row);
    };
  }
  return (key) => {
    const r = v.liveRowOf(key);
    if (r >= 0) return f === undefined || rowPasses(data, f, r);
    const row = deltaRowOf(delta, key);
    return row !== undefined && (f === undefined || deltaRowPasses(f, row));
  };
}

/** `KeywordIndex.keysMatching`: the live keys passing the filter, ascending. */
function keysMatchingOf(v: VersionView, filter: Parameters<KeywordIndex['keysMatching']>[0]): Float64Array {
  const { data, nMain, segmented, live } = v;
  const delta = v.state.delta;
  const f = compileFilter(data, filter);
  if (!segmented && f === undefined) return data.keys.slice(0, nMain);
  const fromMain = mainKeysPassing(data, f, live);
  if (delta.rows.length === 0) return fromMain;
  const fromDelta = delta.rows.filter((row) => f === undefined || deltaRowPasses(f, row)).map((row) => row.key);
  // Both ascending: one merge.
  const out = new Float64Array(fromMain.length + fromDelta.length);
  let i = 0;
  let j = 0;
  let w = 0;
  while (i < fromMain.length || j < fromDelta.length) {
    if (j >= fromDelta.length || (i < fromMain.length && fromMain[i]! < fromDelta[j]!)) out[w++] = fromMain[i++]!;
    else out[w++] = fromDelta[j++]!;
  }
  return out;
}

/** `KeywordIndex.stats`: sizes, and the memory the version holds. */
function versionStats(v: VersionView): KeywordIndexStats {
  const { data, n, totalLength, live, segmented } = v;
  const { main, delta, tombstoneCount, dictionary, termCount, log } = v.state;
  const typed = [data.keys, data.lengths, data.prices, data.inStock, data.categoryOf, data.brandOf, data.offsets, data.docs, data.freqs, data.bounds];
  const stringBytes = (list: readonly string[]): number => list.reduce((s, x) => s + 16 + 2 * x.length, 0);
  let mainPostings = data.docs.length;
  if (live !== undefined) {
    // Tombstoned rows' postings are still in the main lists: counted out here (stats are not a hot path).
    mainPostings = 0;
    for (const d of data.docs) if (live(d)) mainPostings++;
  }
  const deltaBytes = delta.rows.reduce((s, row) => s + 120 + 2 * row.id.length + 16 * row.terms.length, 0);
  return {
    revision: log.revision,
    products: n,
    terms: termCount,
    postings: mainPostings + delta.postings,
    // Typed arrays, the strings, the term map (≈ 40 bytes an entry beside its key), tombstones and delta rows.
    memoryBytes:
      typed.reduce((s, a) => s + a.byteLength, 0) +
      stringBytes(data.ids) +
      stringBytes(dictionary.terms.slice(0, termCount)) +
      stringBytes(data.categories) +
      stringBytes(data.brands) +
      40 * termCount +
      (segmented ? main.tombstones.seqOf.byteLength + 4 * tombstoneCount : 0) +
      deltaBytes,
    averageLength: n > 0 ? totalLength / n : 0,
    deltaRows: delta.rows.length,
    tombstones: tombstoneCount,
    blockMaxTerms: main.blockMaxima.computed().terms,
  };
}

export function createIndex(state: IndexState): KeywordIndex {
  const { main, delta, tombstoneCount, dictionary, termCount } = state;
  const v = versionView(state);
  const data = v.data;
  const normByLength = new Float64Array(main.maxLength + 1);
  for (let length = 0; length <= main.maxLength; length++) normByLength[length] = normOf(length, v.avgdl);
  const evaluators = mainSegmentSearch({
    data,
    normByLength,
    scratch: main.scratch,
    tombstoneSeq: main.tombstones.seqOf,
    tombstoneCount,
    blockMaxima: main.blockMaxima,
  });
  const internals: IndexInternals = { state, ownsDictionary: true, unsavedChanges: 0 };
  const index: KeywordIndex = {
    revision: state.log.revision,
    changeSeq: state.log.changeSeq,
    size: v.n,
    brands: liveBrandsOf(v),
    search: (queryTokens, options) => searchVersion(v, evaluators, queryTokens, options),
    idOf: v.idOfKey,
    keyFilter: (filter) => keyFilterOf(v, filter),
    keysMatching: (filter) => keysMatchingOf(v, filter),
    documentFrequencies(tokens) {
      const out = new Map<string, number>();
      for (const t of tokens) if (!out.has(t)) out.set(t, v.df(v.termOf(phraseKey(t))));
      return out;
    },
    isCurrent: (store) => store.revision() === state.log.revision,
    save(file) {
      // A file holds one segment: the delta is merged into the written copy (this index keeps its segments).
      const written = v.segmented ? mergeSegments(main, tombstoneCount, delta, dictionary.terms, termCount, state.log) : { ...data, ...state.log };
      const bytes = saveData(written, file);
      internals.unsavedChanges = 0;
      return bytes;
    },
    stats: () => versionStats(v),
  };
  internalsOf.set(index, internals);
  return index;
}
