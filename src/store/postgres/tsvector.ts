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

/** A lexeme keeps at most this many positions in a tsvector (PostgreSQL's MAXNUMPOS). */
const MAX_POSITIONS_PER_LEXEME = 256;
/** `TS_RANK_WEIGHTS` by weight letter, as float4 (ts_rank's weights are). */
const RANK_WEIGHT_OF = { D: Math.fround(TS_RANK_WEIGHTS[0]), C: Math.fround(TS_RANK_WEIGHTS[1]), B: Math.fround(TS_RANK_WEIGHTS[2]), A: Math.fround(TS_RANK_WEIGHTS[3]) };

/** One lexeme's positions so far, as calc_rank_or reads them (see `productTsvector`). */
interface LexemeRankState {
  /** Distinct positions kept (at most `MAX_POSITIONS_PER_LEXEME`), the last one and its weight. */
  count: number;
  lastPosition: number;
  lastWeight: number;
  /** Σ_j w_j / j², and the largest weight with its first position (1-based). */
  sum: number;
  largest: number;
  first: number;
}

/** A product's tsvector of one granularity: its literal, and each lexeme's `ts_rank` in it. */
export interface ProductTsvector {
  literal: string;
  ranks: Map<string, number>;
}

/**
 * The product's tokens as a tsvector literal (each token a lexeme, with its position and its field's
 * weight; `rewrite` gives another granularity of each field's tokens, `hanNgramTokens`), and each
 * lexeme's `ts_rank(TS_RANK_WEIGHTS, v, 'lexeme', 0)` in it, computed here instead of in the
 * database: tsvector input keeps a lexeme's distinct positions in order (the larger weight where
 * two share one, at most 256), and calc_rank_or gives (w_m + Σ_j w_j / j² − w_m / m²) /
 * 1.64493406685 over them, w_m the largest weight and m its first position (1-based); within float4
 * rounding of ts_rank. Positions only grow here (they repeat only at the last one, 16,383), so
 * each lexeme's sums are kept as its positions come.
 */
export function productTsvector(analyzed: AnalyzedProduct, rewrite?: (tokens: readonly string[]) => string[]): ProductTsvector {
  const parts: string[] = [];
  const states = new Map<string, LexemeRankState>();
  let position = 0;
  for (const field of ANALYZED_FIELDS) {
    const letter = FIELD_WEIGHT_LETTER[field];
    const w = RANK_WEIGHT_OF[letter];
    for (const token of rewrite ? rewrite(analyzed.tokens[field]) : analyzed.tokens[field]) {
      if (token.trim().length === 0) continue;
      position = Math.min(position + 1, MAX_TS_POSITION);
      parts.push(`${lexeme(token)}:${position}${letter}`);
      const state = states.get(token);
      if (!state) {
        states.set(token, { count: 1, lastPosition: position, lastWeight: w, sum: w, largest: w, first: 1 });
      } else if (state.lastPosition === position) {
        // The same position again (past 16,383): the larger weight stays.
        if (w > state.lastWeight) {
          state.sum += (w - state.lastWeight) / (state.count * state.count);
          state.lastWeight = w;
          if (w > state.largest) [state.largest, state.first] = [w, state.count];
        }
      } else if (state.count < MAX_POSITIONS_PER_LEXEME) {
        state.count++;
        state.sum += w / (state.count * state.count);
        state.lastPosition = position;
        state.lastWeight = w;
        if (w > state.largest) [state.largest, state.first] = [w, state.count];
      }
    }
  }
  const ranks = new Map<string, number>();
  for (const [token, t] of states) ranks.set(token, (t.largest + t.sum - t.largest / (t.first * t.first)) / 1.64493406685);
  return { literal: parts.join(' '), ranks };
}

/** The product's tokens as a tsvector literal (`productTsvector`'s). */
export function keywordsLiteral(analyzed: AnalyzedProduct, rewrite?: (tokens: readonly string[]) => string[]): string {
  return productTsvector(analyzed, rewrite).literal;
}

/** The character n-gram granularity's tsvector (`products.han_keywords`). */
export function hanKeywordsLiteral(analyzed: AnalyzedProduct): string {
  return hanProductTsvector(analyzed).literal;
}

/** `productTsvector` of the character n-gram granularity. */
export function hanProductTsvector(analyzed: AnalyzedProduct): ProductTsvector {
  return productTsvector(analyzed, (tokens) => hanNgramTokens(tokens));
}
