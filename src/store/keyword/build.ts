/**
 * Building a keyword index segment from store rows: the options, the segment's data (`IndexData`:
 * columns, lengths, term dictionary and posting lists in CSR form), the row analyser shared by full
 * builds, updates and merges (so each gives a row bit-identical postings), and the MaxScore bounds.
 */
import { createError, rejectUnknownKeys } from '../../errors.ts';
import { phraseTokens } from '../sqlite/sqlite-sync-store.ts';
import { ANALYZED_FIELDS, KEYWORD_COLUMN_WEIGHTS, brandColumnValue, type AnalyzedField, type KeywordRow } from '../store.ts';
import { fts5Terms } from './fts5-terms.ts';
import { BM25_B, BM25_K1 } from './keyword-index.ts';

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

export const NO_DOC = 0x7fffffff;

/** Where in the store's history an index stands. */
export interface LogPosition {
  revision: string;
  /** The store's change-log seq the index is current up to, and the log's id (`ProductStore.changeLogId`). */
  changeSeq: number;
  changeLogId: string;
}

/** A main segment: everything a saved file holds (`index-file.ts` writes and reads it). Rows in ascending key order. */
export interface IndexData extends LogPosition {
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
  /** Distinct brands of the segment's rows (`brandColumnValue`), sorted. */
  brands: string[];
  terms: string[];
  /** Postings of term t: `docs`/`freqs` from `offsets[t]` to `offsets[t + 1]`, docs ascending. */
  offsets: Uint32Array;
  docs: Int32Array;
  /** Σ_columns weight · tf of the term in the row. */
  freqs: Float32Array;
  /**
   * An upper bound of f·(k1+1)/(f + norm(d)) over the term's postings with the segment's own avgdl
   * (totalLength / rows): its score bound before idf. Exact after a build or merge; a file of format 2
   * may hold looser (still upper) bounds.
   */
  bounds: Float64Array;
}

/** The tokens of a query in the order FTS5 sees them: the store's own rule (`phraseTokens`). */
export const queryPhrases: (tokens: readonly string[]) => string[] = phraseTokens;

/** The index term of a query token or stored token: its FTS5 terms, joined by a space when it is a phrase. */
export function phraseKey(token: string): string {
  return fts5Terms(token).join(' ');
}

export function validateOptions(options: Partial<MemoryKeywordIndexOptions>): MemoryKeywordIndexOptions {
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

export const weightsOf = (opts: MemoryKeywordIndexOptions): number[] => ANALYZED_FIELDS.map((f) => opts.columnWeights[f]);

/**
 * BM25's length normalisation k1·(1 − b + b·D/avgdl): the same expression as fts5Bm25Function's
 * denominator term, written once so every segment and every path rounds it alike.
 */
export function normOf(length: number, avgdl: number): number {
  return BM25_K1 * (1 - BM25_B + (BM25_B * length) / avgdl);
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

/** One row's FTS5 length and its distinct terms with their weighted frequencies (valid until the next call). */
export interface AnalysedRow {
  length: number;
  terms: number[];
  freqs: number[];
}

/**
 * Turns store rows into terms (ids from `termId`) and weighted frequencies, the same way for a full
 * build and an incremental update, so both give a row bit-identical postings.
 */
export function createRowAnalyser(weights: readonly number[], maxPhraseTerms: number, termId: (term: string) => number): (row: KeywordRow) => AnalysedRow {
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
export function interner(initial: readonly string[] = []): { list: string[]; id: (value: string) => number; map: Map<string, number> } {
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

/** Builds a main segment from store rows in key order. */
export function buildData(rows: Iterable<KeywordRow>, log: LogPosition, opts: MemoryKeywordIndexOptions): IndexData {
  const weights = weightsOf(opts);
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
  const data: IndexData = {
    revision: log.revision,
    changeSeq: log.changeSeq,
    changeLogId: log.changeLogId,
    weights,
    maxPhraseTerms: opts.maxPhraseTerms,
    totalLength,
    ids,
    keys: Float64Array.from(keys),
    lengths: Uint32Array.from(lengths),
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
  };
  data.bounds = boundsOf(data);
  return data;
}

/** Each term's exact score bound before idf over the segment's postings, with the segment's own avgdl. */
export function boundsOf(data: Pick<IndexData, 'offsets' | 'docs' | 'freqs' | 'lengths' | 'totalLength'>): Float64Array {
  // Locals: index data objects come in several shapes (built, loaded, merged), and this loop runs over every posting.
  const { offsets, docs, freqs, lengths } = data;
  const n = lengths.length;
  const avgdl = n > 0 ? data.totalLength / n : 1;
  const norms = new Float64Array(n);
  for (let d = 0; d < n; d++) norms[d] = normOf(lengths[d]!, avgdl);
  const nTerms = offsets.length - 1;
  const bounds = new Float64Array(nTerms);
  const k1plus1 = BM25_K1 + 1;
  let p = offsets[0] ?? 0;
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
