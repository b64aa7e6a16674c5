import { createRequire } from 'node:module';
import { createError } from '../errors.ts';

const require = createRequire(import.meta.url);

/**
 * Text normalisation shared by the analyser and by other stages (n-gram encoders, keyword
 * search). Everything here is idempotent: normalising normalised text changes nothing.
 */

export interface NormalizeOptions {
  /** Convert traditional Chinese to simplified (opencc-js, Taiwan → mainland). Default false. */
  traditionalToSimplified?: boolean;
}

/**
 * Characters NFKC leaves alone but product titles use interchangeably. 丅 (U+4E05) is a Han
 * look-alike of T that Taobao sellers write in 丅恤 (T恤); curly quotes break possessives and
 * inch marks; dashes of every width separate model-number parts.
 */
const CHAR_FOLDS: ReadonlyMap<string, string> = new Map([
  ['丅', 't'],
  ['\u2018', "'"], ['\u2019', "'"], ['\u2032', "'"], ['`', "'"],
  ['\u201c', '"'], ['\u201d', '"'], ['\u2033', '"'],
  ['\u2010', '-'], ['\u2011', '-'], ['\u2012', '-'], ['\u2013', '-'], ['\u2014', '-'], ['\u2015', '-'], ['\u2212', '-'],
  ['\u00d7', 'x'], ['\uff0a', '*'],
]);
const CHAR_FOLD_PATTERN = new RegExp(`[${[...CHAR_FOLDS.keys()].join('')}]`, 'gu');
const WHITESPACE_RUN = /\s+/gu;

/**
 * Per UTF-16 unit: 1 = a character to fold, 2 = whitespace other than a plain space. One scan
 * with this table tells whether a title needs either replace() at all (most need neither), which
 * costs a tenth of running the two regexes.
 */
const FOLD = 1;
const OTHER_WHITESPACE = 2;
const CHAR_CLASS = new Uint8Array(0x10000);
for (const ch of CHAR_FOLDS.keys()) CHAR_CLASS[ch.charCodeAt(0)] = FOLD;
for (let c = 0; c < 0x10000; c++) if (c !== 32 && /\s/.test(String.fromCharCode(c))) CHAR_CLASS[c] = OTHER_WHITESPACE;

/** Bit 1: has a character to fold; bit 2: has whitespace other than single inner spaces. */
function scanForFixes(text: string): number {
  let flags = 0;
  const last = text.length - 1;
  for (let i = 0; i <= last; i++) {
    const c = text.charCodeAt(i);
    if (c === 32) {
      if (i === 0 || i === last || text.charCodeAt(i + 1) === 32) flags |= OTHER_WHITESPACE;
      continue;
    }
    flags |= CHAR_CLASS[c]!;
  }
  return flags;
}
const HAN_CHAR = /\p{Script=Han}/u;

function foldChar(ch: string): string {
  return CHAR_FOLDS.get(ch) ?? ch;
}

/**
 * NFKC folds full-width letters, digits and punctuation to ASCII (ＩＰｈｏｎｅ → IPhone, ５００ｍｌ → 500ml,
 * ㎖ → ml); lower-casing follows; then the look-alike folds above; whitespace runs become one space.
 */
export function normalizeText(text: string, options: NormalizeOptions = {}): string {
  // Tests before replacing: a replace() allocates even when nothing matches, and most titles need
  // neither fold.
  let out = text.normalize('NFKC').toLowerCase();
  const fixes = scanForFixes(out);
  if ((fixes & FOLD) !== 0) out = out.replace(CHAR_FOLD_PATTERN, foldChar);
  if ((fixes & OTHER_WHITESPACE) !== 0) out = out.replace(WHITESPACE_RUN, ' ').trim();
  if (options.traditionalToSimplified === true) out = toSimplifiedChinese(out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Traditional → simplified

type Converter = (text: string) => string;
let converter: Converter | undefined;
/** Bitmap over the BMP (1 = a traditional-only character), plus a set for astral ones. */
let traditionalOnlyChars: { bmp: Uint8Array; astral: Set<number> } | undefined;

/**
 * Built once, on first use: the opencc-js Taiwan → mainland converter, and the set of characters
 * whose single-character conversion changes them. Converting costs about as much as jieba
 * (~9 µs a title); on simplified text it is also not harmless (tw→cn maps 打坏 to 打坯, 沈 to 沉).
 * So a string is converted only when it holds at least one genuinely traditional character
 * (褲, 連, 機…): 52 of 14,000 Taobao titles do. Phrase-only rules (反覆 → 反复) then still apply
 * to traditional text, which almost always contains such a character.
 */
function loadConverter(): { convert: Converter; triggers: { bmp: Uint8Array; astral: Set<number> } } {
  if (converter && traditionalOnlyChars) return { convert: converter, triggers: traditionalOnlyChars };
  type DictLike = string | readonly (readonly [string, string])[];
  const opencc = require('opencc-js/t2cn') as {
    Converter(options: { from: string; to: string }): Converter;
    Locale: { from: Record<string, readonly (readonly DictLike[])[]>; to: Record<string, readonly (readonly DictLike[])[]> };
  };
  const convert = opencc.Converter({ from: 'tw', to: 'cn' });
  const triggers = new Set<number>();
  const groups = [...(opencc.Locale.from['tw'] ?? []), ...(opencc.Locale.to['cn'] ?? [])];
  const consider = (key: string | undefined): void => {
    if (key === undefined || key.length === 0) return;
    const cp = key.codePointAt(0);
    if (cp === undefined || String.fromCodePoint(cp).length !== key.length) return; // single characters only
    if (convert(key) !== key) triggers.add(cp);
  };
  for (const group of groups) {
    for (const dict of group) {
      if (typeof dict === 'string') for (const entry of dict.split('|')) consider(entry.split(' ')[0]);
      else for (const [key] of dict) consider(key);
    }
  }
  // A 64 KB bitmap: one array read per character (a 3,000-character regex class or a Set lookup
  // cost 10–30× more per title).
  const bmp = new Uint8Array(0x10000);
  const astral = new Set<number>();
  for (const cp of triggers) if (cp < 0x10000) bmp[cp] = 1; else astral.add(cp);
  converter = convert;
  traditionalOnlyChars = { bmp, astral };
  return { convert, triggers: traditionalOnlyChars };
}

/** Traditional → simplified Chinese (连衣裙 for 連衣裙); text without traditional characters is returned as is. */
export function toSimplifiedChinese(text: string): string {
  if (!HAN_CHAR.test(text)) return text;
  const { convert, triggers } = loadConverter();
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (triggers.bmp[c] === 1) return convert(text);
    if (c >= 0xd800 && c <= 0xdbff && triggers.astral.size > 0 && triggers.astral.has(text.codePointAt(i)!)) return convert(text);
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// Script detection

export type TextScript = 'zh' | 'en' | 'mixed' | 'none';

const HAN_GLOBAL = /\p{Script=Han}/gu;
const LATIN_GLOBAL = /\p{Script=Latin}/gu;

/**
 * Which script a string is written in: 'zh' when it has Han characters and at least as many Han
 * characters as Latin letters (a Taobao title with a brand in Latin letters is still Chinese),
 * 'en' when it has Latin letters and no Han, 'mixed' when Latin letters outnumber Han characters
 * (苹果 iPhone 15 Pro Max), 'none' when it has neither (digits, punctuation).
 */
export function detectScript(text: string): TextScript {
  const han = countMatches(text, HAN_GLOBAL);
  const latin = countMatches(text, LATIN_GLOBAL);
  if (han === 0) return latin === 0 ? 'none' : 'en';
  return han >= latin ? 'zh' : 'mixed';
}

/** True when the text contains any Han character (it needs the Chinese segmenter). */
export function isChinese(text: string): boolean {
  return HAN_CHAR.test(text);
}

function countMatches(text: string, pattern: RegExp): number {
  pattern.lastIndex = 0;
  let n = 0;
  while (pattern.exec(text) !== null) n++;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Character n-grams

/**
 * Character n-grams of the normalised text with whitespace removed, by code point (so a CJK
 * extension character is one character). Text shorter than n yields itself as its only gram;
 * empty text yields none. Input is normalised with `normalizeText` (NFKC, lower case; traditional
 * Chinese kept unless `options.traditionalToSimplified`), so raw titles and `normalized` fields agree.
 */
export function characterNgrams(text: string, n: number, options: NormalizeOptions = {}): string[] {
  if (!Number.isInteger(n) || n < 1) {
    throw createError('INVALID_ARGUMENT', `characterNgrams: n must be a positive integer, got ${n}`, { field: 'n', expected: 'integer ≥ 1', received: String(n) });
  }
  const chars = Array.from(normalizeText(text, options).replace(WHITESPACE_RUN, ''));
  if (chars.length === 0) return [];
  if (chars.length <= n) return [chars.join('')];
  const grams = new Array<string>(chars.length - n + 1);
  for (let i = 0; i + n <= chars.length; i++) grams[i] = chars.slice(i, i + n).join('');
  return grams;
}
