import { DEFAULT_TEXT_ANALYZER_OPTIONS, type AnalyzedText, type Quantity, type TextAnalyzer, type TextAnalyzerOptions } from './analyzer.ts';
import { ECOMMERCE_DICTIONARY, knownGenderWords, loadJieba, mixedScriptWords, splitGenderMerge } from './chinese-segmenter.ts';
import { APERTURE_OR_DIMENSIONS, CODE_SEPARATORS, canonicalModelNumber, isTechnicalTerm } from './model-numbers.ts';
import { normalizeText } from './normalize.ts';
import { QUANTITY_SOURCE, memorySpeedAfter, parseDimension, parseMemoryGenerationSpeed, parseQuantity, parseQuantityToken, quantityToken } from './quantities.ts';
import { NUMERIC_SIZE_SOURCE, canonicalNumericSize, canonicalSize } from './sizes.ts';
import { longestWordCut } from './word-cut.ts';
import { CHINESE_STOP_WORDS, ENGLISH_STOP_WORDS } from './stop-words.ts';
import { rejectUnknownKeys } from '../errors.ts';

export { normalizeText } from './normalize.ts';

/**
 * The product-title analyser. One pass of one precompiled regex over the normalised text splits
 * it into, in order of precedence:
 *   1. mixed Latin+Han product words from the dictionaries (t恤, u盘, polo衫), kept whole;
 *   2. quantities (16gb, 7.2 mp, 500毫升, 1200万像素) → one canonical token (`16gb`, `500ml`, `12mp`);
 *   3. numeric sizes with 码 (42码, 35-40码) → token `42码`, size `42`;
 *   4. Latin/digit words, joined by - / . _ + & ' (wh-1000xm5, dsc-w120/p, men's, 7.2), and by a comma
 *      only between two digits (1,000, 3,5);
 *   5. runs of Han characters, segmented by jieba in one call per title.
 *
 * Decisions about Latin/digit words (documented here because other stages rely on them):
 *   - a word that is a model number becomes ONE token, its canonical form without separators
 *     (WH-1000XM5 and WH1000XM5 → `wh1000xm5`), and is listed in `modelNumbers`;
 *   - decimals stay whole (`7.2`), thousands lose their commas (1,000 → `1000`), apertures and
 *     dimensions stay whole (f/1.8 → `f1.8`, 13x18, 27.5x2.40); a dimension with a length unit lists
 *     its lengths as quantities (210x297mm → 210 mm, 297 mm), where 2x500ml is a pack of two;
 *   - a DDR generation with its speed is the generation and a MHz quantity (ddr4-3000, "ddr4 3000" →
 *     `ddr4`, `3000mhz`, as "DDR4 3000MHz" is), never a model number;
 *   - any other joined word is split at its separators (noise-cancelling → noise, cancelling;
 *     s-xl → s, xl; 10/100 → 10, 100), each part analysed alone;
 *   - possessive 's is dropped (men's → men), other apostrophes removed (o'neill → oneill);
 *   - `w/` (with) before a word is dropped (w/ps2 → ps2);
 *   - sizes become canonical lower-case tokens (xxl → `2xl`) and are listed upper case in `sizes`.
 * Stop words are removed from words only, never from quantities, sizes or model numbers.
 */

/** Latin, Greek, Cyrillic, kana, Hangul letters and digits: everything that is a "word" but not Han. */
const WORD_CHAR = String.raw`[a-z0-9\u00b5\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0300-\u036f\u0370-\u03ff\u0400-\u04ff\u3040-\u30ff\uac00-\ud7af]`;
/**
 * A comma joins digits (thousands 1,000, decimal commas 3,5) but separates words: a list glued by
 * commas (CHAIN,CN-HG601-11,QL; T1281,T1282) would otherwise become one code nobody else writes.
 */
const WORD_JOINER = String.raw`(?:[-./_+&']|(?<=\d),(?=\d))`;
const WORD_SOURCE = String.raw`${WORD_CHAR}+(?:${WORD_JOINER}${WORD_CHAR}+)*(?:'s)?`;
const HAN_RUN_SOURCE = String.raw`\p{Script=Han}+`;

/** Group numbers in the master regex. */
const G_MIXED = 1;
const G_QTY_NUMBER = 2;
const G_QTY_UNIT = 3;
const G_SIZE_FIRST = 4;
const G_SIZE_SECOND = 5;
const G_WORD = 6;
const G_HAN = 7;

const HAS_SEPARATOR = /[-./_+&,']/;
const HAS_DIGIT = /\d/;
const DECIMAL = /^\d+\.\d+$/;
const THOUSANDS = /^\d{1,3}(?:,\d{3})+$/;
const SPLIT_PARTS = /[-./_+&,']+/;
/** A slash-separated piece that is a plain word of 3+ letters (rice in srtmb10/rice). */
const SLASHED_WORD = /(?:^|\/)[a-z]{3,}(?:\/|$)/;
/** A range with one unit: 18-200mm, 55-200mm (zoom lenses), 100-240v. */
const QUANTITY_RANGE = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)([a-z]+)$/;
/** 1t, 2t, 4t, 8t, 16t: drive sizes as Chinese titles write them. */
const TERABYTES_AS_T = /^(?:1|2|4|8|16)t$/;
const HAN = /\p{Script=Han}/u;
/** 2x500ml, 6x330ml: a count of packs of one quantity. */
const MULTIPACK = /^(\d{1,3})x(\d.*)$/;

/**
 * Spellings of one product word that sellers use interchangeably (体恤 and T桖 for T恤, usually to
 * dodge keyword filters); the canonical spelling becomes the token.
 */
const TOKEN_ALIASES: ReadonlyMap<string, string> = new Map([
  ['体恤', 't恤'], ['体桖', 't恤'], ['t桖', 't恤'], ['t血', 't恤'], ['t裇', 't恤'], ['t恤衫', 't恤'], ['体恤衫', 't恤'],
]);

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Master patterns by user-word list; analysers are synchronous, so sharing one lastIndex is safe. */
const masterPatterns = new Map<string, RegExp>();

function buildMasterPattern(mixedWords: readonly string[]): RegExp {
  const sorted = [...new Set(mixedWords)].sort((a, b) => b.length - a.length).map(escapeRegExp);
  // A mixed word starting with a letter must not continue a Latin word (shirt恤 is not t恤).
  const mixed = sorted.length > 0 ? String.raw`(?<![a-z0-9])(${sorted.join('|')})` : '(?!)()';
  return new RegExp(`${mixed}|${QUANTITY_SOURCE}|${NUMERIC_SIZE_SOURCE}|(${WORD_SOURCE})|(${HAN_RUN_SOURCE})`, 'gu');
}

/** Collects one title's results; `push*` methods dedupe the extracted fields. */
interface Collector {
  tokens: string[];
  modelNumbers: string[];
  quantities: Quantity[];
  sizes: string[];
  removeStopWords: boolean;
  /** Words that start or end with 女/男 and are real words (see splitGenderMerge). */
  genderWords: ReadonlySet<string>;
  /** The title has Han characters: 1t/2t there mean terabytes (1T固态硬盘), not toddler sizes 2T–5T. */
  chinese: boolean;
}

function pushUnique(list: string[], value: string): void {
  if (!list.includes(value)) list.push(value);
}

function pushQuantity(c: Collector, q: Quantity): void {
  c.tokens.push(quantityToken(q));
  addQuantity(c, q);
}

/** Lists a quantity once, without a token of its own. */
function addQuantity(c: Collector, q: Quantity): void {
  if (!c.quantities.some((x) => x.value === q.value && x.unit === q.unit)) c.quantities.push(q);
}

/** ddr4-3000 → the generation as a token (a technical term, like ddr4 alone) and the speed as a quantity. */
function pushMemoryGenerationSpeed(c: Collector, memory: { generation: string; speed: Quantity }): void {
  c.tokens.push(memory.generation);
  pushQuantity(c, memory.speed);
}

/** A size `a x b unit` stays one token (like 13x18 without a unit); its lengths are listed as quantities. */
function pushDimension(c: Collector, word: string, lengths: readonly Quantity[]): void {
  c.tokens.push(word);
  for (const q of lengths) addQuantity(c, q);
}

function pushWord(c: Collector, word: string): void {
  if (word.length === 0) return;
  if (c.removeStopWords && ENGLISH_STOP_WORDS.has(word)) return;
  c.tokens.push(word);
}

/** One part of a Latin/digit word, without separators. */
function analyzePart(c: Collector, part: string): void {
  if (part.length === 0) return;
  const size = canonicalSize(part);
  if (size !== undefined) {
    c.tokens.push(size.toLowerCase());
    pushUnique(c.sizes, size);
    return;
  }
  // Most words have no digit, and without one nothing below can match: skip the unit regex.
  if (!HAS_DIGIT.test(part)) return pushWord(c, part);
  const q = parseQuantityToken(part);
  if (q) return pushQuantity(c, q);
  if (c.chinese && TERABYTES_AS_T.test(part)) return pushQuantity(c, { value: Number(part.slice(0, -1)), unit: 'tb', raw: part });
  const lengths = parseDimension(part);
  if (lengths) return pushDimension(c, part, lengths);
  const memory = parseMemoryGenerationSpeed(part);
  if (memory) return pushMemoryGenerationSpeed(c, memory);
  const speed = memorySpeedAfter(c.tokens.at(-1), part);
  if (speed) return pushQuantity(c, speed);
  const pack = MULTIPACK.exec(part);
  if (pack) {
    const each = parseQuantityToken(pack[2] ?? '');
    if (each) {
      pushQuantity(c, each);
      pushQuantity(c, { value: Number(pack[1]), unit: 'pack', raw: part });
      return;
    }
  }
  if (APERTURE_OR_DIMENSIONS.test(part)) return void c.tokens.push(part);
  const code = canonicalModelNumber(part);
  if (code !== undefined) {
    c.tokens.push(code);
    pushUnique(c.modelNumbers, code);
    return;
  }
  pushWord(c, part);
}

function analyzeWord(c: Collector, raw: string): void {
  let word = raw;
  if (word.endsWith("'s")) word = word.slice(0, -2);
  if (word.includes("'")) word = word.replaceAll("'", '');
  if (word.startsWith('w/') && word.length > 2) word = word.slice(2);
  if (!HAS_SEPARATOR.test(word)) return analyzePart(c, word);
  const lengths = parseDimension(word);
  if (lengths) return pushDimension(c, word, lengths);
  const memory = parseMemoryGenerationSpeed(word);
  if (memory) return pushMemoryGenerationSpeed(c, memory);
  if (APERTURE_OR_DIMENSIONS.test(word)) return void c.tokens.push(word.replace('/', ''));
  if (DECIMAL.test(word)) return void c.tokens.push(word);
  if (THOUSANDS.test(word)) return void c.tokens.push(word.replaceAll(',', ''));
  // A slash next to a plain word separates words, not code parts: srtmb10/rice/cooker.
  if (word.includes('/') && SLASHED_WORD.test(word)) {
    for (const piece of word.split('/')) analyzeWord(c, piece);
    return;
  }
  const range = QUANTITY_RANGE.exec(word);
  if (range) {
    const high = parseQuantityToken(`${range[2]}${range[3]}`);
    const low = parseQuantityToken(`${range[1]}${range[3]}`);
    if (low && high) {
      pushQuantity(c, { ...low, raw: word });
      pushQuantity(c, { ...high, raw: word });
      return;
    }
  }
  const parts = word.split(SPLIT_PARTS);
  let quantityParts = 0;
  for (const part of parts) if (parseQuantityToken(part)) quantityParts++;
  if (quantityParts >= 2) {
    for (const part of parts) analyzePart(c, part);
    return;
  }
  const code = canonicalModelNumber(word);
  if (code !== undefined) {
    c.tokens.push(code);
    pushUnique(c.modelNumbers, code);
    return;
  }
  const q = parseQuantityToken(word);
  if (q) return pushQuantity(c, q);
  const joined = word.replace(CODE_SEPARATORS, '');
  if (isTechnicalTerm(joined)) return void c.tokens.push(joined);
  for (const part of parts) analyzePart(c, part);
}

function analyzeHanWord(c: Collector, word: string): void {
  const parts = splitGenderMerge(word, c.genderWords);
  if (parts) {
    for (const part of parts) analyzeHanPart(c, part);
    return;
  }
  analyzeHanPart(c, word);
}

/** Runs once per Chinese word, so it avoids lookups that cannot match (sizes are 均码 only). */
function analyzeHanPart(c: Collector, word: string): void {
  const w = TOKEN_ALIASES.get(word) ?? word;
  if (w === '均码') pushUnique(c.sizes, 'FREE');
  if (c.removeStopWords && CHINESE_STOP_WORDS.has(w)) return;
  c.tokens.push(w);
}

export function createTextAnalyzer(options: Partial<TextAnalyzerOptions> = {}): TextAnalyzer {
  rejectUnknownKeys(options, Object.keys(DEFAULT_TEXT_ANALYZER_OPTIONS), 'createTextAnalyzer');
  const opts: TextAnalyzerOptions = { ...DEFAULT_TEXT_ANALYZER_OPTIONS, ...options };
  const jieba = loadJieba(opts.userWords);
  // Built once per user-word list (the mixed words depend on it) and reused by every call.
  const patternKey = opts.userWords.join('\n');
  let pattern = masterPatterns.get(patternKey);
  if (!pattern) {
    pattern = buildMasterPattern(mixedScriptWords([...ECOMMERCE_DICTIONARY, ...opts.userWords]));
    masterPatterns.set(patternKey, pattern);
  }
  const master = pattern;
  const normalizeOptions = { traditionalToSimplified: opts.traditionalToSimplified };
  const genderWords = knownGenderWords(opts.userWords);

  function analyze(text: string): AnalyzedText {
    const normalized = normalizeText(text, normalizeOptions);
    const c: Collector = { tokens: [], modelNumbers: [], quantities: [], sizes: [], removeStopWords: opts.removeStopWords, genderWords, chinese: HAN.test(normalized) };
    // First pass: everything but Han runs goes straight to the collector; Han runs are queued
    // (their place in `tokens` remembered) and segmented together in one jieba call.
    const hanRuns: string[] = [];
    const hanSlots: number[] = [];
    master.lastIndex = 0;
    for (let m = master.exec(normalized); m !== null; m = master.exec(normalized)) {
      const mixed = m[G_MIXED];
      if (mixed !== undefined) {
        analyzeHanWord(c, mixed);
        continue;
      }
      const qtyNumber = m[G_QTY_NUMBER];
      if (qtyNumber !== undefined) {
        const q = parseQuantity(qtyNumber, m[G_QTY_UNIT] ?? '', m[0]);
        if (q) pushQuantity(c, q);
        // Not a quantity after all (5g the network, 2960l the model, "15 in"): analyse as words.
        else for (const piece of m[0].split(' ')) analyzeWord(c, piece);
        continue;
      }
      const sizeFirst = m[G_SIZE_FIRST];
      if (sizeFirst !== undefined) {
        for (const s of [sizeFirst, m[G_SIZE_SECOND]]) {
          if (s === undefined) continue;
          const size = canonicalNumericSize(s);
          c.tokens.push(`${size}码`);
          pushUnique(c.sizes, size);
        }
        continue;
      }
      const word = m[G_WORD];
      if (word !== undefined) {
        analyzeWord(c, word);
        continue;
      }
      const han = m[G_HAN];
      if (han !== undefined) {
        hanRuns.push(han);
        hanSlots.push(c.tokens.length);
      }
    }
    if (hanRuns.length > 0) {
      // Runs are joined by a space: jieba never joins across whitespace and returns each space
      // as its own token, which marks where one run's words end.
      const segmented = jieba.cut(hanRuns.join(' '), true);
      const firstPass = c.tokens;
      c.tokens = [];
      let from = 0;
      let run = 0;
      let slot = hanSlots[0]!;
      for (; from < slot; from++) c.tokens.push(firstPass[from]!);
      for (const w of segmented) {
        if (w === ' ') {
          run++;
          slot = hanSlots[run] ?? firstPass.length;
          for (; from < slot; from++) c.tokens.push(firstPass[from]!);
          continue;
        }
        analyzeHanWord(c, w);
      }
      for (; from < firstPass.length; from++) c.tokens.push(firstPass[from]!);
    }
    return { normalized, tokens: c.tokens, modelNumbers: c.modelNumbers, quantities: c.quantities, sizes: c.sizes };
  }

  return {
    options: opts,
    analyze,
    normalize: (text) => normalizeText(text, normalizeOptions),
    tokenize: (text) => analyze(text).tokens,
    wordParts: (word) => wordParts(word, jieba.cutForSearch(word, false)),
  };
}

/**
 * A word's parts from jieba's search-mode cut (every dictionary word inside it, the word itself
 * included): the longest parts that do not overlap, in reading order, with each character no part
 * covers as a part of its own (`longestWordCut`); the word alone when no shorter dictionary word is
 * inside it.
 */
export function wordParts(word: string, searchCut: readonly string[]): string[] {
  const inside = new Set(searchCut);
  const parts = longestWordCut(word, (piece) => inside.has(piece));
  return parts.length === [...word].length ? [word] : parts;
}
