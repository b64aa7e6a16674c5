/** FTS5 query text from analysed query tokens (the in-memory keyword index and PostgreSQL read tokens with the same rule). */

/** Keyword queries keep at most this many distinct tokens: longer OR queries cost time and add little. */
export const MAX_KEYWORD_QUERY_TOKENS = 64;

/**
 * FTS5 phrases for query tokens: every token quoted (so `-`, `:`, `OR`, `*` in a token are text,
 * not syntax), deduplicated, at most `MAX_KEYWORD_QUERY_TOKENS`.
 */
export function toFtsPhrases(tokens: readonly string[]): string[] {
  return phraseTokens(tokens).map((t) => `"${t.replaceAll('"', '""')}"`);
}

/**
 * The tokens behind `toFtsPhrases(tokens)`, in the same order: trimmed, with a letter or digit,
 * deduplicated as written, at most `MAX_KEYWORD_QUERY_TOKENS` (the in-memory keyword index reads
 * queries with the same rule).
 */
export function phraseTokens(tokens: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of tokens) {
    const t = raw.trim();
    // A token with no letter or digit is empty to unicode61 and would be an empty phrase.
    if (t.length === 0 || !/[\p{L}\p{N}]/u.test(t) || seen.has(t)) continue;
    seen.add(t);
    out.push(t);
    if (out.length >= MAX_KEYWORD_QUERY_TOKENS) break;
  }
  return out;
}

/** FTS5 query matching any of the tokens. */
export function toFtsOrQuery(tokens: readonly string[]): string {
  return toFtsPhrases(tokens).join(' OR ');
}
