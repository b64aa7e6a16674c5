/**
 * The text-analysis stage's contract. Every later stage (store keyword index, encoders,
 * pair features) sees product text only through an `AnalyzedText`.
 */

/**
 * The version of what `analyze` returns for a text. Stores keep each product's analysis from ingest
 * (a candidate is not segmented again), so a change in how text is read leaves the products stored
 * before it read the old way until they are analysed again (`ingest --force`); stores record the
 * version their products were analysed with and say when it is not this one. Raise it with any
 * change to tokens, model numbers, quantities or sizes. 2: commas join digits only, `210x297mm` is
 * a size, French Go / To / Mo, DDR speeds (7 Dec 2026).
 */
export const ANALYSIS_VERSION = 2;

/** A number with a unit found in text, canonicalised (`500毫升` → {value: 500, unit: 'ml'}). */
export interface Quantity {
  value: number;
  /** Canonical unit: ml, l, g, kg, gb, tb, mb, mp, mah, w, v, hz, ghz, mm, cm, m, inch, … */
  unit: string;
  /** The text as it appeared. */
  raw: string;
}

export interface AnalyzedText {
  /** NFKC, case-folded, optionally traditional→simplified. */
  normalized: string;
  /** Content words in order: Chinese words from jieba, English words, numbers; stop words removed. */
  tokens: string[];
  /** Model numbers / product codes, canonical (lower case, no separators): `DSC-W120/P` → `dscw120p`. */
  modelNumbers: string[];
  quantities: Quantity[];
  /** Clothing sizes (XL, M, 38…) found as standalone size tokens, upper case. */
  sizes: string[];
}

export interface TextAnalyzerOptions {
  /** Convert traditional Chinese to simplified before segmentation. */
  traditionalToSimplified: boolean;
  /** Drop stop words (Chinese and English). */
  removeStopWords: boolean;
  /** Extra words for the Chinese segmenter (brands, product words); one per entry. */
  userWords: readonly string[];
}

export const DEFAULT_TEXT_ANALYZER_OPTIONS = {
  traditionalToSimplified: true,
  removeStopWords: true,
  userWords: [],
} as const satisfies TextAnalyzerOptions;

export interface TextAnalyzer {
  readonly options: TextAnalyzerOptions;
  analyze(text: string): AnalyzedText;
  /** `analyze(text).normalized` alone (no segmentation): for rebuilding an analysis kept elsewhere. */
  normalize(text: string): string;
  /** Shortcut for `analyze(text).tokens`. */
  tokenize(text: string): string[];
  /**
   * The parts of one Chinese word in reading order, cut by the segmenter's dictionary (its
   * search-mode cut, longest part where parts overlap, a leftover character as a part of its own):
   * `蓝牙耳机` → `蓝牙`, `耳机`; `大落地窗` → `大`, `落地窗`. A word of one part gives `[word]`.
   */
  wordParts(word: string): string[];
}
