/**
 * Query evaluation over a main segment's posting lists (BM25 as in SQLite's fts5 `bm25()`): the
 * exact top-k (`TopK`), AND matching by galloping intersection, exhaustive OR scoring, and MaxScore
 * (Turtle & Flood 1995) OR scoring. Rows are visited in ascending key order; a row's score adds its
 * phrases' contributions in phrase order, as FTS5 and every other path here do, so equal rows get
 * bit-identical scores whichever path scores them.
 */
import { BM25_K1 } from './keyword-index.ts';
import type { IndexData } from './build.ts';

/** Past every doc ordinal. */
const NO_DOC = 0x7fffffff;

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

export interface MainSegmentSearch {
  /** AND: rows holding every query term. */
  searchAll(qt: QueryTerm[], top: TopK, pass: ((d: number) => boolean) | undefined, nPhrases: number): void;
  /** OR, every matching row scored (for tests and benchmarks). */
  searchExhaustive(qt: QueryTerm[], top: TopK, pass: ((d: number) => boolean) | undefined): void;
  /** OR with MaxScore pruning; must run on an empty `top`. */
  searchMaxScore(qt: QueryTerm[], top: TopK, pass: ((d: number) => boolean) | undefined, nPhrases: number): void;
}

/**
 * The query evaluators of one index version's main segment: closures over the segment's arrays and
 * the version's norm table, made once per version, as the evaluators were before the split (module
 * functions taking the segment as an argument measured a few per cent slower a MaxScore query at
 * 100k products, tmp-scratch timing, within the machine's noise but consistently so).
 */
export function mainSegmentSearch(ctx: MainSearchContext): MainSegmentSearch {
  const { data, normByLength, scratch, tombstoneSeq, tombstoneCount } = ctx;
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
   * MaxScore over postings in doc order. It must run on an empty `top`: docs arrive in ascending key
   * order, so a tie never displaces a kept row and `score <= threshold` can skip it.
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
    const contrib = new Float64Array(nPhrases);
    const present = new Uint8Array(nPhrases);
    const touched = new Int32Array(m);
    let firstEssential = 0;
    let threshold = Number.NEGATIVE_INFINITY;
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
      for (let j = firstEssential; j < m; j++) {
        const p = pos[j]!;
        if (p < end[j]!) {
          const x = docs[p]!;
          if (x < d) d = x;
        }
      }
      if (d === NO_DOC) break;
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
        while (firstEssential < m && cumulative[firstEssential]! <= threshold) firstEssential++;
      }
    }
  }
  return { searchAll, searchExhaustive, searchMaxScore };
}
