/**
 * A store seen with its keyword rows' tokens rewritten, so a second keyword index at another
 * granularity (Chinese character n-grams beside jieba's words: `src/text/han-ngrams.ts`) is built,
 * saved, loaded and kept current from the change log by the same code as the word index, without the
 * store keeping a second copy of every product's tokens.
 */
import { ANALYZED_FIELDS, type KeywordRow, type LocalIndexSource } from '../store.ts';

/** Rewrites one field's tokens (in text order). */
export type TokenRewrite = (tokens: readonly string[]) => string[];

export function rewriteKeywordRow(row: KeywordRow, rewrite: TokenRewrite): KeywordRow {
  const tokens = { ...row.tokens };
  for (const field of ANALYZED_FIELDS) tokens[field] = rewrite(row.tokens[field]);
  return { ...row, tokens };
}

/** The store with `iterateKeywordRows` and `keywordRowsOf` giving rewritten tokens; everything else is the store's. */
export function storeWithRewrittenTokens(store: LocalIndexSource, rewrite: TokenRewrite): LocalIndexSource {
  return {
    ...store,
    *iterateKeywordRows() {
      for (const row of store.iterateKeywordRows()) yield rewriteKeywordRow(row, rewrite);
    },
    keywordRowsOf: (keys) => store.keywordRowsOf(keys).map((row) => rewriteKeywordRow(row, rewrite)),
  };
}
