/**
 * An absolute relevance score for a search hit, so a shop can tell "the best of a bad lot" from a
 * match: the fused and reranked scores only order the candidates of one query (a softmax over them
 * gives the top hit probability 1 even when nothing matches). The score is a probability that a
 * shopper judges the product relevant, from query–product evidence:
 * - `coverage`: how much of the query the product's own words hold (title, brand, category, tags):
 *   each query token counts 1 when the product holds it (a Chinese word as a substring of the text,
 *   so segmentation does not matter), else, for a Chinese word, the share of its character bigrams
 *   the text holds, or half the share of its characters if more (男士 against 男装), or, for a
 *   compound of dictionary words, the share of its parts the text holds with the last part (the
 *   head: what the thing is) weighing `HEAD_PART_WEIGHT`, whichever is most (蓝牙耳机 against
 *   无线降噪耳机: 耳机 found, 蓝牙 not, 2/3); the mean over query tokens;
 * - `denseSimilarity`: cosine of the query and product vectors of the text space.
 * mapped to [0, 1] by a logistic calibration fitted on the dev judgments
 * (`SEARCH_RELEVANCE_CALIBRATION`, refitted by `scripts/fit-search-calibration.ts`).
 */
import type { Product } from '../catalog/product.ts';
import { categoryLevels } from '../catalog/product.ts';
import type { TextAnalyzer } from '../text/analyzer.ts';

const HAN_ONLY = /^\p{Script=Han}+$/u;
/** Credit of a Chinese query word whose characters, not bigrams, the product holds: per character found, half of a whole word. */
export const HAN_UNIGRAM_CREDIT = 0.5;
/**
 * Weight of a Chinese compound's last part against 1 for each other part: a Chinese compound names
 * what the thing is last (蓝牙**耳机**, 机械**键盘**), so a product holding the head but not a
 * modifier (wireless headphones for 蓝牙耳机) is nearer than one holding a modifier only (蓝牙音箱).
 */
export const HEAD_PART_WEIGHT = 2;

export interface RelevanceEvidence {
  /** Share of the query the product's title, brand, category and tags hold, in [0, 1]. */
  coverage: number;
  /** Cosine of the query and product vectors (0 when either is missing). */
  denseSimilarity: number;
}

/**
 * Logistic calibration of the evidence: P(relevant) = σ(bias + coverage·w_c + denseSimilarity·w_d).
 * Fitted on the dev judgments of ../shared/datasets/search-relevance (CrowdFlower: judged products
 * of each query's top 10, relevant = rated ≥ 3; Multi-CPR mini: the top 10, relevant = the annotated
 * title) by `node --import tsx scripts/fit-search-calibration.ts`; its reliability (expected
 * calibration error 0.05 / 0.04 cross-validated by query) is in docs/benchmarks/search-calibration.md.
 */
export const SEARCH_RELEVANCE_CALIBRATION = {
  bias: -6.364,
  coverage: 6.745,
  denseSimilarity: 2.655,
  fittedOn: 'CrowdFlower + Multi-CPR mini dev queries, top 10 of default search, 2,418 judged hits (2026-12-04)',
} as const;

/**
 * Below this calibrated relevance for the best hit, search says "no good match" (`noGoodMatch`): fewer
 * than one shopper in four would call the best hit relevant. At 0.5 ("more likely irrelevant"), two
 * thirds of the Multi-CPR dev queries were flagged though most of their top hits were the annotated
 * title (its other titles count as irrelevant by construction, which pulls the calibration down).
 */
export const NO_GOOD_MATCH_BELOW = 0.25;

const WORD_RUN = /[\p{L}\p{N}]+/gu;

/**
 * The product's own words as one normalised text (Chinese words are looked up in it) and a token set:
 * the runs of letters and digits of that text, plus the title's analyser tokens when given (the
 * stored analysis: model numbers and quantities in canonical form). Normalising only, without
 * segmenting, keeps this cheap enough for every hit.
 */
export function productEvidenceText(product: Product, analyzer: TextAnalyzer, titleTokens: readonly string[] = []): { text: string; tokens: Set<string> } {
  const parts = [product.title, product.brand ?? '', ...categoryLevels(product.category), ...product.tags];
  const normalized = analyzer.normalize(parts.filter((p) => p.length > 0).join(' \n '));
  const tokens = new Set<string>();
  for (const run of normalized.match(WORD_RUN) ?? []) tokens.add(foldPlural(run));
  for (const t of titleTokens) tokens.add(foldPlural(t));
  return { text: normalized.replace(/\s+/g, ''), tokens };
}

/** English plural folded (`jars` → `jar`), so "mason jars" covers "mason jar". */
function foldPlural(token: string): string {
  return token.length > 3 && /^[a-z]+s$/.test(token) && !token.endsWith('ss') ? token.slice(0, -1) : token;
}

/** A query prepared for `queryCoverage`: its distinct tokens and the parts of its Chinese compounds. */
export interface CoverageQuery {
  tokens: readonly string[];
  /** Parts of each Chinese token made of two or more dictionary words of two or more characters. */
  compoundParts: ReadonlyMap<string, readonly string[]>;
}

/** Prepares a query's tokens once for the coverage of every hit (the compound cut is the analyser's). */
export function coverageQuery(queryTokens: readonly string[], analyzer: Pick<TextAnalyzer, 'wordParts'>): CoverageQuery {
  const tokens = [...new Set(queryTokens)];
  const compoundParts = new Map<string, string[]>();
  for (const token of tokens) {
    if (!HAN_ONLY.test(token) || [...token].length < 4) continue;
    const parts = analyzer.wordParts(token);
    // Single-character heads (连衣**裙**, 保温**杯**) are found anywhere: their words keep the bigram credit.
    if (parts.length > 1 && parts.every((p) => [...p].length >= 2)) compoundParts.set(token, parts);
  }
  return { tokens, compoundParts };
}

/** Query coverage of the product's words (see the module comment); 0 for a query without tokens. */
export function queryCoverage(query: CoverageQuery, product: { text: string; tokens: ReadonlySet<string> }): number {
  const { tokens } = query;
  if (tokens.length === 0) return 0;
  let sum = 0;
  for (const token of tokens) {
    if (product.tokens.has(foldPlural(token))) {
      sum += 1;
      continue;
    }
    if (!HAN_ONLY.test(token)) continue;
    if (product.text.includes(token)) {
      sum += 1;
      continue;
    }
    const chars = [...token];
    if (chars.length < 2) continue;
    let bigrams = 0;
    for (let i = 0; i + 1 < chars.length; i++) if (product.text.includes(chars[i]! + chars[i + 1]!)) bigrams++;
    const unigrams = chars.filter((ch) => product.text.includes(ch)).length;
    const parts = query.compoundParts.get(token);
    sum += Math.max(bigrams / (chars.length - 1), HAN_UNIGRAM_CREDIT * (unigrams / chars.length), parts ? compoundCredit(parts, product.text) : 0);
  }
  return sum / tokens.length;
}

/** Share of a compound's parts the text holds, the last part weighing `HEAD_PART_WEIGHT`. */
function compoundCredit(parts: readonly string[], text: string): number {
  let found = 0;
  parts.forEach((part, i) => {
    if (text.includes(part)) found += i === parts.length - 1 ? HEAD_PART_WEIGHT : 1;
  });
  return found / (parts.length - 1 + HEAD_PART_WEIGHT);
}

/** The calibrated probability that a shopper judges the product relevant to the query. */
export function calibratedRelevance(evidence: RelevanceEvidence): number {
  const c = SEARCH_RELEVANCE_CALIBRATION;
  const z = c.bias + c.coverage * evidence.coverage + c.denseSimilarity * evidence.denseSimilarity;
  return 1 / (1 + Math.exp(-z));
}
