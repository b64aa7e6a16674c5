import { readWordList } from './word-lists.ts';

/**
 * Stop words: function words that carry nothing about a product. The lists are small and
 * curated (dictionaries/stop-words-*.txt) on purpose: generic stop lists drop words that separate
 * products in titles (no, plus, pro, max, mini, one, 男, 女, 大, 小, 新).
 */
export const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set(readWordList('stop-words-en.txt'));
export const CHINESE_STOP_WORDS: ReadonlySet<string> = new Set(readWordList('stop-words-zh.txt'));

/** True when a normalised token is an English or Chinese stop word. */
export function isStopWord(token: string): boolean {
  return ENGLISH_STOP_WORDS.has(token) || CHINESE_STOP_WORDS.has(token);
}
