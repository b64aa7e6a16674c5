/**
 * Character n-grams of Chinese text, as a second granularity beside jieba's words: a shopping query
 * is short and jieba segments it without the title's context (`墙面底漆` → 墙面 / 底漆, the title's
 * `内外墙用底漆` → 内外 / 墙 / 用 / 底漆), so word-level BM25 misses what character unigrams and
 * bigrams still match. Built from the analyser's tokens (not the raw text) so that the keyword index
 * can derive them from what the store keeps, and the query from its own analysis.
 */
import { createError } from '../errors.ts';

const HAN_ONLY = /^\p{Script=Han}+$/u;

/** Longest character n-gram indexed by default: unigrams and bigrams (the Chinese BM25 floor's scheme). */
export const DEFAULT_HAN_NGRAM_MAX = 2;
/**
 * Version of the n-gram scheme, in the names of what keeps n-grams (the index file, PostgreSQL's
 * schema version): 1 kept tokens other than Chinese words whole; 2 splits them into n-grams too.
 */
export const HAN_NGRAM_SCHEME = 2;

/**
 * The tokens with each run of consecutive all-Han tokens (jieba's words of one stretch of text)
 * replaced by the character n-grams of the run, n = 1 … `maxN`, in text order; every other token
 * (Latin words, numbers, model numbers, quantities, mixed words like `t恤`) by its own character
 * n-grams, token by token. Latin letters and digits as characters too, like the character-bigram BM25
 * floor: a shop or brand name written as one word in the query matches its title spelling in two
 * (`heynaofficial` against `HEYNA_Official`), which a whole-token match never does (MRR@10 on the
 * Chinese dev queries, default search: 83.7 → 84.6, docs/benchmarks/search-relevance.md).
 */
export function hanNgramTokens(tokens: readonly string[], maxN: number = DEFAULT_HAN_NGRAM_MAX): string[] {
  if (!Number.isInteger(maxN) || maxN < 1) {
    throw createError('INVALID_ARGUMENT', `hanNgramTokens: maxN must be a positive integer, got ${maxN}`, { field: 'maxN', received: String(maxN) });
  }
  const out: string[] = [];
  let run: string[] = [];
  const flush = () => {
    for (let i = 0; i < run.length; i++) {
      let gram = '';
      for (let n = 1; n <= maxN && i + n <= run.length; n++) {
        gram += run[i + n - 1]!;
        out.push(gram);
      }
    }
    run = [];
  };
  for (const token of tokens) {
    if (HAN_ONLY.test(token)) run.push(...token);
    else {
      // A Latin word's or number's grams stay within it: no bigram across two such tokens.
      flush();
      run.push(...token);
      flush();
    }
  }
  flush();
  return out;
}

/** True when some token is all Han: the text has something for the n-gram granularity to add. */
export function hasHanToken(tokens: readonly string[]): boolean {
  return tokens.some((t) => HAN_ONLY.test(t));
}
