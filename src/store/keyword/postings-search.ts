/**
 * Query evaluation over a main segment's posting lists (BM25 as in SQLite's fts5 `bm25()`): the
 * exact top-k (`TopK`), AND matching by galloping intersection, exhaustive OR scoring, MaxScore
 * (Turtle & Flood 1995) OR scoring and Block-Max MaxScore (Ding & Suel 2011) OR scoring, both
 * starting from a threshold primed by the rows holding the most query terms. Rows are visited in
 * ascending key order; a row's score adds its phrases' contributions in phrase order, as FTS5 and
 * every other path here do, so equal rows get bit-identical scores whichever path scores them.
 */
import { BM25_K1 } from './keyword-index.ts';
import type { IndexData } from './build.ts';
import { BLOCK_SHIFT, type BlockMaxima } from './block-max.ts';

/** Past every doc ordinal. */
const NO_DOC = 0x7fffffff;
/** The most rows `primedThreshold` scores (the conjunction's first, in key order). */
const PRIMING_MAX_ROWS = 2048;
/** Relative margin below the primed k-th score at which MaxScore starts. */
const PRIMED_THRESHOLD_MARGIN = 1e-9;

/**
 * Top-k of (score, tie): higher score first, then lower tie. Root = worst kept. The tie value orders
 * like the store key: the main segment's evaluators offer doc ordinals (rows are in key order, and
 * offering an ordinal reads no key column), the delta segment offers keys.
 */
export class TopK {
  readonly scores: Float64Array;
  readonly ties: Float64Array;
  size = 0;
  constructor(readonly k: number) {
    this.scores = new Float64Array(k);
    this.ties = new Float64Array(k);
  }
  /** True when (s1, t1) ranks below (s2, t2). */
  private worse(s1: number, t1: number, s2: number, t2: number): boolean {
    return s1 < s2 || (s1 === s2 && t1 > t2);
  }
  get full(): boolean {
    return this.size === this.k;
  }
  /** The score a new candidate must beat once full (-Infinity before). */
  get threshold(): number {
    return this.full ? this.scores[0]! : Number.NEGATIVE_INFINITY;
  }
  offer(score: number, tie: number): void {
    const { scores, ties } = this;
    if (!this.full) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.worse(score, tie, scores[parent]!, ties[parent]!)) break;
        scores[i] = scores[parent]!;
        ties[i] = ties[parent]!;
        i = parent;
      }
      scores[i] = score;
      ties[i] = tie;
      return;
    }
    if (!this.worse(scores[0]!, ties[0]!, score, tie)) return;
    let i = 0;
    const n = this.size;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.worse(scores[r]!, ties[r]!, scores[l]!, ties[l]!) ? r : l;
      if (!this.worse(scores[c]!, ties[c]!, score, tie)) break;
      scores[i] = scores[c]!;
      ties[i] = ties[c]!;
      i = c;
    }
    scores[i] = score;
    ties[i] = tie;
  }
  /** Best first. */
  sorted(): { score: number; tie: number }[] {
    const out: { score: number; tie: number }[] = [];
    for (let i = 0; i < this.size; i++) out.push({ score: this.scores[i]!, tie: this.ties[i]! });
    return out.sort((a, b) => b.score - a.score || a.tie - b.tie);
  }
}

/** First position in [from, end) whose doc is ≥ target (galloping, then binary search). */
export function seek(docs: Int32Array, from: number, end: number, target: number): number {
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

export interface QueryTerm {
  /** Position among the query's phrases (scores are summed in this order, like FTS5). */
  phrase: number;
  /** Term id in the index's dictionary; the main segment's posting list when below its term count. */
  term: number;
  idf: number;
  /** Upper bound of the term's contribution in the main segment (idf · bound · slack). */
  bound: number;
  /** What turns the segment's bounds and block maxima into upper bounds of this query's contributions (idf · avgdl scale · slack). */
  scale: number;
  /** Live document frequency (main minus tombstoned, plus delta). */
  df: number;
}

/** A main segment as a query sees it: its data, the live BM25 length norms, and scratch reused across queries. */
export interface MainSearchContext {
  data: IndexData;
  /**
   * `normOf(length, live avgdl)` for every row length of the segment (0 to its longest row): row
   * lengths span a few hundred values, so a version's table costs that many divisions, not one a row.
   */
  normByLength: Float64Array;
  /**
   * Tombstones: a main row d is dead in this version when `tombstoneSeq[d] < tombstoneCount`
   * (tested inline in the loops, no call per row; nothing is tested when the count is 0).
   */
  tombstoneSeq: Int32Array;
  tombstoneCount: number;
  /** The segment's block maxima (computed per term when first needed). */
  blockMaxima: BlockMaxima;
  /** Exhaustive-scoring scratch (sums, and the query generation that last touched a row), sized to the segment. */
  scratch: { accumulator?: Float64Array; stamps?: Uint32Array; generation: number };
}

function scoreOrder(contrib: Float64Array, present: Uint8Array, count: number): number {
  let s = 0;
  for (let i = 0; i < count; i++) if (present[i]) s += contrib[i]!;
  return s;
}

/** Main-segment terms of the query only (a term added after the segment was built has no list there). */
const inMain = (data: IndexData, qt: readonly QueryTerm[]): QueryTerm[] => qt.filter((q) => q.term < data.terms.length);

/** What a Block-Max window scan ends with: the next window, the end of the query, or windows again from `windowStart`. */
const NEXT_WINDOW = 0;
const QUERY_DONE = 1;
const RESTART = 2;
/** `offerRow`: the scan goes on. */
const KEEP_SCANNING = 3;
type BlockMaxScan = typeof NEXT_WINDOW | typeof QUERY_DONE | typeof RESTART;

/** One Block-Max MaxScore query (`searchBlockMax`): per term j its list, bounds and phrase; the window's partition; the running threshold. */
interface BlockMaxQuery {
  readonly m: number;
  readonly idfs: Float64Array;
  readonly scales: Float64Array;
  readonly bounds: Float64Array;
  readonly phraseOf: Int32Array;
  readonly start: Int32Array;
  readonly pos: Int32Array;
  readonly end: Int32Array;
  readonly maxima: (Float64Array | undefined)[];
  /** Each term's exact largest contribution, the terms by phrase, and the required terms (`exactCeiling`). */
  readonly exact: Float64Array;
  readonly byPhrase: Int32Array;
  readonly ceilingWithout: (skip: number) => number;
  readonly required: Int32Array;
  readonly requiredTerms: (threshold: number) => number;
  /** The best score any row can have: the query stops once the threshold reaches it. */
  ceiling: number;
  /** This window's bound of each term, the terms in ascending order of it, and its running sums. */
  readonly windowBound: Float64Array;
  readonly order: Int32Array;
  readonly cumulative: Float64Array;
  /** Per-phrase contributions of the current row, and the phrases it touched. */
  readonly contrib: Float64Array;
  readonly present: Uint8Array;
  readonly touched: Int32Array;
  readonly top: TopK;
  readonly pass: ((d: number) => boolean) | undefined;
  readonly nPhrases: number;
  threshold: number;
  /** The threshold lowered by a relative 1e-12, which bounds are compared with. */
  limit: number;
  nRequired: number;
  windowStart: number;
  essentialFrom: number;
  requiredFrom: number;
}

export interface MainSegmentSearch {
  /** AND: rows holding every query term. */
  searchAll: (qt: QueryTerm[], top: TopK, pass: ((d: number) => boolean) | undefined, nPhrases: number) => void;
  /** OR, every matching row scored (for tests and benchmarks). */
  searchExhaustive: (qt: QueryTerm[], top: TopK, pass: ((d: number) => boolean) | undefined) => void;
  /** OR with MaxScore pruning; must run on an empty `top`. */
  searchMaxScore: (qt: QueryTerm[], top: TopK, pass: ((d: number) => boolean) | undefined, nPhrases: number) => void;
  /** OR with Block-Max MaxScore pruning; must run on an empty `top`. */
  searchBlockMax: (qt: QueryTerm[], top: TopK, pass: ((d: number) => boolean) | undefined, nPhrases: number) => void;
}

/**
 * The query evaluators of one index version's main segment: closures over the segment's arrays and
 * the version's norm table, made once per version, as the evaluators were before the split.
 *
 * Long on purpose: the four evaluators (and the Block-Max stages, each under 150 lines) are the
 * keyword index's hot loops and share the segment's arrays as closure variables; module functions
 * taking the segment as an argument measured a few per cent slower a MaxScore query at 100k
 * products (tmp-scratch timing, within the machine's noise but consistently so).
 */
export function mainSegmentSearch(ctx: MainSearchContext): MainSegmentSearch {
  const { data, normByLength, scratch, tombstoneSeq, tombstoneCount, blockMaxima } = ctx;
  /** AND: rows holding every query term. `qt` must all be main-segment terms, else nothing in main matches. */
  function searchAll(qt: QueryTerm[], top: TopK, pass: ((d: number) => boolean) | undefined, nPhrases: number): void {
    if (inMain(data, qt).length < qt.length) return;
    const offsets = data.offsets;
    const byDf = [...qt].sort((a, b) => offsets[a.term + 1]! - offsets[a.term]! - (offsets[b.term + 1]! - offsets[b.term]!));
    const driver = byDf[0]!;
    const others = byDf.slice(1);
    const pos = others.map((q) => offsets[q.term]!);
    const contrib = new Float64Array(nPhrases);
    const present = new Uint8Array(nPhrases);
    for (let p = offsets[driver.term]!; p < offsets[driver.term + 1]!; p++) {
      const d = data.docs[p]!;
      if ((tombstoneCount > 0 && tombstoneSeq[d]! < tombstoneCount) || (pass && !pass(d))) continue;
      let all = true;
      for (let j = 0; j < others.length; j++) {
        const q = others[j]!;
        const at = seek(data.docs, pos[j]!, offsets[q.term + 1]!, d);
        pos[j] = at;
        if (at >= offsets[q.term + 1]! || data.docs[at] !== d) {
          all = false;
          break;
        }
      }
      if (!all) continue;
      const norm = normByLength[data.lengths[d]!]!;
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

  /** OR, every matching row scored (for tests and benchmarks). */
  function searchExhaustive(qt: QueryTerm[], top: TopK, pass: ((d: number) => boolean) | undefined): void {
    const n = data.ids.length;
    scratch.accumulator ??= new Float64Array(n);
    scratch.stamps ??= new Uint32Array(n);
    if (++scratch.generation === 0xffffffff) {
      scratch.stamps.fill(0);
      scratch.generation = 1;
    }
    const generation = scratch.generation;
    const acc = scratch.accumulator;
    const stamp = scratch.stamps;
    const touched: number[] = [];
    const { docs, freqs, lengths } = data;
    // Phrase order, so each row's sum is added up in the same order as MaxScore's and FTS5's.
    const ordered = inMain(data, qt).sort((a, b) => a.phrase - b.phrase);
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
        acc[d]! += (idf * (f * (BM25_K1 + 1))) / (f + normByLength[lengths[d]!]!);
      }
    }
    for (const d of touched) if ((tombstoneCount === 0 || tombstoneSeq[d]! >= tombstoneCount) && (!pass || pass(d))) top.offer(acc[d]!, d);
  }

  /**
   * Each term's exact largest contribution in this version (over its peaks, `BlockMaxima.peaks`, with
   * the scoring expression and this version's norms), and `ceilingWithout(j)`: their sum in phrase
   * order, the order a row's score is added up in, leaving term j out (-1: none). Floating-point
   * addition is monotonic, so no row scores above `ceilingWithout(-1)`, and none lacking term j above
   * `ceilingWithout(j)`: exact tests, with no slack (once the top-k's threshold reaches the ceiling,
   * as when k rows tie at the best possible score, nothing left can enter it). `requiredTerms(threshold)`
   * fills `required` with the terms no row lacking them can beat the threshold without (taken largest
   * exact contribution first) and returns their count; it reads only these arrays, so the searches'
   * loop state stays out of closures.
   */
  function exactCeiling(terms: readonly QueryTerm[]): {
    exact: Float64Array;
    byPhrase: Int32Array;
    ceilingWithout: (skip: number) => number;
    required: Int32Array;
    requiredTerms: (threshold: number) => number;
  } {
    const m = terms.length;
    const exact = new Float64Array(m);
    const k1plus1 = BM25_K1 + 1;
    for (let j = 0; j < m; j++) {
      const peaks = blockMaxima.peaks(terms[j]!.term);
      const idf = terms[j]!.idf;
      let best = 0;
      for (let i = 0; i < peaks.length; i += 2) {
        const f = peaks[i]!;
        const c = (idf * (f * k1plus1)) / (f + normByLength[peaks[i + 1]!]!);
        if (c > best) best = c;
      }
      exact[j] = best;
    }
    const byPhrase = Int32Array.from({ length: m }, (_, j) => j).sort((a, b) => terms[a]!.phrase - terms[b]!.phrase);
    const ceilingWithout = (skip: number): number => {
      let sum = 0;
      for (let i = 0; i < m; i++) if (byPhrase[i] !== skip) sum += exact[byPhrase[i]!]!;
      return sum;
    };
    const byExact = Int32Array.from({ length: m }, (_, j) => j).sort((a, b) => exact[b]! - exact[a]!);
    const required = new Int32Array(m);
    const requiredTerms = (threshold: number): number => {
      let count = 0;
      for (let r = 0; r < m; r++) {
        const j = byExact[r]!;
        if (ceilingWithout(j) > threshold) break;
        required[count++] = j;
      }
      return count;
    };
    return { exact, byPhrase, ceilingWithout, required, requiredTerms };
  }

  /**
   * A score k live rows passing the filter are known to reach, or -Infinity: the k-th best exact
   * score among the rows holding the most query terms. The rows come from a greedy conjunction
   * (the shortest list of at least k rows, intersected with each other list, rarest first, while k
   * rows remain), at most `PRIMING_MAX_ROWS` of them scored. Any k scored rows bound the k-th best
   * score from below, so MaxScore may start its threshold there and still find the exact top k; the
   * rows holding the most terms are chosen because they are likely near the top, so the start is high.
   */
  function primedThreshold(terms: readonly QueryTerm[], k: number, pass: ((d: number) => boolean) | undefined, nPhrases: number): number {
    const { offsets, docs, freqs, lengths } = data;
    const length = (q: QueryTerm) => offsets[q.term + 1]! - offsets[q.term]!;
    const byLength = [...terms].sort((a, b) => length(a) - length(b));
    const first = byLength.findIndex((q) => length(q) >= k);
    if (first < 0 || terms.length < 2) return Number.NEGATIVE_INFINITY;
    const start = byLength[first]!.term;
    let rows = docs.subarray(offsets[start], offsets[start + 1]);
    for (let i = 0; i < byLength.length; i++) {
      if (i === first) continue;
      const q = byLength[i]!;
      const out = new Int32Array(Math.min(rows.length, length(q)));
      let n = 0;
      let p = offsets[q.term]!;
      const end = offsets[q.term + 1]!;
      for (let r = 0; r < rows.length && p < end && n < out.length; r++) {
        const d = rows[r]!;
        p = seek(docs, p, end, d);
        if (p < end && docs[p] === d) out[n++] = d;
      }
      if (n >= k) rows = out.subarray(0, n);
    }
    const best = new TopK(k);
    const contrib = new Float64Array(nPhrases);
    const present = new Uint8Array(nPhrases);
    const pos = Int32Array.from(terms, (q) => offsets[q.term]!);
    const k1plus1 = BM25_K1 + 1;
    for (let r = 0; r < Math.min(rows.length, PRIMING_MAX_ROWS); r++) {
      const d = rows[r]!;
      if ((tombstoneCount > 0 && tombstoneSeq[d]! < tombstoneCount) || (pass !== undefined && !pass(d))) continue;
      const norm = normByLength[lengths[d]!]!;
      for (let j = 0; j < terms.length; j++) {
        const q = terms[j]!;
        const end = offsets[q.term + 1]!;
        const p = seek(docs, pos[j]!, end, d);
        pos[j] = p;
        if (p < end && docs[p] === d) {
          const f = freqs[p]!;
          contrib[q.phrase] = (q.idf * (f * k1plus1)) / (f + norm);
          present[q.phrase] = 1;
        }
      }
      best.offer(scoreOrder(contrib, present, nPhrases), d);
      present.fill(0);
    }
    return best.full ? best.threshold : Number.NEGATIVE_INFINITY;
  }

  /**
   * The threshold a pruned search starts from: the primed k-th score lowered a little, so that a row
   * scoring exactly that (a tie that may rank above the primed row by key) is still offered.
   */
  function startingThreshold(terms: readonly QueryTerm[], top: TopK, pass: ((d: number) => boolean) | undefined, nPhrases: number): number {
    const primed = primedThreshold(terms, top.k, pass, nPhrases);
    return primed === Number.NEGATIVE_INFINITY ? primed : primed - Math.max(Math.abs(primed) * PRIMED_THRESHOLD_MARGIN, Number.MIN_VALUE);
  }

  /**
   * MaxScore over postings in doc order, with two exact tests from the terms' largest contributions
   * (`exactCeiling`): it stops once the threshold reaches the sum of them all (at 1M products the
   * top-50 of a brand + colour + thing query is often 50 rows tied at that best possible score, and
   * MaxScore alone then walked the rest of the lists for nothing), and once every row that can beat
   * the threshold must hold some terms (the others' sum is no more than it), rows come from the
   * zig-zag intersection of those terms' lists, the essential lists moved up to each.
   *
   * It must run on an empty `top`: docs arrive in ascending key order, so a tie never displaces a
   * kept row and `score <= threshold` can skip it.
   */
  function searchMaxScore(qtAll: QueryTerm[], top: TopK, pass: ((d: number) => boolean) | undefined, nPhrases: number): void {
    const terms = inMain(data, qtAll).sort((a, b) => a.bound - b.bound);
    const m = terms.length;
    if (m === 0) return;
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
    /** `required`: the terms every row that can beat the threshold holds (no row without one scores above it; exact). */
    const { ceilingWithout, required, requiredTerms } = exactCeiling(terms);
    const ceiling = ceilingWithout(-1);
    let nRequired = 0;
    /** Rows below it have been visited. */
    let from = 0;
    const contrib = new Float64Array(nPhrases);
    const present = new Uint8Array(nPhrases);
    const touched = new Int32Array(m);
    let firstEssential = 0;
    let threshold = startingThreshold(terms, top, pass, nPhrases);
    if (threshold > Number.NEGATIVE_INFINITY) {
      while (firstEssential < m && cumulative[firstEssential]! <= threshold) firstEssential++;
      nRequired = requiredTerms(threshold);
    }
    const { docs, freqs, lengths } = data;
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
      if (nRequired > 0) {
        // The next row holding every required term (zig-zag over their lists), then the essential
        // lists moved up to it: the rows skipped lack a required term.
        d = from;
        for (let r = 0, agreed = 0; agreed < nRequired; r = r + 1 === nRequired ? 0 : r + 1) {
          const j = required[r]!;
          const p = seek(docs, pos[j]!, end[j]!, d);
          pos[j] = p;
          if (p >= end[j]!) return;
          const x = docs[p]!;
          if (x === d) agreed++;
          else {
            d = x;
            agreed = 1;
          }
        }
        for (let j = firstEssential; j < m; j++) pos[j] = seek(docs, pos[j]!, end[j]!, d);
      } else {
        for (let j = firstEssential; j < m; j++) {
          const p = pos[j]!;
          if (p < end[j]!) {
            const x = docs[p]!;
            if (x < d) d = x;
          }
        }
        if (d === NO_DOC) break;
      }
      from = d + 1;
      if ((tombstoneCount > 0 && tombstoneSeq[d]! < tombstoneCount) || (pass !== undefined && !pass(d))) {
        for (let j = firstEssential; j < m; j++) if (pos[j]! < end[j]! && docs[pos[j]!] === d) pos[j]!++;
        continue;
      }
      const norm = normByLength[lengths[d]!]!;
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
        if (threshold >= ceiling) return;
        while (firstEssential < m && cumulative[firstEssential]! <= threshold) firstEssential++;
        nRequired = requiredTerms(threshold);
      }
    }
  }
  /**
   * Block-Max MaxScore (Ding & Suel 2011; the windowed form of Lucene's MaxScoreBulkScorer). Doc
   * ordinals are taken in windows that end where a block of an essential list ends; in a window each
   * term's bound is the largest maximum of its blocks there, and the terms are partitioned again by
   * those bounds: a window whose bounds sum to no more than the threshold is skipped whole; the
   * weakest terms, whose summed bounds cannot beat it, are only looked up for rows found through the
   * others; and once every competitive row of the window must hold some terms (the others' bounds
   * sum to no more than the threshold), rows come from the zig-zag intersection of their lists (led
   * by the shortest), never past the window's end, where the partition may differ. Across windows,
   * the terms every competitive row must hold by their exact largest contributions move the next
   * window's start to their next common row, and the search stops as `searchMaxScore` does.
   *
   * Measured slower than `searchMaxScore` on the synthetic catalogs (see `block-max.ts`): with keys in
   * ingestion order, every block of a common term holds a row near the term's best contribution, so
   * hardly a window is skipped and the windows' bookkeeping is paid for nothing. Kept as an option,
   * tested against the exhaustive path, for catalogs whose key order clusters products.
   *
   * Must run on an empty `top`: rows are visited in ascending doc order, so a tie never displaces a
   * kept row and a row whose bound is at most the threshold can be skipped. Bounds are compared with
   * the threshold lowered by a relative 1e-12, so a bound summed in another order than the score
   * (different rounding) never prunes a row that beats it.
   */
  /** The query's state: its terms' lists and bounds (`exactCeiling`'s too), the window's partition, scratch, and the running threshold. */
  function blockMaxQuery(terms: QueryTerm[], top: TopK, pass: ((d: number) => boolean) | undefined, nPhrases: number): BlockMaxQuery {
    const m = terms.length;
    const { offsets } = data;
    const q: BlockMaxQuery = {
      m,
      idfs: new Float64Array(m),
      scales: new Float64Array(m),
      bounds: new Float64Array(m),
      phraseOf: new Int32Array(m),
      start: new Int32Array(m),
      pos: new Int32Array(m),
      end: new Int32Array(m),
      maxima: [],
      ...exactCeiling(terms),
      ceiling: 0,
      windowBound: new Float64Array(m),
      order: Int32Array.from({ length: m }, (_, j) => j),
      cumulative: new Float64Array(m),
      contrib: new Float64Array(nPhrases),
      present: new Uint8Array(nPhrases),
      touched: new Int32Array(m),
      top,
      pass,
      nPhrases,
      threshold: Number.NEGATIVE_INFINITY,
      limit: Number.NEGATIVE_INFINITY,
      nRequired: 0,
      windowStart: 0,
      essentialFrom: 0,
      requiredFrom: m,
    };
    for (let j = 0; j < m; j++) {
      const t = terms[j]!;
      q.idfs[j] = t.idf;
      q.scales[j] = t.scale;
      q.bounds[j] = t.bound;
      q.phraseOf[j] = t.phrase;
      q.start[j] = q.pos[j] = offsets[t.term]!;
      q.end[j] = offsets[t.term + 1]!;
      q.maxima.push(blockMaxima.of(t.term));
    }
    // Both are upper bounds (the slack covers the other order of rounding): the smaller one serves.
    for (let j = 0; j < m; j++) if (q.exact[j]! < q.bounds[j]!) q.bounds[j] = q.exact[j]!;
    q.ceiling = q.ceilingWithout(-1);
    return q;
  }

  /** Records query term j's posting p in the current row (its phrase's contribution); returns it. */
  function recordHit(q: BlockMaxQuery, j: number, p: number, norm: number, slot: number): number {
    const f = data.freqs[p]!;
    const c = (q.idfs[j]! * (f * (BM25_K1 + 1))) / (f + norm);
    const phrase = q.phraseOf[j]!;
    q.contrib[phrase] = c;
    q.present[phrase] = 1;
    q.touched[slot] = phrase;
    return c;
  }

  /**
   * Moves to the window starting at (or after) `q.windowStart`: positions every list there, bounds each
   * term by its blocks in the window, and orders the terms by those bounds. Returns the window's end,
   * or -1 when no row is left.
   */
  function openWindow(q: BlockMaxQuery): number {
    const { m, pos, end, start, maxima, windowBound, order, cumulative, required } = q;
    const docs = data.docs;
    // A row lacking a required term cannot compete: start at the first row holding all of them.
    for (let moved = q.nRequired > 0; moved;) {
      moved = false;
      for (let r = 0; r < q.nRequired; r++) {
        const j = required[r]!;
        const p = seek(docs, pos[j]!, end[j]!, q.windowStart);
        pos[j] = p;
        if (p >= end[j]!) return -1;
        if (docs[p]! > q.windowStart) {
          q.windowStart = docs[p]!;
          moved = true;
        }
      }
    }
    let left = false;
    for (let j = 0; j < m; j++) {
      const p = seek(docs, pos[j]!, end[j]!, q.windowStart);
      pos[j] = p;
      if (p < end[j]!) left = true;
    }
    if (!left) return -1;
    // The window ends where the first block of the (last partition's) essential lists ends.
    let windowEnd = NO_DOC;
    for (let i = q.essentialFrom; i < m; i++) {
      const j = order[i]!;
      const p = pos[j]!;
      if (p >= end[j]!) continue;
      const blockEnd = Math.min(start[j]! + ((((p - start[j]!) >> BLOCK_SHIFT) + 1) << BLOCK_SHIFT), end[j]!);
      const after = docs[blockEnd - 1]! + 1;
      if (after < windowEnd) windowEnd = after;
    }
    for (let j = 0; j < m; j++) {
      const p = pos[j]!;
      const mx = maxima[j];
      if (p >= end[j]! || docs[p]! >= windowEnd) windowBound[j] = 0;
      else if (mx === undefined) windowBound[j] = q.bounds[j]!;
      else {
        const s = start[j]!;
        let b = (p - s) >> BLOCK_SHIFT;
        let best = mx[b]!;
        for (b++; b < mx.length && docs[s + (b << BLOCK_SHIFT)]! < windowEnd; b++) if (mx[b]! > best) best = mx[b]!;
        windowBound[j] = Math.min(best * q.scales[j]!, q.bounds[j]!);
      }
    }
    // Partition: ascending window bounds (insertion sort: a query has a few terms).
    for (let i = 1; i < m; i++) {
      const j = order[i]!;
      const w = windowBound[j]!;
      let at = i;
      while (at > 0 && windowBound[order[at - 1]!]! > w) {
        order[at] = order[at - 1]!;
        at--;
      }
      order[at] = j;
    }
    let sum = 0;
    for (let i = 0; i < m; i++) {
      sum += windowBound[order[i]!]!;
      cumulative[i] = sum;
    }
    return windowEnd;
  }

  /**
   * Whether the window is skipped whole: its bounds cannot beat the threshold, or (exactly, in phrase
   * order) the largest contributions of the terms it holds cannot.
   */
  function windowSkipped(q: BlockMaxQuery): boolean {
    const { m, windowBound, byPhrase, exact } = q;
    let windowCeiling = 0;
    for (let i = 0; i < m; i++) if (windowBound[byPhrase[i]!]! > 0) windowCeiling += exact[byPhrase[i]!]!;
    return q.cumulative[m - 1]! <= q.limit || windowCeiling <= q.threshold;
  }

  /**
   * The window's essential terms (`order` from `essentialFrom`: the others' bounds sum to no more than
   * the threshold) and required ones (from `requiredFrom`: every competitive row of the window holds
   * them, the others' bounds summing to no more than the threshold; rows then come from their intersection).
   */
  function partitionWindow(q: BlockMaxQuery): void {
    const { m, cumulative, windowBound, order } = q;
    q.essentialFrom = 0;
    while (cumulative[q.essentialFrom]! <= q.limit) q.essentialFrom++;
    q.requiredFrom = m;
    while (q.requiredFrom > 0 && q.limit >= 0) {
      const skip = q.requiredFrom - 1;
      let others = 0;
      for (let i = 0; i < m; i++) if (i !== skip) others += windowBound[order[i]!]!;
      if (others > q.limit) break;
      q.requiredFrom--;
    }
  }

  /** Whether a threshold's `limit` changes the window's partition: a term leaves the essential ones, or one more becomes required. */
  function partitionChanges(q: BlockMaxQuery): boolean {
    const { m, windowBound, order } = q;
    if (q.cumulative[q.essentialFrom]! <= q.limit) return true;
    if (q.requiredFrom === 0) return false;
    let others = 0;
    for (let i = 0; i < m; i++) if (i !== q.requiredFrom - 1) others += windowBound[order[i]!]!;
    return others <= q.limit;
  }

  /**
   * Offers row d's score; when the top-k's threshold rises, the limit and required terms follow it,
   * and the query ends (`QUERY_DONE`: nothing can beat it) or a changed partition restarts the windows
   * after d (`RESTART`).
   */
  function offerRow(q: BlockMaxQuery, score: number, d: number): typeof KEEP_SCANNING | typeof QUERY_DONE | typeof RESTART {
    const top = q.top;
    top.offer(score, d);
    if (!top.full || top.threshold === q.threshold) return KEEP_SCANNING;
    q.threshold = top.threshold;
    if (q.threshold >= q.ceiling) return QUERY_DONE;
    q.limit = q.threshold - Math.abs(q.threshold) * 1e-12;
    q.nRequired = q.requiredTerms(q.threshold);
    if (!partitionChanges(q)) return KEEP_SCANNING;
    q.windowStart = d + 1;
    return RESTART;
  }

  /**
   * Row d, holding `partial` from the `nTouched` terms found so far: the terms before `from` in `order`
   * are looked up while the row can still beat the limit, then it is scored and offered if it beats
   * the threshold.
   */
  function completeRow(
    q: BlockMaxQuery,
    d: number,
    from: number,
    norm: number,
    partial: number,
    nTouched: number,
  ): typeof KEEP_SCANNING | typeof QUERY_DONE | typeof RESTART {
    const { pos, end, order, cumulative, present, touched } = q;
    const docs = data.docs;
    let pruned = false;
    for (let i = from - 1; i >= 0; i--) {
      if (partial + cumulative[i]! <= q.limit) {
        pruned = true;
        break;
      }
      const j = order[i]!;
      const p = seek(docs, pos[j]!, end[j]!, d);
      pos[j] = p;
      if (p < end[j]! && docs[p] === d) partial += recordHit(q, j, p, norm, nTouched++);
    }
    let score = 0;
    if (!pruned) score = scoreOrder(q.contrib, present, q.nPhrases);
    for (let i = 0; i < nTouched; i++) present[touched[i]!] = 0;
    if (pruned || score <= q.threshold) return KEEP_SCANNING;
    return offerRow(q, score, d);
  }

  /** The window's rows from the zig-zag intersection of the required lists (led by the shortest), the others looked up. */
  function scanRequired(q: BlockMaxQuery, windowEnd: number): BlockMaxScan {
    const { m, pos, end, order, pass, requiredFrom } = q;
    const { docs, lengths } = data;
    // The lead: the required list with the fewest postings left.
    let lead = order[requiredFrom]!;
    for (let i = requiredFrom + 1; i < m; i++) {
      const j = order[i]!;
      if (end[j]! - pos[j]! < end[lead]! - pos[lead]!) lead = j;
    }
    const leadEnd = end[lead]!;
    rows: for (;;) {
      // Zig-zag to the next row holding every required term.
      let p = pos[lead]!;
      if (p >= leadEnd) break;
      let d = docs[p]!;
      for (let i = requiredFrom; i < m && d < windowEnd;) {
        const j = order[i]!;
        if (j === lead) {
          i++;
          continue;
        }
        const x0 = seek(docs, pos[j]!, end[j]!, d);
        pos[j] = x0;
        if (x0 >= end[j]!) break rows;
        const x = docs[x0]!;
        if (x > d) {
          // Past the window the partition, and so which terms are required, may differ: the lead
          // must not skip its rows there.
          if (x >= windowEnd) break rows;
          p = seek(docs, p, leadEnd, x);
          pos[lead] = p;
          if (p >= leadEnd) break rows;
          d = docs[p]!;
          i = requiredFrom;
        } else i++;
      }
      if (d >= windowEnd) break;
      pos[lead] = p + 1;
      if ((tombstoneCount > 0 && tombstoneSeq[d]! < tombstoneCount) || (pass !== undefined && !pass(d))) continue;
      const norm = normByLength[lengths[d]!]!;
      let nTouched = 0;
      let partial = 0;
      for (let i = requiredFrom; i < m; i++) {
        const j = order[i]!;
        partial += recordHit(q, j, j === lead ? p : pos[j]!, norm, nTouched++);
      }
      const next = completeRow(q, d, requiredFrom, norm, partial, nTouched);
      if (next !== KEEP_SCANNING) return next;
    }
    return NEXT_WINDOW;
  }

  /** The window's rows from the essential lists in doc order, the other terms looked up while the row can still compete. */
  function scanEssential(q: BlockMaxQuery, windowEnd: number): BlockMaxScan {
    const { m, pos, end, order, pass, essentialFrom } = q;
    const { docs, lengths } = data;
    for (;;) {
      let d = windowEnd;
      for (let i = essentialFrom; i < m; i++) {
        const j = order[i]!;
        const p = pos[j]!;
        if (p < end[j]!) {
          const x = docs[p]!;
          if (x < d) d = x;
        }
      }
      if (d >= windowEnd) break;
      if ((tombstoneCount > 0 && tombstoneSeq[d]! < tombstoneCount) || (pass !== undefined && !pass(d))) {
        for (let i = essentialFrom; i < m; i++) {
          const j = order[i]!;
          if (pos[j]! < end[j]! && docs[pos[j]!] === d) pos[j]!++;
        }
        continue;
      }
      const norm = normByLength[lengths[d]!]!;
      let nTouched = 0;
      let partial = 0;
      for (let i = essentialFrom; i < m; i++) {
        const j = order[i]!;
        const p = pos[j]!;
        if (p < end[j]! && docs[p] === d) {
          partial += recordHit(q, j, p, norm, nTouched++);
          pos[j] = p + 1;
        }
      }
      const next = completeRow(q, d, essentialFrom, norm, partial, nTouched);
      if (next !== KEEP_SCANNING) return next;
    }
    return NEXT_WINDOW;
  }

  /**
   * Block-Max MaxScore (Ding & Suel 2011; the windowed form of Lucene's MaxScoreBulkScorer). Doc
   * ordinals are taken in windows that end where a block of an essential list ends; in a window each
   * term's bound is the largest maximum of its blocks there, and the terms are partitioned again by
   * those bounds: a window whose bounds sum to no more than the threshold is skipped whole; the
   * weakest terms, whose summed bounds cannot beat it, are only looked up for rows found through the
   * others; and once every competitive row of the window must hold some terms (the others' bounds
   * sum to no more than the threshold), rows come from the zig-zag intersection of their lists (led
   * by the shortest), never past the window's end, where the partition may differ. Across windows,
   * the terms every competitive row must hold by their exact largest contributions move the next
   * window's start to their next common row, and the search stops as `searchMaxScore` does.
   *
   * Measured slower than `searchMaxScore` on the synthetic catalogs (see `block-max.ts`): with keys in
   * ingestion order, every block of a common term holds a row near the term's best contribution, so
   * hardly a window is skipped and the windows' bookkeeping is paid for nothing. Kept as an option,
   * tested against the exhaustive path, for catalogs whose key order clusters products.
   *
   * Must run on an empty `top`: rows are visited in ascending doc order, so a tie never displaces a
   * kept row and a row whose bound is at most the threshold can be skipped. Bounds are compared with
   * the threshold lowered by a relative 1e-12, so a bound summed in another order than the score
   * (different rounding) never prunes a row that beats it.
   *
   * Stages: `openWindow`, `windowSkipped`, `partitionWindow`, then `scanRequired` or `scanEssential`,
   * which finish rows (`completeRow`, `offerRow`); the loop state lives in one object
   * (`BlockMaxQuery`). Not slower than the one 276-line function it was: 300 queries of 2-7 words,
   * k 50, on 200k synthetic rows took 214.5 CPU ms split against 319.9 before (median of 15
   * interleaved rounds in one process; minima 181.2 and 199.5; a loaded 2-core machine, so only
   * "not slower" is claimed); the state moved from locals to an object alone: 310.4 against 311.6.
   */
  function searchBlockMax(qtAll: QueryTerm[], top: TopK, pass: ((d: number) => boolean) | undefined, nPhrases: number): void {
    const terms = inMain(data, qtAll);
    if (terms.length === 0) return;
    const q = blockMaxQuery(terms, top, pass, nPhrases);
    q.threshold = startingThreshold(terms, top, pass, nPhrases);
    if (q.threshold > Number.NEGATIVE_INFINITY) {
      q.limit = q.threshold - Math.abs(q.threshold) * 1e-12;
      q.nRequired = q.requiredTerms(q.threshold);
    }
    for (;;) {
      const windowEnd = openWindow(q);
      if (windowEnd < 0) return;
      if (windowSkipped(q)) {
        if (windowEnd === NO_DOC) return;
        q.windowStart = windowEnd;
        continue;
      }
      partitionWindow(q);
      const scanned = q.requiredFrom < q.m ? scanRequired(q, windowEnd) : scanEssential(q, windowEnd);
      if (scanned === QUERY_DONE) return;
      if (scanned === RESTART) continue;
      if (windowEnd === NO_DOC) return;
      q.windowStart = windowEnd;
    }
  }
  return { searchAll, searchExhaustive, searchMaxScore, searchBlockMax };
}
