/** Public API of the text-analysis stage. */
export type { AnalyzedText, Quantity, TextAnalyzer, TextAnalyzerOptions } from './analyzer.ts';
export { DEFAULT_TEXT_ANALYZER_OPTIONS } from './analyzer.ts';
export { createTextAnalyzer } from './text-analyzer.ts';
export { normalizeText, toSimplifiedChinese, characterNgrams, detectScript, isChinese } from './normalize.ts';
export type { NormalizeOptions, TextScript } from './normalize.ts';
export { canonicalModelNumber } from './model-numbers.ts';
export { hanNgramTokens, hasHanToken, DEFAULT_HAN_NGRAM_MAX, HAN_NGRAM_SCHEME } from './han-ngrams.ts';
export { extractQuantities, parseQuantity, parseQuantityToken, quantityToken, toBaseUnit } from './quantities.ts';
export { canonicalSize } from './sizes.ts';
export { ENGLISH_STOP_WORDS, CHINESE_STOP_WORDS, isStopWord } from './stop-words.ts';
export { loadJieba, DEFAULT_USER_WORD_FREQUENCY } from './chinese-segmenter.ts';
