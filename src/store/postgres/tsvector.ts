/**
 * The analyser's tokens as `tsvector` and `tsquery` text. The tokens are written as lexemes as they
 * are, so PostgreSQL never segments the text again; each carries its field's weight for `ts_rank`.
 */
import { hanNgramTokens } from '../../text/han-ngrams.ts';
import { ANALYZED_FIELDS, KEYWORD_COLUMN_WEIGHTS, type AnalyzedField, type AnalyzedProduct } from '../store.ts';

/** Field → tsvector weight letter. ts_rank knows four weights: title A, brand B, tags and category C, description and attributes D. */
const FIELD_WEIGHT_LETTER = { title: 'A', brand: 'B', tags: 'C', category: 'C', description: 'D', attributes: 'D' } as const satisfies Record<AnalyzedField, 'A' | 'B' | 'C' | 'D'>;
/** ts_rank weights {D, C, B, A}, from `KEYWORD_COLUMN_WEIGHTS` scaled so the title's is 1. */
export const TS_RANK_WEIGHTS = [
  KEYWORD_COLUMN_WEIGHTS.description / KEYWORD_COLUMN_WEIGHTS.title,
  KEYWORD_COLUMN_WEIGHTS.tags / KEYWORD_COLUMN_WEIGHTS.title,
  KEYWORD_COLUMN_WEIGHTS.brand / KEYWORD_COLUMN_WEIGHTS.title,
  1,
] as const;
/**
 * The most one token's `ts_rank(TS_RANK_WEIGHTS, v, 'token', 0)` can be, for any tsvector: PostgreSQL's
 * calc_rank_or gives (w_max + Σ_{other positions j} w_j / j²) / 1.64493406685 for a one-lexeme query,
 * below max(weights) × (1 + π²/6) / 1.64493406685 ≈ 1.608 × max(weights). With a margin for
 * float4 rounding: a bound, not an estimate (keyword search prunes rows with it).
 */
export const TS_RANK_TERM_BOUND = (Math.max(...TS_RANK_WEIGHTS) * (1 + Math.PI ** 2 / 6)) / 1.64493406685 + 1e-3;
/** tsvector positions stop at 16383. */
const MAX_TS_POSITION = 16_383;

/** One token as a quoted lexeme (of a tsvector or a tsquery). */
export function lexeme(token: string): string {
  return `'${token.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

/**
 * The product's tokens as a tsvector literal: each token a lexeme, with its position and its field's
 * weight; `rewrite` gives another granularity of each field's tokens (`hanNgramTokens`).
 */
export function keywordsLiteral(analyzed: AnalyzedProduct, rewrite?: (tokens: readonly string[]) => string[]): string {
  const parts: string[] = [];
  let position = 0;
  for (const field of ANALYZED_FIELDS) {
    for (const token of rewrite ? rewrite(analyzed.tokens[field]) : analyzed.tokens[field]) {
      if (token.trim().length === 0) continue;
      position = Math.min(position + 1, MAX_TS_POSITION);
      parts.push(`${lexeme(token)}:${position}${FIELD_WEIGHT_LETTER[field]}`);
    }
  }
  return parts.join(' ');
}

/** The character n-gram granularity's tsvector (`products.han_keywords`). */
export function hanKeywordsLiteral(analyzed: AnalyzedProduct): string {
  return keywordsLiteral(analyzed, (tokens) => hanNgramTokens(tokens));
}
