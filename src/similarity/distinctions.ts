/**
 * Negative evidence: what says two products (or two tags) are different things, whatever their
 * words share. Learned similarities (word vectors, catalog vectors) put related-but-different things
 * close together — a Mate 60 Pro phone and a MateBook laptop share brand, words and series — so
 * sameness needs explicit reasons against it:
 * - product type (`type`): phone vs laptop vs headphones, read from the title and the category path;
 * - exclusive values of one attribute dimension (`variant`): over-ear vs in-ear, men vs women,
 *   colour, Android vs iOS (`exclusive-values.ts`);
 * - model line: `iPhone 15` vs `iPhone 15 Pro`, `MacBook Pro` vs `MacBook Air`; leaving the line
 *   word out counts when the word it follows is in both titles;
 * - series numbers: the same series word with other numbers (`iPhone 15` / `iPhone 14`,
 *   `MacBook Air 13` / `15`, `M2` / `M3`), or, within one brand, series names that share no word
 *   (`P60` / `nova 12`, and beside one number `P60` / `Mate 60`);
 * - generation and year (`第二代` / `第三代`, `2023` / `2024`) when both name one;
 * - brand (`brand`): two brand fields naming two makers, known (Sony / Bose) or never seen
 *   (MERCURY / FUANNA; `brand-conflict.ts`).
 * Fusion multiplies the score by the profile's factor per kind and every explanation lists them.
 */
import type { ProductRepresentation } from './representation.ts';
import { BRAND_PRODUCT_LINES, EXCLUSIVE_DIMENSIONS, MODEL_LINE_WORDS, type DistinctionKind, type ExclusiveDimension } from './exclusive-values.ts';
import { canonicalAttributeKey, COLOUR_WORDS, colourWords } from './field-similarities/attributes.ts';
import { builtInBrandAliases, createBrandTokenCanonicalizer } from './field-similarities/brand.ts';
import { brandFieldConflict } from './brand-conflict.ts';
import { memoizeByObject, memoizeString } from './field-similarities/types.ts';
import { createTermScanner, type TermScanner } from './term-scanner.ts';

export type { DistinctionKind } from './exclusive-values.ts';

export interface Distinction {
  kind: DistinctionKind;
  /** `productType`, `wearingStyle`, `colour`, `modelLine`, `series`, `generation` … */
  dimension: string;
  a: string[];
  b: string[];
  /** One line for people: `productType: phone ≠ laptop`. */
  summary: string;
}

/** Values per dimension found in one text. */
export type DimensionValues = ReadonlyMap<string, readonly string[]>;

const LATIN = /^[a-z0-9][a-z0-9 '&.+-]*$/u;

interface TermEntry {
  dimension: ExclusiveDimension;
  value: string;
  priority: number;
}

/** Every term of the dimensions, and what each names; Latin terms are read as whole words (`term-scanner.ts`). */
function compileTerms(dimensions: readonly ExclusiveDimension[]): { scanner: TermScanner; entries: Map<string, TermEntry[]> } {
  const entries = new Map<string, TermEntry[]>();
  for (const dimension of dimensions) {
    for (const v of dimension.values) {
      for (const term of v.terms) {
        const list = entries.get(term) ?? [];
        list.push({ dimension, value: v.value, priority: v.priority ?? 1 });
        entries.set(term, list);
      }
    }
  }
  // Latin terms match whole words only (`men` is not in `women`, `tv` not in `tvs2`); Chinese
  // terms match inside words, as Chinese has no spaces (女装 in 韩版女装).
  const terms = [...entries.keys()];
  return { scanner: createTermScanner(terms.filter((t) => !LATIN.test(t)), terms.filter((t) => LATIN.test(t))), entries };
}

const COMPILED = compileTerms(EXCLUSIVE_DIMENSIONS);

/**
 * Values of the exclusive dimensions a text names (NFKC + lower case expected, as the analyser's
 * `normalized`). Within a dimension only the values of the highest priority are kept.
 */
export function dimensionValuesOf(text: string): DimensionValues {
  // Not memoised by text: titles rarely repeat, and a memo lookup of a new title cost about what
  // the term scan does (a product's marks are memoised on its representation).
  return matchDimensions(text, COMPILED);
}

/**
 * Brands as one more dimension, for short texts only: a tag (苹果手机 / 三星手机) is about one
 * brand, while a title also names the brands it fits (`手机壳 适用 iPhone`), and products have a
 * brand field of their own.
 */
function brandDimension(): ExclusiveDimension {
  const usable = (form: string) => (/^[^\u0080-\u{10ffff}]+$/u.test(form) ? form.length >= 3 : form.length >= 2);
  const values = builtInBrandAliases().map((entry) => ({
    value: entry.parent ?? entry.canonical,
    terms: [...new Set([entry.canonical, ...entry.forms, ...(BRAND_PRODUCT_LINES[entry.canonical] ?? [])].map((f) => f.normalize('NFKC').toLowerCase().trim()).filter(usable))],
  }));
  return { name: 'brand', kind: 'variant', values };
}

let textTerms: ReturnType<typeof compileTerms> | undefined;
const textDimensionValuesOf = memoizeString((text: string) => {
  textTerms ??= compileTerms([...EXCLUSIVE_DIMENSIONS, brandDimension()]);
  const values = new Map(matchDimensions(text, textTerms));
  // A tag is a word or two: a colour character in it names a colour (红 / 蓝).
  const colours = colourWords(text);
  if (colours.length > 0) values.set('colour', [...colours]);
  return values;
});

function matchDimensions(text: string, compiled: ReturnType<typeof compileTerms>): Map<string, string[]> {
  const found = new Map<string, { priority: number; values: string[] }>();
  for (const term of compiled.scanner.scan(text)) {
    for (const e of compiled.entries.get(term) ?? []) {
      const name = e.dimension.name;
      const current = found.get(name);
      if (!current || e.priority > current.priority) found.set(name, { priority: e.priority, values: [e.value] });
      else if (e.priority === current.priority && !current.values.includes(e.value)) current.values.push(e.value);
    }
  }
  return new Map([...found].map(([k, v]) => [k, v.values]));
}

const KIND_OF_DIMENSION = new Map(EXCLUSIVE_DIMENSIONS.map((d) => [d.name, d.kind]));
const BROADER = new Map(EXCLUSIVE_DIMENSIONS.flatMap((d) => d.values.filter((v) => v.within).map((v) => [v.value, v.within!] as const)));

/** Equal, or one a kind of the other (laptop / computer). */
function compatible(x: string, y: string): boolean {
  return x === y || BROADER.get(x) === y || BROADER.get(y) === x;
}

/**
 * Dimensions named on both sides with no value in common (a side naming two values — 男女同款,
 * `over-ear / in-ear` — agrees with either).
 */
export function dimensionConflicts(a: DimensionValues, b: DimensionValues): Distinction[] {
  const out: Distinction[] = [];
  for (const [dimension, va] of a) {
    const vb = b.get(dimension);
    if (!vb || va.some((x) => vb.some((y) => compatible(x, y)))) continue;
    // Unisex is compatible with any gender.
    if (dimension === 'gender' && (va.includes('unisex') || vb.includes('unisex'))) continue;
    out.push(distinction(KIND_OF_DIMENSION.get(dimension) ?? 'variant', dimension, [...va], [...vb]));
  }
  return out;
}

function distinction(kind: DistinctionKind, dimension: string, a: string[], b: string[]): Distinction {
  return { kind, dimension, a, b, summary: `${dimension}: ${a.join('/')} ≠ ${b.join('/')}` };
}

/** What one product says about itself, read once per representation. */
interface ProductMarks {
  dimensions: DimensionValues;
  colours: string[];
  tokens: ReadonlySet<string>;
  /** Model-line word → the word before it (skipping other line words). */
  lines: Map<string, string>;
  /** Series word → numbers written after it (`iphone` → 15, `m` → 3). */
  series: Map<string, Set<string>>;
  years: string[];
  generations: string[];
  brand: string | undefined;
}

const LINE_WORDS = new Set(MODEL_LINE_WORDS);
const COMPACT_CODE = /^([a-z]{1,2})(\d{1,3})$/u;
const YEAR = /^(?:19[89]\d|20[0-4]\d)$/u;
const CHINESE_NUMERALS: Readonly<Record<string, string>> = { 一: '1', 二: '2', 三: '3', 四: '4', 五: '5', 六: '6', 七: '7', 八: '8', 九: '9', 十: '10' };
const brandCanonical = createBrandTokenCanonicalizer();

function generationsOf(text: string): string[] {
  // Every pattern holds 代 or gen: most titles hold neither, and the three scans took 0.8 µs a title.
  if (!text.includes('代') && !text.includes('gen')) return [];
  const out = new Set<string>();
  for (const m of text.matchAll(/第\s*([一二三四五六七八九十]|\d{1,2})\s*代/gu)) out.add(CHINESE_NUMERALS[m[1]!] ?? m[1]!);
  for (const m of text.matchAll(/(?<![a-z0-9])(\d{1,2})(?:st|nd|rd|th)[\s-]*gen(?:eration)?(?![a-z])/gu)) out.add(m[1]!);
  for (const m of text.matchAll(/(?<![a-z0-9])gen(?:eration)?[\s-]*(\d{1,2})(?![0-9])/gu)) out.add(m[1]!);
  return [...out];
}

const LATIN_COLOURS = new RegExp(
  `(?<![a-z])(${COLOUR_WORDS.map(([w]) => w)
    .filter((w) => /^[a-z ]+$/u.test(w))
    .join('|')})(?![a-z])`,
  'gu',
);
const CANONICAL_COLOUR = new Map(COLOUR_WORDS);

function titleColours(normalized: string, tokens: readonly string[], attributes: Readonly<Record<string, string>> | undefined): string[] {
  const out = new Set<string>();
  for (const m of normalized.matchAll(LATIN_COLOURS)) out.add(CANONICAL_COLOUR.get(m[1]!)!);
  // Chinese colours only from words with 色 (黑色, 深空灰色, 午夜色): single characters like 米 or
  // 金 occur inside brand and product words (小米, 金属).
  for (const t of tokens) if (t.includes('色')) for (const c of colourWords(t)) out.add(c);
  for (const [k, v] of Object.entries(attributes ?? {})) if (canonicalAttributeKey(k) === 'color') for (const c of colourWords(v)) out.add(c);
  return [...out];
}

function readMarks(r: ProductRepresentation): ProductMarks {
  const title = r.text.title;
  const category = r.product.category ? r.product.category.normalize('NFKC').toLowerCase() : '';
  return readTextMarks(category ? `${title.normalized} / ${category}` : title.normalized, title.normalized, title.tokens, r.product.attributes, r.product.brand);
}

/** Marks of one analysed text (`dimensionText` may add the category path to what is read for dimensions). */
function readTextMarks(dimensionText: string, normalized: string, tokens: readonly string[], attributes: Readonly<Record<string, string>> | undefined, brand: string | undefined): ProductMarks {
  const dimensions = dimensionValuesOf(dimensionText);
  const lines = new Map<string, string>();
  const series = new Map<string, Set<string>>();
  const years: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (YEAR.test(t)) {
      years.push(t);
      continue;
    }
    if (LINE_WORDS.has(t)) {
      let j = i - 1;
      while (j >= 0 && LINE_WORDS.has(tokens[j]!)) j--;
      if (j >= 0) lines.set(t, tokens[j]!);
      continue;
    }
    const compact = COMPACT_CODE.exec(t);
    if (compact) addSeries(series, compact[1]!, compact[2]!);
    else if (/^\d{1,3}$/u.test(t) && i > 0 && /^[a-z]{2,}$/u.test(tokens[i - 1]!)) addSeries(series, tokens[i - 1]!, t);
  }
  return {
    dimensions,
    colours: titleColours(normalized, tokens, attributes),
    tokens: new Set(tokens),
    lines,
    series,
    years,
    generations: generationsOf(normalized),
    brand: brand ? brandCanonical(brand.normalize('NFKC').toLowerCase().trim()) : undefined,
  };
}

function addSeries(series: Map<string, Set<string>>, word: string, number: string): void {
  const set = series.get(word) ?? new Set<string>();
  set.add(number);
  series.set(word, set);
}

const marksOf = memoizeByObject(readMarks);

/**
 * A line word on one side only counts when the word it follows is in both titles (`iPhone 15` /
 * `iPhone 15 Pro`: 15 is shared) and is not the brand (`Nike Air Force 1` / `耐克 空军一号`: the
 * other title may just not repeat the English line).
 */
function modelLineConflicts(a: ProductMarks, b: ProductMarks): Distinction[] {
  const onlyA = lineWordsOnlyIn(a, b);
  const onlyB = lineWordsOnlyIn(b, a);
  if (onlyA.length === 0 && onlyB.length === 0) return [];
  const linesA = [...a.lines.keys()];
  const linesB = [...b.lines.keys()];
  return [distinction('variant', 'modelLine', linesA.length > 0 ? linesA : ['(none)'], linesB.length > 0 ? linesB : ['(none)'])];
}

function lineWordsOnlyIn(x: ProductMarks, y: ProductMarks): string[] {
  const out: string[] = [];
  for (const [word, anchor] of x.lines) {
    if (y.lines.has(word) || !y.tokens.has(anchor)) continue;
    if (brandCanonical(anchor) === x.brand || brandCanonical(anchor) === y.brand) continue;
    out.push(word);
  }
  return out;
}

function seriesConflicts(a: ProductMarks, b: ProductMarks): Distinction[] {
  if (a.series.size === 0 || b.series.size === 0) return [];
  const show = (m: ProductMarks) => [...m.series].map(([w, ns]) => `${w} ${[...ns].join('/')}`);
  let sharedWord = false;
  for (const [word, numbersA] of a.series) {
    const numbersB = b.series.get(word);
    if (!numbersB) continue;
    sharedWord = true;
    if (![...numbersA].some((n) => numbersB.has(n))) return [distinction('variant', 'series', show(a), show(b))];
  }
  // Within one brand, two series that share no word are two product lines: with no number in
  // common (`P60` / `nova 12`), or beside one number under other names (`P60` / `Mate 60`).
  if (!sharedWord && a.brand !== undefined && a.brand === b.brand) {
    const wordInOther = [...a.series.keys()].some((w) => w.length > 2 && b.tokens.has(w)) || [...b.series.keys()].some((w) => w.length > 2 && a.tokens.has(w));
    if (!wordInOther && !abbreviatedSeries(a.series, b.series)) return [distinction('variant', 'series', show(a), show(b))];
  }
  return [];
}

/**
 * A number both sides write after series words where one word starts the other (`A7` / `Alpha 7`,
 * `S9` / `Series 9`): one series, abbreviated on one side.
 */
function abbreviatedSeries(a: ProductMarks['series'], b: ProductMarks['series']): boolean {
  for (const [wordA, numbersA] of a) {
    for (const [wordB, numbersB] of b) {
      if (![...numbersA].some((n) => numbersB.has(n))) continue;
      if (wordA.startsWith(wordB) || wordB.startsWith(wordA)) return true;
    }
  }
  return false;
}

function listConflict(dimension: string, a: readonly string[], b: readonly string[]): Distinction[] {
  if (a.length === 0 || b.length === 0 || a.some((x) => b.includes(x))) return [];
  return [distinction('variant', dimension, [...a], [...b])];
}

/**
 * Brand fields naming two makers (`brand-conflict.ts`): known to the alias table and not of one
 * family (Sony / Bose; Redmi / Xiaomi is one family), or never seen and not the same name written
 * another way (MERCURY / FUANNA). Only the brand fields: a title also names the brands an accessory
 * fits (`适用 iPhone`). A `variant` kind: the profile's `conflictFactor` applies (sameProduct 0.5;
 * Sony / Bose headphones 0.503 → 0.25).
 */
function brandConflicts(a: ProductRepresentation, b: ProductRepresentation): Distinction[] {
  const c = brandFieldConflict(a, b);
  return c ? [distinction('variant', 'brand', c.a, c.b)] : [];
}

/** Every reason the two products are different things (empty when none is found). */
export function productDistinctions(a: ProductRepresentation, b: ProductRepresentation): Distinction[] {
  const ma = marksOf(a);
  const mb = marksOf(b);
  return [
    ...dimensionConflicts(ma.dimensions, mb.dimensions),
    ...listConflict('colour', ma.colours, mb.colours),
    ...modelLineConflicts(ma, mb),
    ...seriesConflicts(ma, mb),
    ...listConflict('year', ma.years, mb.years),
    ...listConflict('generation', ma.generations, mb.generations),
    ...brandConflicts(a, b),
  ];
}

/** Dimensions a short text is about when it names them; the other side naming none is a difference. */
const DEFINING_DIMENSIONS = ['productType', 'brand'] as const;

/**
 * Distinctions between two short texts (tags, queries): values of one dimension that differ
 * (头戴式 / 入耳式, 苹果手机 / 三星手机); a product type or brand on one side only (苹果电脑 / apple,
 * 四件套 / 全包); texts that each name values of different dimensions only (大屏 is a screen size,
 * 复古 a style, 卡其色 a colour: different attributes, never synonyms).
 */
export function textDistinctions(a: string, b: string): Distinction[] {
  const norm = (s: string) => s.normalize('NFKC').toLowerCase().trim();
  const va = textDimensionValuesOf(norm(a));
  const vb = textDimensionValuesOf(norm(b));
  const conflicts = dimensionConflicts(va, vb);
  for (const dimension of DEFINING_DIMENSIONS) {
    if (va.has(dimension) !== vb.has(dimension)) {
      conflicts.push(distinction(KIND_OF_DIMENSION.get(dimension) ?? 'variant', dimension, [...(va.get(dimension) ?? ['(none)'])], [...(vb.get(dimension) ?? ['(none)'])]));
    }
  }
  if (conflicts.length > 0 || va.size === 0 || vb.size === 0 || [...va.keys()].some((d) => vb.has(d))) return conflicts;
  return [distinction('variant', 'attribute', [...va.keys()], [...vb.keys()])];
}

/**
 * Each dimension's values without those broader than another one named (jeans in a category path
 * 服饰/裤装 are trousers, not "clothing", which would agree with a query for a T-shirt).
 */
function narrowestValues(values: DimensionValues): DimensionValues {
  return new Map([...values].map(([dimension, vs]) => [dimension, vs.filter((v) => !vs.some((w) => BROADER.get(w) === v))]));
}

/** A query as `queryDistinctions` reads it: the analyser's normalised text and tokens. */
export interface QueryText {
  normalized: string;
  tokens: readonly string[];
}

/** A query's marks, read once for all the hits it is checked against. */
const queryMarksOf = memoizeByObject((query: QueryText) => readTextMarks(query.normalized, query.normalized, query.tokens, undefined, undefined));

/**
 * What the query asks for that the product is not: the values the query names (product type, gender,
 * colour, model line, series, year, generation, brand) against the product's. Unlike
 * `productDistinctions`, a value the query leaves out is no difference (a query for `连衣裙` does not
 * exclude red dresses), except the model line, whose absence is a value (`iphone 15` is not
 * `iphone 15 pro` once both name 15). `a` is the query's side, `b` the product's.
 */
export function queryDistinctions(query: QueryText, product: ProductRepresentation): Distinction[] {
  const mq = queryMarksOf(query);
  const mp = marksOf(product);
  const out = [
    ...dimensionConflicts(mq.dimensions, narrowestValues(mp.dimensions)),
    ...listConflict('colour', mq.colours, mp.colours),
    ...modelLineConflicts(mq, mp),
    ...seriesConflicts(mq, mp),
    ...listConflict('year', mq.years, mp.years),
    ...listConflict('generation', mq.generations, mp.generations),
  ];
  // A brand the query names that the product's brand, title and category do not (iphone names
  // Apple: a case "for iPhone 15" holds it in its title).
  const wanted = textDimensionValuesOf(query.normalized).get('brand');
  if (wanted && product.product.brand) {
    const p = product.product;
    const has = textDimensionValuesOf([p.brand, product.text.title.normalized, p.category ?? ''].join(' / ').normalize('NFKC').toLowerCase()).get('brand') ?? [];
    if (!wanted.some((b) => has.includes(b))) out.push(distinction('variant', 'brand', [...wanted], has.length > 0 ? [...has] : [p.brand!]));
  }
  return out;
}
