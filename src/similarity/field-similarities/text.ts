/**
 * Text similarities for title and description, two independent kinds so a profile can weigh them
 * separately:
 *
 * - dense: cosine of the two precomputed embeddings, brought into [0, 1] by `toUnitScore`
 *   (negative cosine → 0 by default); `undefined` if either vector is missing or zero.
 * - lexical: cosine of sparse vectors (BM25 / tf-idf) when both sides have one, else a set measure
 *   on the analyzer's tokens: `jaccard` |A∩B|/|A∪B| (default), `dice` 2|A∩B|/(|A|+|B|), or
 *   `overlap` |A∩B|/min(|A|,|B|); with `tokenWeight` (IDF) the counts become sums of token
 *   weights. Matched tokens are always reported, whatever the measure.
 *   `undefined` if either text is missing or has no tokens.
 */
import type { AnalyzedText } from '../../text/analyzer.ts';
import type { SparseVector } from '../../encoders/encoder.ts';
import { cosineMetric, cosineSimilarity, sparseCosineSimilarity, toUnitScore, type UnitMapping } from '../metrics.ts';
import { lazyEvidence, memoizeByObject, round, type FieldEvidence, type FieldSimilarity } from './types.ts';

export interface DenseTextEvidence extends FieldEvidence {
  cosine: number;
  mapping: UnitMapping;
}

export function denseTextSimilarity(
  a: Float32Array | undefined,
  b: Float32Array | undefined,
  mapping: UnitMapping = 'clamp',
): FieldSimilarity<DenseTextEvidence> | undefined {
  if (!a || !b) return undefined;
  const cos = cosineSimilarity(a, b);
  if (cos === undefined) return undefined;
  return lazyEvidence(toUnitScore(cosineMetric, cos, mapping), () => ({ summary: `cosine ${round(cos, 3)}`, cosine: cos, mapping }));
}

export type LexicalMeasure = 'jaccard' | 'dice' | 'overlap';

export interface LexicalTextEvidence extends FieldEvidence {
  measure: LexicalMeasure | 'sparseCosine';
  matchedTokens: string[];
  onlyA: string[];
  onlyB: string[];
}

export interface LexicalInput {
  text?: Pick<AnalyzedText, 'tokens'>;
  sparse?: SparseVector;
}

/** Weight of a token for lexical similarity (e.g. IDF from the store's corpus statistics). */
export type TokenWeightFn = (token: string) => number;

/**
 * IDF weights from tokenised documents: ln(1 + N / (1 + df)). Unseen tokens get the weight of a
 * token seen once less than that (df = 0), the rarest: a word no other product uses is distinctive.
 */
export function idfTokenWeights(documents: Iterable<readonly string[]>): TokenWeightFn {
  const df = new Map<string, number>();
  let n = 0;
  for (const doc of documents) {
    n++;
    for (const t of new Set(doc)) df.set(t, (df.get(t) ?? 0) + 1);
  }
  return (token) => Math.log(1 + n / (1 + (df.get(token) ?? 0)));
}

export interface LexicalOptions {
  measure: LexicalMeasure;
  /** Maps tokens before comparing (brand names to one form, see `createBrandTokenCanonicalizer`). */
  canonicalizeToken: (token: string) => string;
  /**
   * Token weights: the set measures become weighted (Σ w over shared tokens instead of a count),
   * so uninformative words (新款, 2020, 女) count less than rare ones. Unweighted when absent.
   */
  tokenWeight?: TokenWeightFn;
}

const identity = (t: string): string => t;
const NO_TOKENS: ReadonlySet<string> = new Set();

/**
 * The canonical token set of a token list, kept per list and canonicaliser: one product's title is
 * compared with every candidate's. Analysed texts are not mutated once made.
 */
const tokenSetsBy = memoizeByObject((canonicalize: (t: string) => string) =>
  memoizeByObject((tokens: readonly string[]): ReadonlySet<string> => new Set(tokens.map(canonicalize))),
);
function canonicalTokenSet(tokens: readonly string[] | undefined, canonicalize: (t: string) => string): ReadonlySet<string> {
  return !tokens || tokens.length === 0 ? NO_TOKENS : tokenSetsBy(canonicalize)(tokens);
}

/**
 * Matched tokens are reported in canonical form. With sparse vectors on both sides their cosine
 * is the score and the token sets only explain it.
 */
export function lexicalTextSimilarity(
  a: LexicalInput,
  b: LexicalInput,
  measureOrOptions: LexicalMeasure | Partial<LexicalOptions> = 'jaccard',
): FieldSimilarity<LexicalTextEvidence> | undefined {
  const o = typeof measureOrOptions === 'string' ? { measure: measureOrOptions } : measureOrOptions;
  const measure = o.measure ?? 'jaccard';
  const canonicalizeToken = o.canonicalizeToken ?? identity;
  const ta = canonicalTokenSet(a.text?.tokens, canonicalizeToken);
  const tb = canonicalTokenSet(b.text?.tokens, canonicalizeToken);
  if (a.sparse && b.sparse) {
    const cos = sparseCosineSimilarity(a.sparse, b.sparse);
    if (cos !== undefined) return lazyEvidence(Math.max(0, cos), () => lexicalEvidence(ta, tb, 'sparseCosine', `sparse cosine ${round(cos, 3)}`));
  }
  if (ta.size === 0 || tb.size === 0) return undefined;
  const w = o.tokenWeight;
  let inter = 0;
  let shared = 0;
  for (const t of ta) {
    if (!tb.has(t)) continue;
    shared++;
    inter += w ? Math.max(0, w(t)) : 1;
  }
  const wa = w ? weightSum(ta, w) : ta.size;
  const wb = w ? weightSum(tb, w) : tb.size;
  const denom = measure === 'jaccard' ? wa + wb - inter : measure === 'dice' ? (wa + wb) / 2 : Math.min(wa, wb);
  const score = denom > 0 ? Math.min(1, inter / denom) : 0;
  // The score needs only the shared tokens' weights; the token lists and summary are evidence, made when read.
  return lazyEvidence(score, () => lexicalEvidence(ta, tb, measure, `${w ? 'weighted ' : ''}${measure}: ${shared} shared of ${ta.size} / ${tb.size} tokens`));
}

function weightSum(tokens: Iterable<string>, w: TokenWeightFn): number {
  let s = 0;
  for (const t of tokens) s += Math.max(0, w(t));
  return s;
}

function lexicalEvidence(ta: ReadonlySet<string>, tb: ReadonlySet<string>, measure: LexicalTextEvidence['measure'], scoreText: string): LexicalTextEvidence {
  const matchedTokens = [...ta].filter((t) => tb.has(t));
  const shown = matchedTokens.length > 0 ? `matched ${matchedTokens.slice(0, 12).join(' ')}${matchedTokens.length > 12 ? ' …' : ''}` : 'no token in common';
  return { summary: `${scoreText}; ${shown}`, measure, matchedTokens, onlyA: [...ta].filter((t) => !tb.has(t)), onlyB: [...tb].filter((t) => !ta.has(t)) };
}
