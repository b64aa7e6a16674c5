/**
 * Text similarities for title and description, two independent kinds so a profile can weigh them
 * separately:
 *
 * - dense: cosine of the two precomputed embeddings, brought into [0, 1] by `toUnitScore`
 *   (negative cosine → 0 by default); `undefined` if either vector is missing or zero.
 * - lexical: cosine of sparse vectors (BM25 / tf-idf) when both sides have one, else a set measure
 *   on the analyzer's tokens: `jaccard` |A∩B|/|A∪B| (default), `dice` 2|A∩B|/(|A|+|B|), or
 *   `overlap` |A∩B|/min(|A|,|B|). Matched tokens are always reported, whatever the measure.
 *   `undefined` if either text is missing or has no tokens.
 */
import type { AnalyzedText } from '../../text/analyzer.ts';
import type { SparseVector } from '../../encoders/encoder.ts';
import { cosineMetric, cosineSimilarity, sparseCosineSimilarity, toUnitScore, type UnitMapping } from '../metrics.ts';
import { round, type FieldEvidence, type FieldSimilarity } from './types.ts';

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
  return { score: toUnitScore(cosineMetric, cos, mapping), evidence: { summary: `cosine ${round(cos, 3)}`, cosine: cos, mapping } };
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

/**
 * `canonicalizeToken` maps tokens before comparing (e.g. brand names to one form, see
 * `createBrandTokenCanonicalizer`); matched tokens are reported in canonical form.
 */
export function lexicalTextSimilarity(
  a: LexicalInput,
  b: LexicalInput,
  measure: LexicalMeasure = 'jaccard',
  canonicalizeToken: (token: string) => string = (t) => t,
): FieldSimilarity<LexicalTextEvidence> | undefined {
  const ta = new Set((a.text?.tokens ?? []).map(canonicalizeToken));
  const tb = new Set((b.text?.tokens ?? []).map(canonicalizeToken));
  const matchedTokens = [...ta].filter((t) => tb.has(t));
  const onlyA = [...ta].filter((t) => !tb.has(t));
  const onlyB = [...tb].filter((t) => !ta.has(t));
  const shown = matchedTokens.length > 0 ? `matched ${matchedTokens.slice(0, 12).join(' ')}${matchedTokens.length > 12 ? ' …' : ''}` : 'no token in common';

  if (a.sparse && b.sparse) {
    const cos = sparseCosineSimilarity(a.sparse, b.sparse);
    if (cos !== undefined) {
      const score = Math.max(0, cos);
      return { score, evidence: { summary: `sparse cosine ${round(cos, 3)}; ${shown}`, measure: 'sparseCosine', matchedTokens, onlyA, onlyB } };
    }
  }
  if (ta.size === 0 || tb.size === 0) return undefined;
  const inter = matchedTokens.length;
  const score =
    measure === 'jaccard' ? inter / (ta.size + tb.size - inter) : measure === 'dice' ? (2 * inter) / (ta.size + tb.size) : inter / Math.min(ta.size, tb.size);
  const summary = `${measure}: ${inter} shared of ${ta.size} / ${tb.size} tokens; ${shown}`;
  return { score, evidence: { summary, measure, matchedTokens, onlyA, onlyB } };
}
