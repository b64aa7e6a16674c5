/**
 * In-memory BM25 keyword index with MaxScore pruning, scoring exactly like the store's FTS5 query
 * (`bm25(keyword_index, …KEYWORD_COLUMN_WEIGHTS)`, SQLite fts5_aux.c):
 *
 *   score = Σ_phrases idf · f·(k1+1) / (f + k1·(1 − b + b·D/avgdl)),  f = Σ_columns weight_c · tf_c
 *
 * with D the row's length in FTS5 terms over all columns, avgdl the average of D, and
 * idf = log((N − n + 0.5)/(n + 0.5)) clamped to 1e-6 when ≤ 0 (FTS5 applies the column weights to
 * the term frequencies and saturates once per phrase, not once per column).
 *
 * Terms are what FTS5's unicode61 tokenizer makes of the stored tokens (`fts5Terms`). A stored token
 * that unicode61 splits (`1.5l` → `1` `5l`) is also indexed as its phrases (contiguous runs of at
 * least two of its terms), so a query token that FTS5 turns into a phrase finds it. A phrase that
 * FTS5 would match across two stored tokens (stored `1` then `5l`, queried `1.5l`) is not found
 * here: the benchmark counts how often that changes a top-10.
 *
 * Postings are per term, sorted by product key (typed arrays: doc ordinals and weighted
 * frequencies). `any` queries run MaxScore (Turtle & Flood 1995): query terms sorted by their
 * score upper bound; once the top-k threshold exceeds the summed bounds of the weakest terms, those
 * terms only add to candidates found through the others. The result is the exact OR top-k (ties
 * broken by lower key), unlike the store's FTS5 path, which returns an AND-first or common-token-
 * pruned answer when that fills k.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { categoryLevels } from '../../catalog/product.ts';
import { createError, rejectUnknownKeys } from '../../errors.ts';
import { phraseTokens } from '../sqlite-store.ts';
import {
  ANALYZED_FIELDS,
  KEYWORD_COLUMN_WEIGHTS,
  brandColumnValue,
  type AnalyzedField,
  type KeywordFilter,
  type KeywordHit,
  type KeywordRow,
  type ProductStore,
} from '../store.ts';
import { fts5Terms } from './fts5-terms.ts';
import {
  BM25_B,
  BM25_K1,
  BM25_MIN_IDF,
  KEYWORD_INDEX_FORMAT_VERSION,
  KEYWORD_INDEX_MAGIC,
  keywordIndexStale,
  type KeywordIndex,
  type KeywordIndexStaleReason,
  type KeywordIndexStats,
  type MemoryKeywordSearchOptions,
} from './keyword-index.ts';

export interface MemoryKeywordIndexOptions {
  /** BM25 column weights; must be the store's query weights for the scores to agree. */
  columnWeights: Record<AnalyzedField, number>;
  /** Longest phrase (in FTS5 terms) indexed inside one stored token; longer query phrases find nothing. */
  maxPhraseTerms: number;
}

export const DEFAULT_MEMORY_KEYWORD_INDEX_OPTIONS = {
  columnWeights: KEYWORD_COLUMN_WEIGHTS,
  maxPhraseTerms: 8,
} as const satisfies MemoryKeywordIndexOptions;

/** A saved index's JSON header is a few hundred bytes; a larger length field means a damaged file. */
const MAX_HEADER_BYTES = 1 << 20;
/** Keys up to this many times the row count are mapped by a key-indexed array (else binary search). */
const DENSE_KEY_FACTOR = 4;
/** Score upper bounds are raised by this factor so rounding never makes a bound smaller than a score. */
const BOUND_SLACK = 1 + 1e-9;
const NO_DOC = 0x7fffffff;

/** Everything an index holds; what `save` writes and `load` reads back. */
interface IndexData {
  revision: string;
  /** The store's change-log seq the index is current up to, and the log's id (`ProductStore.changeLogId`). */
  changeSeq: number;
  changeLogId: string;
  weights: number[];
  maxPhraseTerms: number;
  totalLength: number;
  ids: string[];
  keys: Float64Array;
  /** Row length in FTS5 terms over all columns (BM25's D). */
  lengths: Uint32Array;
  /** NaN when the product has no price. */
  prices: Float64Array;
  /** 1, 0, or -1 when unknown. */
  inStock: Int8Array;
  /** Index into `categories`, or -1. */
  categoryOf: Int32Array;
  categories: string[];
  /** Index into `brands`, or -1 (no brand). */
  brandOf: Int32Array;
  /** Distinct brands of the indexed products (`brandColumnValue`), sorted. */
  brands: string[];
  terms: string[];
  /** Postings of term t: `docs`/`freqs` from `offsets[t]` to `offsets[t + 1]`, docs ascending. */
  offsets: Uint32Array;
  docs: Int32Array;
  /** Σ_columns weight · tf of the term in the row. */
  freqs: Float32Array;
  /**
   * An upper bound of f·(k1+1)/(f + norm(d)) over the term's postings: its score bound before idf.
   * The max itself after a build; after updates possibly higher (see `rowsSinceExactBounds`).
   */
  bounds: Float64Array;
  /** Products changed by updates since `bounds` were last computed exactly (0 after a build). */
  rowsSinceExactBounds: number;
}

/** The tokens of a query in the order FTS5 sees them: the store's own rule (`phraseTokens`). */
export const queryPhrases: (tokens: readonly string[]) => string[] = phraseTokens;

/** The index term of a query token or stored token: its FTS5 terms, joined by a space when it is a phrase. */
export function phraseKey(token: string): string {
  return fts5Terms(token).join(' ');
}

function validateOptions(options: Partial<MemoryKeywordIndexOptions>): MemoryKeywordIndexOptions {
  rejectUnknownKeys(options, Object.keys(DEFAULT_MEMORY_KEYWORD_INDEX_OPTIONS), 'createMemoryKeywordIndex');
  const opts: MemoryKeywordIndexOptions = { ...DEFAULT_MEMORY_KEYWORD_INDEX_OPTIONS, ...options };
  rejectUnknownKeys(opts.columnWeights, ANALYZED_FIELDS, 'createMemoryKeywordIndex columnWeights');
  for (const f of ANALYZED_FIELDS) {
    const w = opts.columnWeights[f];
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
      throw createError('INVALID_ARGUMENT', `column weight of ${f} must be a finite number ≥ 0`, { field: `columnWeights.${f}`, received: String(w) });
    }
  }
  if (!Number.isInteger(opts.maxPhraseTerms) || opts.maxPhraseTerms < 2) {
    throw createError('INVALID_ARGUMENT', 'maxPhraseTerms must be an integer ≥ 2', { field: 'maxPhraseTerms', received: String(opts.maxPhraseTerms) });
  }
  return opts;
}

/** Growable parallel arrays of (term, doc, weighted frequency) postings in doc order. */
class PostingBuffer {
  term = new Int32Array(1 << 16);
  doc = new Int32Array(1 << 16);
  freq = new Float32Array(1 << 16);
  length = 0;
  push(term: number, doc: number, freq: number): void {
    if (this.length === this.term.length) {
      const grow = <T extends Int32Array | Float32Array>(a: T, make: (n: number) => T): T => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      this.term = grow(this.term, (n) => new Int32Array(n));
      this.doc = grow(this.doc, (n) => new Int32Array(n));
      this.freq = grow(this.freq, (n) => new Float32Array(n));
    }
    this.term[this.length] = term;
    this.doc[this.length] = doc;
    this.freq[this.length] = freq;
    this.length++;
  }
}

function normsOf(lengths: Uint32Array, totalLength: number): Float64Array {
  const n = lengths.length;
  const avgdl = n > 0 ? totalLength / n : 1;
  const norms = new Float64Array(n);
  // The same expression as fts5Bm25Function's denominator term.
  for (let d = 0; d < n; d++) norms[d] = BM25_K1 * (1 - BM25_B + (BM25_B * lengths[d]!) / avgdl);
  return norms;
}

/** One row's FTS5 length and its distinct terms with their weighted frequencies (valid until the next call). */
interface AnalysedRow {
  length: number;
  terms: number[];
  freqs: number[];
}

/**
 * Turns store rows into terms (ids from `termId`) and weighted frequencies, the same way for a full
 * build and an incremental update, so both give a row bit-identical postings.
 */
function createRowAnalyser(weights: readonly number[], maxPhraseTerms: number, termId: (term: string) => number): (row: KeywordRow) => AnalysedRow {
  // The current row's terms and weighted frequencies, found through per-term slots stamped with the row.
  let rowStamp = new Int32Array(1 << 12).fill(-1);
  let rowSlot = new Int32Array(1 << 12);
  let stampOfRow = -1;
  const out: AnalysedRow = { length: 0, terms: [], freqs: [] };
  /**
   * Per distinct stored token: its FTS5 length and the ids of its terms and in-token phrases. A
   * catalog repeats a small vocabulary, so this turns most of the build into one map lookup a token.
   */
  const tokenCache = new Map<string, { length: number; ids: number[] }>();
  const analyseToken = (token: string): { length: number; ids: number[] } => {
    let cached = tokenCache.get(token);
    if (cached) return cached;
    const sub = fts5Terms(token);
    const ids = sub.map(termId);
    for (let a = 0; a + 1 < sub.length; a++) {
      let phrase = sub[a]!;
      for (let b = a + 1; b < sub.length && b - a < maxPhraseTerms; b++) {
        phrase += ` ${sub[b]!}`;
        ids.push(termId(phrase));
      }
    }
    cached = { length: sub.length, ids };
    tokenCache.set(token, cached);
    return cached;
  };
  return (row) => {
    const d = ++stampOfRow;
    if (d === 0x7fffffff) {
      rowStamp.fill(-1);
      stampOfRow = 0;
    }
    const rowTerms = out.terms;
    const rowFreqs = out.freqs;
    rowTerms.length = 0;
    rowFreqs.length = 0;
    let length = 0;
    ANALYZED_FIELDS.forEach((field, c) => {
      const w = weights[c]!;
      for (const token of row.tokens[field] ?? []) {
        const { length: termCount, ids: tokenTerms } = analyseToken(token);
        length += termCount;
        for (const t of tokenTerms) {
          if (t >= rowStamp.length) {
            const grownStamp = new Int32Array(Math.max(rowStamp.length * 2, t + 1)).fill(-1);
            grownStamp.set(rowStamp);
            rowStamp = grownStamp;
            const grownSlot = new Int32Array(grownStamp.length);
            grownSlot.set(rowSlot);
            rowSlot = grownSlot;
          }
          if (rowStamp[t] === stampOfRow) rowFreqs[rowSlot[t]!]! += w;
          else {
            rowStamp[t] = stampOfRow;
            rowSlot[t] = rowTerms.length;
            rowTerms.push(t);
            rowFreqs.push(w);
          }
        }
      }
    });
    out.length = length;
    return out;
  };
}

/** A growing id list of distinct strings. */
function interner(initial: readonly string[] = []): { list: string[]; id: (value: string) => number; map: Map<string, number> } {
  const list = [...initial];
  const map = new Map<string, number>();
  list.forEach((v, i) => map.set(v, i));
  return {
    list,
    map,
    id(value) {
      let i = map.get(value);
      if (i === undefined) {
        i = list.length;
        map.set(value, i);
        list.push(value);
      }
      return i;
    },
  };
}

/** The brand column: each row's brand as an index into the sorted distinct brands. */
function brandColumn(rowBrands: readonly (string | null)[]): { brandOf: Int32Array; brands: string[] } {
  const brands = [...new Set(rowBrands.filter((b): b is string => b !== null))].sort();
  const idOf = new Map(brands.map((b, i) => [b, i]));
  const brandOf = new Int32Array(rowBrands.length);
  rowBrands.forEach((b, row) => (brandOf[row] = b === null ? -1 : idOf.get(b)!));
  return { brandOf, brands };
}

/**
 * The brand column after a merge, in place: `brandOf` holds old brand ids (≥ 0), -1, or -2 - i for
 * `newBrands[i]`. Returns the sorted distinct brands of the rows and rewrites `brandOf` into it.
 */
function mergeBrands(oldBrands: readonly string[], brandOf: Int32Array, newBrands: readonly (string | null)[]): string[] {
  const used = new Uint8Array(oldBrands.length);
  for (let d = 0; d < brandOf.length; d++) if (brandOf[d]! >= 0) used[brandOf[d]!] = 1;
  const live = new Set(oldBrands.filter((_, b) => used[b] === 1));
  for (const b of newBrands) if (b !== null) live.add(b);
  const brands = [...live].sort();
  const idOf = new Map(brands.map((b, i) => [b, i]));
  const oldToNew = Int32Array.from(oldBrands, (b) => idOf.get(b) ?? -1);
  const newIds = Int32Array.from(newBrands, (b) => (b === null ? -1 : idOf.get(b)!));
  for (let d = 0; d < brandOf.length; d++) {
    const b = brandOf[d]!;
    brandOf[d] = b >= 0 ? oldToNew[b]! : b === -1 ? -1 : newIds[-2 - b]!;
  }
  return brands;
}

/** Builds the index data from store rows in key order. */
function buildData(rows: Iterable<KeywordRow>, log: LogPosition, opts: MemoryKeywordIndexOptions): IndexData {
  const weights = ANALYZED_FIELDS.map((f) => opts.columnWeights[f]);
  const termTable = interner();
  const terms = termTable.list;
  const categoryTable = interner();
  const ids: string[] = [];
  const keys: number[] = [];
  const lengths: number[] = [];
  const prices: number[] = [];
  const inStock: number[] = [];
  const categoryOf: number[] = [];
  const rowBrands: (string | null)[] = [];
  const postings = new PostingBuffer();
  const analyse = createRowAnalyser(weights, opts.maxPhraseTerms, termTable.id);
  let totalLength = 0;
  let lastKey = -Infinity;

  for (const row of rows) {
    if (row.key <= lastKey) throw createError('INTERNAL', `keyword rows must come in ascending key order (${row.key} after ${lastKey})`);
    lastKey = row.key;
    const d = ids.length;
    ids.push(row.id);
    keys.push(row.key);
    prices.push(row.price ?? Number.NaN);
    inStock.push(row.inStock === null ? -1 : row.inStock ? 1 : 0);
    categoryOf.push(row.category === null ? -1 : categoryTable.id(row.category));
    rowBrands.push(brandColumnValue(row.brand));
    const { length, terms: rowTerms, freqs: rowFreqs } = analyse(row);
    lengths.push(length);
    totalLength += length;
    for (let i = 0; i < rowTerms.length; i++) postings.push(rowTerms[i]!, d, rowFreqs[i]!);
  }

  const nTerms = terms.length;
  const offsets = new Uint32Array(nTerms + 1);
  for (let i = 0; i < postings.length; i++) offsets[postings.term[i]! + 1]!++;
  for (let t = 0; t < nTerms; t++) offsets[t + 1]! += offsets[t]!;
  const fill = offsets.slice(0, nTerms);
  const docs = new Int32Array(postings.length);
  const freqs = new Float32Array(postings.length);
  for (let i = 0; i < postings.length; i++) {
    const at = fill[postings.term[i]!]!++;
    docs[at] = postings.doc[i]!;
    freqs[at] = postings.freq[i]!;
  }
  const lengthArray = Uint32Array.from(lengths);
  const data: IndexData = {
    revision: log.revision,
    changeSeq: log.changeSeq,
    changeLogId: log.changeLogId,
    weights,
    maxPhraseTerms: opts.maxPhraseTerms,
    totalLength,
    ids,
    keys: Float64Array.from(keys),
    lengths: lengthArray,
    prices: Float64Array.from(prices),
    inStock: Int8Array.from(inStock),
    categoryOf: Int32Array.from(categoryOf),
    categories: categoryTable.list,
    ...brandColumn(rowBrands),
    terms,
    offsets,
    docs,
    freqs,
    bounds: new Float64Array(nTerms),
    rowsSinceExactBounds: 0,
  };
  data.bounds = boundsOf(data, normsOf(lengthArray, totalLength));
  return data;
}

/** Where in the store's history an index stands. */
interface LogPosition {
  revision: string;
  changeSeq: number;
  changeLogId: string;
}

function boundsOf(data: Pick<IndexData, 'offsets' | 'docs' | 'freqs'>, norms: Float64Array): Float64Array {
  // Locals: index data objects come in several shapes (built, loaded, merged), and this loop runs over every posting.
  const { offsets, docs, freqs } = data;
  const nTerms = offsets.length - 1;
  const bounds = new Float64Array(nTerms);
  const k1plus1 = BM25_K1 + 1;
  let p = 0;
  for (let t = 0; t < nTerms; t++) {
    let best = 0;
    const end = offsets[t + 1]!;
    for (; p < end; p++) {
      const f = freqs[p]!;
      const s = (f * k1plus1) / (f + norms[docs[p]!]!);
      if (s > best) best = s;
    }
    bounds[t] = best;
  }
  return bounds;
}

/** Top-k of (score, doc): higher score first, then lower doc ordinal (= lower key). Root = worst kept. */
class TopK {
  readonly scores: Float64Array;
  readonly docs: Int32Array;
  size = 0;
  constructor(readonly k: number) {
    this.scores = new Float64Array(k);
    this.docs = new Int32Array(k);
  }
  /** True when (s1, d1) ranks below (s2, d2). */
  private worse(s1: number, d1: number, s2: number, d2: number): boolean {
    return s1 < s2 || (s1 === s2 && d1 > d2);
  }
  get full(): boolean {
    return this.size === this.k;
  }
  /** The score a new candidate must beat once full (-Infinity before). */
  get threshold(): number {
    return this.full ? this.scores[0]! : Number.NEGATIVE_INFINITY;
  }
  offer(score: number, doc: number): void {
    const { scores, docs } = this;
    if (!this.full) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.worse(score, doc, scores[parent]!, docs[parent]!)) break;
        scores[i] = scores[parent]!;
        docs[i] = docs[parent]!;
        i = parent;
      }
      scores[i] = score;
      docs[i] = doc;
      return;
    }
    if (!this.worse(scores[0]!, docs[0]!, score, doc)) return;
    let i = 0;
    const n = this.size;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.worse(scores[r]!, docs[r]!, scores[l]!, docs[l]!) ? r : l;
      if (!this.worse(scores[c]!, docs[c]!, score, doc)) break;
      scores[i] = scores[c]!;
      docs[i] = docs[c]!;
      i = c;
    }
    scores[i] = score;
    docs[i] = doc;
  }
  /** Best first. */
  sorted(): { score: number; doc: number }[] {
    const out: { score: number; doc: number }[] = [];
    for (let i = 0; i < this.size; i++) out.push({ score: this.scores[i]!, doc: this.docs[i]! });
    return out.sort((a, b) => b.score - a.score || a.doc - b.doc);
  }
}

/** First position in [from, end) whose doc is ≥ target (galloping, then binary search). */
function seek(docs: Int32Array, from: number, end: number, target: number): number {
  if (from >= end || docs[from]! >= target) return from;
  let lo = from;
  let step = 1;
  while (lo + step < end && docs[lo + step]! < target) {
    lo += step;
    step *= 2;
  }
  let hi = Math.min(lo + step, end);
  lo++;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (docs[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** What an incremental update needs of an index beyond its public face. */
interface IndexInternals {
  data: IndexData;
  /** Term → id; shared with the index an update makes from this one (which extends it), see `ownsTermIds`. */
  termIds: Map<string, number>;
  /** False once an update has handed `termIds` on: a second update of this index copies it first. */
  ownsTermIds: boolean;
  rowOf(key: number): number;
  /** Log rows merged into this index since it (or the index it was updated from) was last saved; 0 after `save`. */
  unsavedChanges: number;
}
const internalsOf = new WeakMap<KeywordIndex, IndexInternals>();

function createIndex(data: IndexData, sharedTermIds?: Map<string, number>): KeywordIndex {
  const n = data.ids.length;
  const nTerms = data.terms.length;
  const norms = normsOf(data.lengths, data.totalLength);
  // Store keys are SQLite rowids, dense from 1: a key's row is one read of a key-indexed array (4 bytes
  // a key; the ANN layer maps ~50 keys a query, and a binary search's scattered reads cost ~30 µs of
  // cache misses there). Sparse keys fall back to binary search over the key column (rows are built
  // in ascending key order).
  const maxKey = n > 0 ? data.keys[n - 1]! : 0;
  const dense = Number.isInteger(maxKey) && maxKey >= 0 && maxKey <= DENSE_KEY_FACTOR * n + 1024;
  const rowByDenseKey = dense ? new Int32Array(maxKey + 1).fill(-1) : undefined;
  if (rowByDenseKey) data.keys.forEach((key, row) => (rowByDenseKey[key] = row));
  const rowOf = (key: number): number => {
    if (rowByDenseKey) return key >= 0 && key <= maxKey && Number.isInteger(key) ? rowByDenseKey[key]! : -1;
    let lo = 0;
    let hi = n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const at = data.keys[mid]!;
      if (at === key) return mid;
      if (at < key) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  };
  let termIds = sharedTermIds;
  if (!termIds) {
    termIds = new Map<string, number>();
    for (let i = 0; i < nTerms; i++) termIds.set(data.terms[i]!, i);
  }
  const termMap = termIds;
  /** A term's id, or -1; ids of terms an update of this index added to the shared map are not this index's. */
  const termOf = (phrase: string): number => {
    const t = termMap.get(phrase);
    return t !== undefined && t < nTerms ? t : -1;
  };
  // Scratch for exhaustive scoring, reused across queries: sums, and the query generation that last touched a row.
  let accumulator: Float64Array | undefined;
  let stamps: Uint32Array | undefined;
  let generation = 0;

  const df = (t: number): number => (t < 0 ? 0 : data.offsets[t + 1]! - data.offsets[t]!);
  const idfOf = (nHit: number): number => {
    const idf = Math.log((n - nHit + 0.5) / (nHit + 0.5));
    return idf <= 0 ? BM25_MIN_IDF : idf;
  };

  /**
   * A filter's per-row tests, precomputed once: the category prefix and the brands as masks over their
   * id tables, price bounds as numbers (±Infinity when absent; an absent bound also lets NaN through),
   * stock as the wanted column value (2: any). Undefined when the filter tests nothing.
   */
  interface CompiledFilter {
    categoryMask: Uint8Array | undefined;
    minPrice: number;
    maxPrice: number;
    /** A bound was given: NaN (no price) then fails, as NULL does in SQL. */
    priceTested: boolean;
    stock: number;
    brandMask: Uint8Array | undefined;
  }

  function compileFilterParts(filter: KeywordFilter): CompiledFilter | undefined {
    let categoryMask: Uint8Array | undefined;
    const levels = categoryLevels(filter.categoryPrefix);
    if (levels.length > 0) {
      // Case-insensitive, like the applications' `matchesFilter` (`home/kitchen` keeps `Home/Kitchen/…`).
      const prefix = levels.join('/').toLowerCase();
      const mask = new Uint8Array(data.categories.length);
      data.categories.forEach((category, i) => {
        const c = category.toLowerCase();
        if (c === prefix || c.startsWith(`${prefix}/`)) mask[i] = 1;
      });
      categoryMask = mask;
    }
    const { minPrice, maxPrice, inStock } = filter;
    let brandMask: Uint8Array | undefined;
    if (filter.brandIn !== undefined) {
      const wanted = new Set([...filter.brandIn].map(brandColumnValue));
      brandMask = Uint8Array.from(data.brands, (b) => (wanted.has(b) ? 1 : 0));
    }
    const priceTested = minPrice !== undefined || maxPrice !== undefined;
    if (!categoryMask && !priceTested && inStock === undefined && !brandMask) return undefined;
    return {
      categoryMask,
      minPrice: minPrice ?? -Infinity,
      maxPrice: maxPrice ?? Infinity,
      priceTested,
      stock: inStock === undefined ? 2 : inStock ? 1 : 0,
      brandMask,
    };
  }

  /** One row against a compiled filter: straight-line tests, no closure per test. */
  function rowPasses(f: CompiledFilter, d: number): boolean {
    if (f.categoryMask !== undefined) {
      const c = data.categoryOf[d]!;
      if (c < 0 || f.categoryMask[c] !== 1) return false;
    }
    if (f.priceTested) {
      // NaN (no price) fails both comparisons, as NULL does in SQL.
      const p = data.prices[d]!;
      if (!(p >= f.minPrice && p <= f.maxPrice)) return false;
    }
    if (f.stock !== 2 && data.inStock[d] !== f.stock) return false;
    if (f.brandMask !== undefined) {
      const b = data.brandOf[d]!;
      if (b < 0 || f.brandMask[b] !== 1) return false;
    }
    return true;
  }

  function compileFilter(filter: KeywordFilter): ((d: number) => boolean) | undefined {
    const f = compileFilterParts(filter);
    return f === undefined ? undefined : (d) => rowPasses(f, d);
  }

  /**
   * The keys of the rows passing a compiled filter, ascending: one pass per column that is tested, each
   * a tight loop over a typed column narrowing a row list (the most selective usual test, category, first).
   */
  function keysPassing(f: CompiledFilter): Float64Array {
    const rows = new Int32Array(n);
    let count = 0;
    const { categoryOf, prices, inStock, brandOf } = data;
    const cat = f.categoryMask;
    if (cat !== undefined) {
      for (let d = 0; d < n; d++) {
        const c = categoryOf[d]!;
        if (c >= 0 && cat[c] === 1) rows[count++] = d;
      }
    } else {
      for (let d = 0; d < n; d++) rows[d] = d;
      count = n;
    }
    let kept = 0;
    if (f.priceTested) {
      const lo = f.minPrice;
      const hi = f.maxPrice;
      for (let i = 0; i < count; i++) {
        const d = rows[i]!;
        const p = prices[d]!;
        if (p >= lo && p <= hi) rows[kept++] = d;
      }
      count = kept;
    }
    if (f.stock !== 2) {
      const want = f.stock;
      kept = 0;
      for (let i = 0; i < count; i++) {
        const d = rows[i]!;
        if (inStock[d] === want) rows[kept++] = d;
      }
      count = kept;
    }
    const brand = f.brandMask;
    if (brand !== undefined) {
      kept = 0;
      for (let i = 0; i < count; i++) {
        const d = rows[i]!;
        const b = brandOf[d]!;
        if (b >= 0 && brand[b] === 1) rows[kept++] = d;
      }
      count = kept;
    }
    const keys = data.keys;
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = keys[rows[i]!]!;
    return out;
  }

  interface QueryTerm {
    /** Position among the query's phrases (scores are summed in this order, like FTS5). */
    phrase: number;
    term: number;
    idf: number;
    bound: number;
  }

  function scoreOrder(contrib: Float64Array, present: Uint8Array, count: number): number {
    let s = 0;
    for (let i = 0; i < count; i++) if (present[i]) s += contrib[i]!;
    return s;
  }

  function searchAll(qt: QueryTerm[], top: TopK, pass: ((d: number) => boolean) | undefined, nPhrases: number): void {
    const byDf = [...qt].sort((a, b) => df(a.term) - df(b.term));
    const driver = byDf[0]!;
    const others = byDf.slice(1);
    const pos = others.map((q) => data.offsets[q.term]!);
    const contrib = new Float64Array(nPhrases);
    const present = new Uint8Array(nPhrases);
    for (let p = data.offsets[driver.term]!; p < data.offsets[driver.term + 1]!; p++) {
      const d = data.docs[p]!;
      if (pass && !pass(d)) continue;
      let all = true;
      for (let j = 0; j < others.length; j++) {
        const q = others[j]!;
        const at = seek(data.docs, pos[j]!, data.offsets[q.term + 1]!, d);
        pos[j] = at;
        if (at >= data.offsets[q.term + 1]! || data.docs[at] !== d) {
          all = false;
          break;
        }
      }
      if (!all) continue;
      const norm = norms[d]!;
      const f0 = data.freqs[p]!;
      contrib[driver.phrase] = (driver.idf * (f0 * (BM25_K1 + 1))) / (f0 + norm);
      present[driver.phrase] = 1;
      others.forEach((q, j) => {
        const f = data.freqs[pos[j]!]!;
        contrib[q.phrase] = (q.idf * (f * (BM25_K1 + 1))) / (f + norm);
        present[q.phrase] = 1;
      });
      top.offer(scoreOrder(contrib, present, nPhrases), d);
    }
  }

  function searchExhaustive(qt: QueryTerm[], top: TopK, pass: ((d: number) => boolean) | undefined): void {
    accumulator ??= new Float64Array(n);
    stamps ??= new Uint32Array(n);
    if (++generation === 0xffffffff) {
      stamps.fill(0);
      generation = 1;
    }
    const acc = accumulator;
    const stamp = stamps;
    const touched: number[] = [];
    const { docs, freqs } = data;
    // Phrase order, so each row's sum is added up in the same order as MaxScore's and FTS5's.
    const ordered = [...qt].sort((a, b) => a.phrase - b.phrase);
    for (const q of ordered) {
      const idf = q.idf;
      for (let p = data.offsets[q.term]!; p < data.offsets[q.term + 1]!; p++) {
        const d = docs[p]!;
        const f = freqs[p]!;
        // A row's first contribution starts its sum (no clearing pass over the accumulator).
        if (stamp[d] !== generation) {
          stamp[d] = generation;
          acc[d] = 0;
          touched.push(d);
        }
        acc[d]! += (idf * (f * (BM25_K1 + 1))) / (f + norms[d]!);
      }
    }
    for (const d of touched) if (!pass || pass(d)) top.offer(acc[d]!, d);
  }

  /** MaxScore over postings in doc order; docs arrive in ascending order, so a tie never displaces a kept row. */
  function searchMaxScore(qt: QueryTerm[], top: TopK, pass: ((d: number) => boolean) | undefined, nPhrases: number): void {
    const terms = [...qt].sort((a, b) => a.bound - b.bound);
    const m = terms.length;
    const cumulative = new Float64Array(m);
    const idfs = new Float64Array(m);
    const phraseOf = new Int32Array(m);
    const pos = new Int32Array(m);
    const end = new Int32Array(m);
    let sum = 0;
    for (let j = 0; j < m; j++) {
      const q = terms[j]!;
      sum += q.bound;
      cumulative[j] = sum;
      idfs[j] = q.idf;
      phraseOf[j] = q.phrase;
      pos[j] = data.offsets[q.term]!;
      end[j] = data.offsets[q.term + 1]!;
    }
    const contrib = new Float64Array(nPhrases);
    const present = new Uint8Array(nPhrases);
    const touched = new Int32Array(m);
    let firstEssential = 0;
    let threshold = Number.NEGATIVE_INFINITY;
    const { docs, freqs } = data;
    const k1plus1 = BM25_K1 + 1;
    /** Records query term j's posting p in the current row (its phrase's contribution); returns it. */
    const hit = (j: number, p: number, norm: number, slot: number): number => {
      const f = freqs[p]!;
      const c = (idfs[j]! * (f * k1plus1)) / (f + norm);
      const phrase = phraseOf[j]!;
      contrib[phrase] = c;
      present[phrase] = 1;
      touched[slot] = phrase;
      return c;
    };
    for (;;) {
      let d = NO_DOC;
      for (let j = firstEssential; j < m; j++) {
        const p = pos[j]!;
        if (p < end[j]!) {
          const x = docs[p]!;
          if (x < d) d = x;
        }
      }
      if (d === NO_DOC) break;
      if (pass !== undefined && !pass(d)) {
        for (let j = firstEssential; j < m; j++) if (pos[j]! < end[j]! && docs[pos[j]!] === d) pos[j]!++;
        continue;
      }
      const norm = norms[d]!;
      let nTouched = 0;
      let partial = 0;
      for (let j = firstEssential; j < m; j++) {
        const p = pos[j]!;
        if (p < end[j]! && docs[p] === d) {
          partial += hit(j, p, norm, nTouched++);
          pos[j] = p + 1;
        }
      }
      let pruned = false;
      for (let j = firstEssential - 1; j >= 0; j--) {
        if (partial + cumulative[j]! <= threshold) {
          pruned = true;
          break;
        }
        const p = seek(docs, pos[j]!, end[j]!, d);
        pos[j] = p;
        if (p < end[j]! && docs[p] === d) partial += hit(j, p, norm, nTouched++);
      }
      let score = 0;
      if (!pruned) score = scoreOrder(contrib, present, nPhrases);
      for (let i = 0; i < nTouched; i++) present[touched[i]!] = 0;
      if (pruned || score <= threshold) continue;
      top.offer(score, d);
      if (top.full) {
        threshold = top.threshold;
        while (firstEssential < m && cumulative[firstEssential]! <= threshold) firstEssential++;
      }
    }
  }

  const internals: IndexInternals = { data, termIds: termMap, ownsTermIds: true, rowOf, unsavedChanges: 0 };
  const index: KeywordIndex = {
    revision: data.revision,
    changeSeq: data.changeSeq,
    size: n,
    brands: () => data.brands,
    search(queryTokens, options) {
      rejectUnknownKeys(options, ['k', 'filter', 'match', 'pruning'], 'keyword index search');
      const { k, filter = {}, match = 'any', pruning = 'maxscore' } = options;
      if (!Number.isInteger(k) || k < 1) {
        throw createError('INVALID_ARGUMENT', 'keyword search: k must be a positive integer', { field: 'k', received: String(k) });
      }
      if (match !== 'any' && match !== 'all') {
        throw createError('INVALID_ARGUMENT', 'keyword search: match must be "any" or "all"', { field: 'match', received: String(match) });
      }
      if (pruning !== 'maxscore' && pruning !== 'none') {
        throw createError('INVALID_ARGUMENT', 'keyword search: pruning must be "maxscore" or "none"', { field: 'pruning', received: String(pruning) });
      }
      const phrases = queryPhrases(queryTokens);
      if (phrases.length === 0 || n === 0) return [];
      const all: QueryTerm[] = phrases.map((p, phrase) => {
        const key = phraseKey(p);
        const term = key.length > 0 ? termOf(key) : -1;
        const idf = idfOf(df(term));
        return { phrase, term, idf, bound: term < 0 ? 0 : idf * data.bounds[term]! * BOUND_SLACK };
      });
      const qt = all.filter((q) => q.term >= 0);
      if (qt.length === 0 || (match === 'all' && qt.length < all.length)) return [];
      const pass = compileFilter(filter);
      const top = new TopK(Math.min(k, n));
      if (match === 'all' && qt.length > 1) searchAll(qt, top, pass, phrases.length);
      else if (pruning === 'none') searchExhaustive(qt, top, pass);
      else searchMaxScore(qt, top, pass, phrases.length);
      return top.sorted().map(({ score, doc }) => ({ id: data.ids[doc]!, key: data.keys[doc]!, score }));
    },
    idOf(key) {
      const row = rowOf(key);
      return row < 0 ? undefined : data.ids[row];
    },
    keyFilter(filter) {
      const f = compileFilterParts(filter);
      if (f === undefined) return (key) => rowOf(key) >= 0;
      return (key) => {
        const row = rowOf(key);
        return row >= 0 && rowPasses(f, row);
      };
    },
    keysMatching(filter) {
      const f = compileFilterParts(filter);
      return f === undefined ? data.keys.slice(0, n) : keysPassing(f);
    },
    documentFrequencies(tokens) {
      const out = new Map<string, number>();
      for (const t of tokens) if (!out.has(t)) out.set(t, df(termOf(phraseKey(t))));
      return out;
    },
    isCurrent: (store) => store.revision() === data.revision,
    save(file) {
      const bytes = saveData(data, file);
      internals.unsavedChanges = 0;
      return bytes;
    },
    stats(): KeywordIndexStats {
      const typed = [data.keys, data.lengths, data.prices, data.inStock, data.categoryOf, data.brandOf, data.offsets, data.docs, data.freqs, data.bounds, norms];
      const stringBytes = (list: readonly string[]): number => list.reduce((s, x) => s + 16 + 2 * x.length, 0);
      return {
        revision: data.revision,
        products: n,
        terms: data.terms.length,
        postings: data.docs.length,
        // Typed arrays, the strings, and the term map (≈ 40 bytes an entry beside its key).
        memoryBytes:
          typed.reduce((s, a) => s + a.byteLength, 0) +
          stringBytes(data.ids) +
          stringBytes(data.terms) +
          stringBytes(data.categories) +
          stringBytes(data.brands) +
          40 * data.terms.length,
        averageLength: n > 0 ? data.totalLength / n : 0,
      };
    },
  };
  internalsOf.set(index, internals);
  return index;
}

/**
 * Builds the index from the store in one pass over its products (`iterateKeywordRows`), inside one
 * read transaction so the recorded revision is the one the rows come from.
 */
export function createMemoryKeywordIndex(store: ProductStore, options: Partial<MemoryKeywordIndexOptions> = {}): KeywordIndex {
  const opts = validateOptions(options);
  const data = store.transaction(() => buildData(store.iterateKeywordRows(), logPositionOf(store), opts));
  return createIndex(data);
}

/** Builds an index from rows given directly (key order); for tests and tools without a store. */
export function createMemoryKeywordIndexFromRows(rows: Iterable<KeywordRow>, revision: string, options: Partial<MemoryKeywordIndexOptions> = {}): KeywordIndex {
  return createIndex(buildData(rows, { revision, changeSeq: 0, changeLogId: '' }, validateOptions(options)));
}

// ---- File format ------------------------------------------------------------------------------
//
// magic (8 bytes) | format version (u32 LE) | header length (u32 LE) | header JSON | zero padding
// to 8 bytes | sections, each starting on an 8-byte boundary. The header lists every section
// (name, byte offset from the body start, byte length) and the SHA-1 of the body, so a truncated or
// damaged file is detected before any of it is used.

const TYPED_SECTIONS = ['keys', 'lengths', 'prices', 'inStock', 'categoryOf', 'brandOf', 'offsets', 'docs', 'freqs', 'bounds'] as const;
const STRING_SECTIONS = ['ids', 'terms', 'categories', 'brands'] as const;
type TypedSection = (typeof TYPED_SECTIONS)[number];
type StringSection = (typeof STRING_SECTIONS)[number];

const TYPED_CONSTRUCTORS = {
  keys: Float64Array,
  lengths: Uint32Array,
  prices: Float64Array,
  inStock: Int8Array,
  categoryOf: Int32Array,
  brandOf: Int32Array,
  offsets: Uint32Array,
  docs: Int32Array,
  freqs: Float32Array,
  bounds: Float64Array,
} as const satisfies Record<TypedSection, unknown>;

interface FileHeader {
  revision: string;
  changeSeq: number;
  changeLogId: string;
  rowsSinceExactBounds: number;
  weights: number[];
  maxPhraseTerms: number;
  totalLength: number;
  products: number;
  littleEndian: boolean;
  sha1: string;
  sections: { name: TypedSection | StringSection; offset: number; length: number }[];
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const align8 = (n: number): number => (n + 7) & ~7;

function saveData(data: IndexData, file: string): number {
  const parts: Uint8Array[] = [];
  const sections: FileHeader['sections'] = [];
  let offset = 0;
  const addPart = (name: TypedSection | StringSection, bytes: Uint8Array): void => {
    sections.push({ name, offset, length: bytes.byteLength });
    parts.push(bytes);
    const padded = align8(bytes.byteLength);
    if (padded > bytes.byteLength) parts.push(new Uint8Array(padded - bytes.byteLength));
    offset += padded;
  };
  for (const name of TYPED_SECTIONS) {
    const a = data[name];
    addPart(name, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  for (const name of STRING_SECTIONS) addPart(name, Buffer.from(JSON.stringify(data[name]), 'utf8'));
  const body = Buffer.concat(parts);
  const header: FileHeader = {
    revision: data.revision,
    changeSeq: data.changeSeq,
    changeLogId: data.changeLogId,
    rowsSinceExactBounds: data.rowsSinceExactBounds,
    weights: data.weights,
    maxPhraseTerms: data.maxPhraseTerms,
    totalLength: data.totalLength,
    products: data.ids.length,
    littleEndian: LITTLE_ENDIAN,
    sha1: createHash('sha1').update(body).digest('hex'),
    sections,
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(align8(16 + headerBytes.length));
  prefix.write(KEYWORD_INDEX_MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(KEYWORD_INDEX_FORMAT_VERSION, 8);
  prefix.writeUInt32LE(headerBytes.length, 12);
  headerBytes.copy(prefix, 16);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, Buffer.concat([prefix, body]));
  fs.renameSync(temp, file);
  return prefix.length + body.length;
}

type ParseResult = { ok: true; data: IndexData } | { ok: false; reason: KeywordIndexStaleReason; message: string; revision?: string };

/** Reads the header only: the revision a saved index was built from, or undefined when the file is missing or not an index. */
export function readKeywordIndexRevision(file: string): string | undefined {
  return readKeywordIndexHeader(file)?.revision;
}

/**
 * The store position a saved index stands at (header only), or undefined when the file is missing or
 * not an index. `changeSeq` and `changeLogId` are undefined in files of an older format.
 */
export function readKeywordIndexHeader(file: string): { formatVersion: number; revision: string; changeSeq?: number; changeLogId?: string } | undefined {
  if (!fs.existsSync(file)) return undefined;
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(16);
    if (fs.readSync(fd, head, 0, 16, 0) < 16 || head.toString('latin1', 0, 8) !== KEYWORD_INDEX_MAGIC) return undefined;
    const length = head.readUInt32LE(12);
    if (length > MAX_HEADER_BYTES) return undefined; // a damaged length must not allocate gigabytes
    const json = Buffer.alloc(length);
    if (fs.readSync(fd, json, 0, length, 16) < length) return undefined;
    const header = JSON.parse(json.toString('utf8')) as Partial<FileHeader>;
    if (typeof header.revision !== 'string') return undefined;
    return {
      formatVersion: head.readUInt32LE(8),
      revision: header.revision,
      changeSeq: typeof header.changeSeq === 'number' ? header.changeSeq : undefined,
      changeLogId: typeof header.changeLogId === 'string' ? header.changeLogId : undefined,
    };
  } catch {
    // Only for a header that is not JSON: "not an index" is the answer, not an error.
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

function parseFile(bytes: Buffer, weights: number[]): ParseResult {
  const damaged = (message: string): ParseResult => ({ ok: false, reason: 'damaged', message });
  if (bytes.length < 16 || bytes.toString('latin1', 0, 8) !== KEYWORD_INDEX_MAGIC) return damaged('not a prodsim keyword index');
  const version = bytes.readUInt32LE(8);
  if (version !== KEYWORD_INDEX_FORMAT_VERSION) {
    return { ok: false, reason: 'format', message: `file format ${version}, this prodsim reads ${KEYWORD_INDEX_FORMAT_VERSION}` };
  }
  const headerLength = bytes.readUInt32LE(12);
  if (16 + headerLength > bytes.length) return damaged('truncated header');
  let header: FileHeader;
  try {
    header = JSON.parse(bytes.toString('utf8', 16, 16 + headerLength)) as FileHeader;
  } catch {
    return damaged('header is not valid JSON');
  }
  if (header.littleEndian !== LITTLE_ENDIAN) return { ok: false, reason: 'format', message: 'written on a machine of the other byte order' };
  if (header.weights.length !== weights.length || header.weights.some((w, i) => w !== weights[i])) {
    return { ok: false, reason: 'format', message: `built with column weights ${header.weights.join(',')}, expected ${weights.join(',')}`, revision: header.revision };
  }
  const bodyStart = align8(16 + headerLength);
  // Typed-array views need an aligned buffer; a Buffer from the pool may not be.
  const body = bytes.byteOffset % 8 === 0 ? bytes.subarray(bodyStart) : Buffer.from(bytes.subarray(bodyStart));
  if (createHash('sha1').update(body).digest('hex') !== header.sha1) return damaged('checksum mismatch (truncated or modified)');
  const section = new Map(header.sections.map((s) => [s.name, s]));
  const bytesOf = (name: TypedSection | StringSection): Uint8Array | undefined => {
    const s = section.get(name);
    if (!s || s.offset + s.length > body.length) return undefined;
    return body.subarray(s.offset, s.offset + s.length);
  };
  const typed: Partial<Record<TypedSection, ArrayBufferView>> = {};
  for (const name of TYPED_SECTIONS) {
    const b = bytesOf(name);
    const C = TYPED_CONSTRUCTORS[name];
    if (!b || b.byteLength % C.BYTES_PER_ELEMENT !== 0 || b.byteOffset % C.BYTES_PER_ELEMENT !== 0) {
      return damaged(`section ${name} missing or misaligned`);
    }
    typed[name] = new C(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength / C.BYTES_PER_ELEMENT);
  }
  const strings: Partial<Record<StringSection, string[]>> = {};
  for (const name of STRING_SECTIONS) {
    const b = bytesOf(name);
    if (!b) return damaged(`section ${name} missing`);
    strings[name] = JSON.parse(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8')) as string[];
  }
  const data: IndexData = {
    revision: header.revision,
    changeSeq: header.changeSeq,
    changeLogId: header.changeLogId,
    rowsSinceExactBounds: typeof header.rowsSinceExactBounds === 'number' ? header.rowsSinceExactBounds : 0,
    weights: header.weights,
    maxPhraseTerms: header.maxPhraseTerms,
    totalLength: header.totalLength,
    ids: strings.ids!,
    categories: strings.categories!,
    brands: strings.brands!,
    brandOf: typed.brandOf as Int32Array,
    terms: strings.terms!,
    keys: typed.keys as Float64Array,
    lengths: typed.lengths as Uint32Array,
    prices: typed.prices as Float64Array,
    inStock: typed.inStock as Int8Array,
    categoryOf: typed.categoryOf as Int32Array,
    offsets: typed.offsets as Uint32Array,
    docs: typed.docs as Int32Array,
    freqs: typed.freqs as Float32Array,
    bounds: typed.bounds as Float64Array,
  };
  const n = header.products;
  const consistent =
    data.ids.length === n &&
    data.keys.length === n &&
    data.lengths.length === n &&
    data.prices.length === n &&
    data.inStock.length === n &&
    data.categoryOf.length === n &&
    data.brandOf.length === n &&
    typeof data.changeSeq === 'number' &&
    typeof data.changeLogId === 'string' &&
    data.offsets.length === data.terms.length + 1 &&
    data.bounds.length === data.terms.length &&
    data.docs.length === data.freqs.length &&
    data.offsets[data.terms.length] === data.docs.length;
  if (!consistent) return damaged('section sizes disagree');
  return { ok: true, data };
}

export interface LoadKeywordIndexOptions {
  /** The store revision the index must have been built from (`store.revision()`); unchecked when absent. */
  revision?: string;
  /** Must equal the weights the index was built with. */
  columnWeights?: Record<AnalyzedField, number>;
}

/**
 * Loads a saved index. Throws FILE_NOT_FOUND when the file is missing, and INDEX_STALE (details.reason
 * `revision`, `format` or `damaged`) when it was built from another store revision, by another file
 * format or column weights, or is damaged: the caller rebuilds (or use `openMemoryKeywordIndex`).
 */
export function loadMemoryKeywordIndex(file: string, options: LoadKeywordIndexOptions = {}): KeywordIndex {
  rejectUnknownKeys(options, ['revision', 'columnWeights'], 'loadMemoryKeywordIndex');
  if (!fs.existsSync(file)) throw createError('FILE_NOT_FOUND', `no keyword index at ${file}`, { file });
  const weights = ANALYZED_FIELDS.map((f) => (options.columnWeights ?? KEYWORD_COLUMN_WEIGHTS)[f]);
  const parsed = parseFile(fs.readFileSync(file), weights);
  if (!parsed.ok) throw keywordIndexStale(file, parsed.reason, parsed.message);
  if (options.revision !== undefined && parsed.data.revision !== options.revision) {
    throw keywordIndexStale(file, 'revision', `built from store revision ${parsed.data.revision}, the store is at ${options.revision}`);
  }
  return createIndex(parsed.data);
}

export interface OpenedKeywordIndex {
  index: KeywordIndex;
  /**
   * `loaded`: the file was current, or was brought up to date from the store's change log
   * (`changesApplied` > 0; the updated index is saved back); `built`: it was missing, stale beyond
   * what the log covers, or damaged, and was rebuilt and saved.
   */
  source: 'loaded' | 'built';
  /** Why it was rebuilt. */
  reason?: 'missing' | KeywordIndexStaleReason;
  /** Store changes (log rows) applied to the loaded file. */
  changesApplied?: number;
}

/**
 * The index of the store's current revision: loaded from `file` when that is current; loaded and
 * updated from the store's change log (`updateMemoryKeywordIndex`) and saved when the log reaches back
 * to it; otherwise built from the store and saved to `file`.
 */
export function openMemoryKeywordIndex(store: ProductStore, file: string, options: Partial<MemoryKeywordIndexOptions> = {}): OpenedKeywordIndex {
  const opts = validateOptions(options);
  let reason: OpenedKeywordIndex['reason'] = 'missing';
  const revision = store.revision();
  // Reading the header first avoids reading (and checksumming) a large file that must be rebuilt anyway.
  const saved = readKeywordIndexHeader(file);
  const updatable =
    saved !== undefined &&
    saved.formatVersion === KEYWORD_INDEX_FORMAT_VERSION &&
    saved.changeSeq !== undefined &&
    saved.changeLogId !== undefined &&
    saved.changeLogId !== '' &&
    saved.changeLogId === store.changeLogId() &&
    store.changesSince(saved.changeSeq) !== undefined;
  if (saved?.revision === revision || updatable) {
    const parsed = parseFile(fs.readFileSync(file), ANALYZED_FIELDS.map((f) => opts.columnWeights[f]));
    if (parsed.ok && parsed.data.maxPhraseTerms === opts.maxPhraseTerms) {
      const loaded = createIndex(parsed.data);
      if (saved?.revision === revision) return { index: loaded, source: 'loaded' };
      const updated = updateMemoryKeywordIndex(loaded, store, { ...opts, file, saveAfterFraction: 0 });
      if (updated.source === 'updated' || updated.source === 'current') {
        return { index: updated.index, source: 'loaded', changesApplied: updated.changesApplied };
      }
      return { index: updated.index, source: 'built', reason: 'revision' };
    }
    reason = parsed.ok ? 'format' : parsed.reason;
  } else if (saved !== undefined) reason = saved.formatVersion === KEYWORD_INDEX_FORMAT_VERSION ? 'revision' : 'format';
  else if (fs.existsSync(file)) reason = 'damaged';
  const index = createMemoryKeywordIndex(store, opts);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  index.save(file);
  return { index, source: 'built', reason };
}

// ---- Incremental update -----------------------------------------------------------------------
//
// An update reads the store's change log since the index's seq, reads the changed products' rows
// (`keywordRowsOf`) and merges them into a new index: rows of changed or deleted keys are dropped, the
// current rows of changed keys are analysed and merged in key order, and every posting list is
// rewritten once (old postings renumbered, new ones merged in doc order). The result holds exactly
// the postings, lengths and columns a full build of the same store would (term ids aside), so N,
// avgdl, document frequencies, scores and tie-breaks are those of a full build. MaxScore bounds are
// the old ones scaled by the avgdl change plus the new postings' exact values (valid upper bounds,
// so the same top-k), recomputed exactly once BOUNDS_RECOMPUTE_FRACTION of the products changed.
// Its cost is the changed rows' analysis plus one pass over the postings (no product JSON or store
// scan): see bench/keyword.ts for measured figures. Terms whose last product went away keep an
// empty posting list until the next full build.

/**
 * Above this share of the index's products changed, an update rebuilds from the store instead (reading
 * that many rows one key batch at a time stops being cheaper than one scan).
 */
export const KEYWORD_INCREMENTAL_MAX_FRACTION = 0.2;

/**
 * `updateMemoryKeywordIndex` with a `file` saves an updated index once the log rows merged since its
 * last save reach this share of its products (a save writes the whole index: ~100 ms at 100k
 * products, ~1 s at 1M); a file left behind is brought up to date from the log when next opened.
 */
export const KEYWORD_SAVE_AFTER_FRACTION = 0.01;

/**
 * An update scales the old MaxScore bounds instead of recomputing them over every posting (still upper
 * bounds, a little looser: see `mergeRows`); once this share of the products changed since the last
 * exact computation, it recomputes them, so pruning does not degrade over many updates.
 */
const BOUNDS_RECOMPUTE_FRACTION = 0.05;

export interface UpdateKeywordIndexOptions extends MemoryKeywordIndexOptions {
  /**
   * Save the result here (atomically) when it was rebuilt, when the file is missing, or when the log
   * rows merged since the last save reach `saveAfterFraction` of its products.
   */
  file?: string;
  /** Default `KEYWORD_SAVE_AFTER_FRACTION`; 0 saves after every update that changed the index. */
  saveAfterFraction: number;
}

export interface UpdatedKeywordIndex {
  index: KeywordIndex;
  /**
   * `current`: nothing to do (the same index, or one with only the revision moved when the store's
   * writes left no product change); `updated`: the log's changes were merged in; `built`: rebuilt.
   */
  source: 'current' | 'updated' | 'built';
  /** Why it was rebuilt: the log does not reach back to the index (`log`), or too many products changed (`changes`). */
  reason?: 'log' | 'changes';
  /** Log rows applied (0 when current or rebuilt). */
  changesApplied: number;
  /** Whether it was saved to `options.file`. */
  saved: boolean;
}

function logPositionOf(store: ProductStore): LogPosition {
  return { revision: store.revision(), changeSeq: store.changeSeq(), changeLogId: store.changeLogId() };
}

/**
 * Brings an index up to the store's current state from the change log (`ProductStore.changesSince`),
 * falling back to a full build when the log does not reach back to the index (or is another store's)
 * or more than `KEYWORD_INCREMENTAL_MAX_FRACTION` of the products changed. Returns a new index; the
 * given one stays usable (at its old state). Reads the store in one transaction. Saves to
 * `options.file` when given and the index changed; an index kept in memory need not be saved on
 * every update, since a file left behind is updated from the log when next opened.
 */
export function updateMemoryKeywordIndex(
  index: KeywordIndex,
  store: ProductStore,
  options: Partial<UpdateKeywordIndexOptions> = {},
): UpdatedKeywordIndex {
  const { file, saveAfterFraction = KEYWORD_SAVE_AFTER_FRACTION, ...indexOptions } = options;
  if (!(saveAfterFraction >= 0)) {
    throw createError('INVALID_ARGUMENT', 'saveAfterFraction must be a number ≥ 0', { field: 'saveAfterFraction', received: String(saveAfterFraction) });
  }
  const opts = validateOptions(indexOptions);
  const internals = internalsOf.get(index);
  if (!internals) throw createError('INVALID_ARGUMENT', 'updateMemoryKeywordIndex: not an index made by this module', { field: 'index' });
  const weights = ANALYZED_FIELDS.map((f) => opts.columnWeights[f]);
  const sameOptions = internals.data.maxPhraseTerms === opts.maxPhraseTerms && internals.data.weights.every((w, i) => w === weights[i]);
  const result = store.transaction((): Omit<UpdatedKeywordIndex, 'saved'> => {
    const log = logPositionOf(store);
    const { data } = internals;
    const rebuild = (reason: 'log' | 'changes'): Omit<UpdatedKeywordIndex, 'saved'> => ({
      index: createIndex(buildData(store.iterateKeywordRows(), log, opts)),
      source: 'built',
      reason,
      changesApplied: 0,
    });
    if (!sameOptions || log.changeLogId === '' || log.changeLogId !== data.changeLogId) return rebuild('log');
    if (log.revision === data.revision && log.changeSeq === data.changeSeq) return { index, source: 'current', changesApplied: 0 };
    const changes = store.changesSince(data.changeSeq);
    if (changes === undefined) return rebuild('log');
    const keys = [...new Set(changes.map((c) => c.key))].sort((a, b) => a - b);
    if (keys.length > KEYWORD_INCREMENTAL_MAX_FRACTION * Math.max(data.ids.length, 1) && keys.length > 64) return rebuild('changes');
    if (keys.length === 0) {
      // The revision moved without a product change reaching the log: the same data at the new position.
      internals.ownsTermIds = false;
      return { index: createIndex({ ...data, ...log }, internals.termIds), source: 'current', changesApplied: 0 };
    }
    const merged = mergeRows(internals, keys, store.keywordRowsOf(keys), log, opts);
    return { index: createIndex(merged.data, merged.termIds), source: 'updated', changesApplied: changes.length };
  });
  const next = internalsOf.get(result.index)!;
  if (result.index !== index && result.source !== 'built') next.unsavedChanges = internals.unsavedChanges + result.changesApplied;
  const save =
    file !== undefined &&
    result.index !== index &&
    (result.source === 'built' || !fs.existsSync(file) || next.unsavedChanges >= Math.max(1, saveAfterFraction * result.index.size));
  if (save) {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    result.index.save(file);
  }
  return { ...result, saved: save };
}

/**
 * The index data with the rows of `changedKeys` replaced by `rows` (their current state; keys absent
 * from `rows` were deleted). Both lists in ascending key order.
 */
function mergeRows(
  base: IndexInternals,
  changedKeys: readonly number[],
  rows: readonly KeywordRow[],
  log: LogPosition,
  opts: MemoryKeywordIndexOptions,
): { data: IndexData; termIds: Map<string, number> } {
  const old = base.data;
  const nOld = old.ids.length;
  // Terms: the old ids stay; new terms are appended to a copy of the list and to the map, which the
  // new index takes over (the old index ignores ids past its own terms).
  const terms = old.terms.slice();
  let termIds = base.termIds;
  if (!base.ownsTermIds) {
    termIds = new Map<string, number>();
    for (let i = 0; i < terms.length; i++) termIds.set(terms[i]!, i);
  }
  base.ownsTermIds = false;
  const termMap = termIds;
  const termId = (term: string): number => {
    let t = termMap.get(term);
    if (t === undefined || t >= terms.length || terms[t] !== term) {
      t = terms.length;
      termMap.set(term, t);
      terms.push(term);
    }
    return t;
  };

  const dead = new Uint8Array(nOld);
  for (const key of changedKeys) {
    const r = base.rowOf(key);
    if (r >= 0) dead[r] = 1;
  }
  const nNew = nOld - dead.reduce((s, x) => s + x, 0) + rows.length;

  // Analyse the new rows: their postings as (term, row index in `rows`, weighted frequency).
  const analyse = createRowAnalyser(old.weights, opts.maxPhraseTerms, termId);
  const newLengths = new Uint32Array(rows.length);
  const postTerm: number[] = [];
  const postRow: number[] = [];
  const postFreq: number[] = [];
  rows.forEach((row, i) => {
    const a = analyse(row);
    newLengths[i] = a.length;
    for (let j = 0; j < a.terms.length; j++) {
      postTerm.push(a.terms[j]!);
      postRow.push(i);
      postFreq.push(a.freqs[j]!);
    }
  });

  // Rows: the live old rows and the new ones merged by key.
  // Rows only appended (an ingest of new products: no old row dropped, every new key above the old
  // ones): old ordinals stay, so old columns and posting lists are block copies.
  const appendOnly = nNew === nOld + rows.length && (rows.length === 0 || nOld === 0 || rows[0]!.key > old.keys[nOld - 1]!);
  let ids: string[] = [];
  const keys = new Float64Array(nNew);
  const lengths = new Uint32Array(nNew);
  const prices = new Float64Array(nNew);
  const inStock = new Int8Array(nNew);
  const categoryOf = new Int32Array(nNew);
  // Brands: old rows keep their old brand id until the new sorted list is known (new rows: their string).
  const brandIds = new Int32Array(nNew);
  const newBrands: (string | null)[] = [];
  const categoryTable = interner(old.categories);
  const oldToNew = new Int32Array(nOld).fill(-1);
  const newOrdinal = new Int32Array(rows.length);
  let totalLength = 0;
  let i = 0;
  let j = 0;
  let d0 = 0;
  if (appendOnly) {
    ids = old.ids.slice();
    keys.set(old.keys);
    lengths.set(old.lengths);
    prices.set(old.prices);
    inStock.set(old.inStock);
    categoryOf.set(old.categoryOf);
    brandIds.set(old.brandOf);
    totalLength = old.totalLength;
    i = nOld;
    d0 = nOld;
  }
  for (let d = d0; d < nNew; d++) {
    while (i < nOld && dead[i]) i++;
    const takeOld = j >= rows.length || (i < nOld && old.keys[i]! < rows[j]!.key);
    if (takeOld) {
      oldToNew[i] = d;
      ids.push(old.ids[i]!);
      keys[d] = old.keys[i]!;
      lengths[d] = old.lengths[i]!;
      prices[d] = old.prices[i]!;
      inStock[d] = old.inStock[i]!;
      categoryOf[d] = old.categoryOf[i]!;
      brandIds[d] = old.brandOf[i]!;
      i++;
    } else {
      const row = rows[j]!;
      newOrdinal[j] = d;
      ids.push(row.id);
      keys[d] = row.key;
      lengths[d] = newLengths[j]!;
      prices[d] = row.price ?? Number.NaN;
      inStock[d] = row.inStock === null ? -1 : row.inStock ? 1 : 0;
      categoryOf[d] = row.category === null ? -1 : categoryTable.id(row.category);
      brandIds[d] = -2 - newBrands.length;
      newBrands.push(brandColumnValue(row.brand));
      j++;
    }
    totalLength += lengths[d]!;
  }

  const brands = mergeBrands(old.brands, brandIds, newBrands);

  // Postings: each term's old list (renumbered, dead rows dropped) merged with its new postings.
  const order = Array.from(postTerm.keys()).sort((a, b) => postTerm[a]! - postTerm[b]! || postRow[a]! - postRow[b]!);
  const nTerms = terms.length;
  const oldTerms = old.terms.length;
  const capacity = old.docs.length + order.length;
  const docs = new Int32Array(capacity);
  const freqs = new Float32Array(capacity);
  const offsets = new Uint32Array(nTerms + 1);
  const oldDocs = old.docs;
  const oldFreqs = old.freqs;
  let w = 0;
  let g = 0;
  if (appendOnly) {
    // The old postings between two terms that receive new postings are copied as one block, their offsets shifted.
    let tNext = 0;
    const copyOldUntil = (tEnd: number): void => {
      const a = Math.min(tNext, oldTerms);
      const b = Math.min(tEnd, oldTerms);
      if (b > a) {
        const p0 = old.offsets[a]!;
        const p1 = old.offsets[b]!;
        docs.set(oldDocs.subarray(p0, p1), w);
        freqs.set(oldFreqs.subarray(p0, p1), w);
        const shift = w - p0;
        for (let u = a; u < b; u++) offsets[u] = old.offsets[u]! + shift;
        w += p1 - p0;
      }
      for (let u = Math.max(tNext, oldTerms); u < tEnd; u++) offsets[u] = w;
      tNext = Math.max(tNext, tEnd);
    };
    while (g < order.length) {
      const t = postTerm[order[g]!]!;
      copyOldUntil(t + 1);
      for (; g < order.length && postTerm[order[g]!] === t; g++) {
        docs[w] = newOrdinal[postRow[order[g]!]!]!;
        freqs[w++] = postFreq[order[g]!]!;
      }
    }
    copyOldUntil(nTerms);
  }
  for (let t = 0; !appendOnly && t < nTerms; t++) {
    offsets[t] = w;
    let p = t < oldTerms ? old.offsets[t]! : 0;
    const end = t < oldTerms ? old.offsets[t + 1]! : 0;
    if (g >= order.length || postTerm[order[g]!] !== t) {
      // Most terms get no new posting: renumber and drop dead rows only.
      for (; p < end; p++) {
        const d = oldToNew[oldDocs[p]!]!;
        if (d >= 0) {
          docs[w] = d;
          freqs[w++] = oldFreqs[p]!;
        }
      }
      continue;
    }
    for (;;) {
      // The next new posting of this term, if any (new rows are in key order, so their ordinals ascend).
      const nextNew = g < order.length && postTerm[order[g]!] === t ? newOrdinal[postRow[order[g]!]!]! : NO_DOC;
      let nextOld = NO_DOC;
      while (p < end) {
        const d = oldToNew[oldDocs[p]!]!;
        if (d >= 0) {
          nextOld = d;
          break;
        }
        p++;
      }
      if (nextOld === NO_DOC && nextNew === NO_DOC) break;
      if (nextOld < nextNew) {
        docs[w] = nextOld;
        freqs[w++] = oldFreqs[p++]!;
      } else {
        docs[w] = nextNew;
        freqs[w++] = postFreq[order[g++]!]!;
      }
    }
  }
  offsets[nTerms] = w;
  const data: IndexData = {
    revision: log.revision,
    changeSeq: log.changeSeq,
    changeLogId: log.changeLogId,
    weights: old.weights,
    maxPhraseTerms: old.maxPhraseTerms,
    totalLength,
    ids,
    keys,
    lengths,
    prices,
    inStock,
    categoryOf,
    categories: categoryTable.list,
    brandOf: brandIds,
    brands,
    terms,
    offsets,
    // Views, not copies: the tail left unused (the dropped rows' postings) is small, and copying the
    // whole list again would double what an update writes.
    docs: w < capacity ? docs.subarray(0, w) : docs,
    freqs: w < capacity ? freqs.subarray(0, w) : freqs,
    bounds: new Float64Array(nTerms),
    rowsSinceExactBounds: 0,
  };
  const norms = normsOf(lengths, totalLength);
  const sinceExact = old.rowsSinceExactBounds + changedKeys.length;
  const exactBounds = sinceExact > BOUNDS_RECOMPUTE_FRACTION * Math.max(nNew, 1);
  data.rowsSinceExactBounds = exactBounds ? 0 : sinceExact;
  if (exactBounds) data.bounds = boundsOf(data, norms);
  else {
    // A term's bound before idf is max over its postings of f·(k1+1)/(f + k1·(1 − b + b·D/avgdl)).
    // When avgdl grows from A0 to A1 each posting's value grows by at most A1/A0, and not at all when
    // it shrinks; dropped postings only lower the max. So the old bounds, scaled, stay upper bounds;
    // new postings are added exactly. Saves the pass over every posting.
    const oldAvg = nOld > 0 ? old.totalLength / nOld : 1;
    const newAvg = nNew > 0 ? totalLength / nNew : 1;
    const scale = oldAvg > 0 ? Math.max(1, newAvg / oldAvg) : Number.POSITIVE_INFINITY;
    const bounds = data.bounds;
    if (Number.isFinite(scale)) for (let t = 0; t < oldTerms; t++) bounds[t] = old.bounds[t]! * scale;
    else bounds.set(boundsOf(data, norms));
    const k1plus1 = BM25_K1 + 1;
    for (let o = 0; o < order.length; o++) {
      const q = order[o]!;
      const f = postFreq[q]!;
      const value = (f * k1plus1) / (f + norms[newOrdinal[postRow[q]!]!]!);
      if (value > bounds[postTerm[q]!]!) bounds[postTerm[q]!] = value;
    }
  }
  return { data, termIds };
}
