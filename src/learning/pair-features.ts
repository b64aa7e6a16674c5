/**
 * Pair features: what a matcher learns from. Fitted on the user's own records (IDF over both
 * catalogs), then turns a pair of records into a fixed vector of named, grouped features:
 * field similarities (TF-IDF cosine on words and character n-grams, Jaccard, IDF-weighted
 * overlap), model-number agreement and conflict, numeric agreement (quantities, plain numbers),
 * brand agreement, length ratios, price ratio, variant words, negative evidence (the similarity
 * stage's distinctions: product type, exclusive values, model line, series), and optionally dense cosine.
 * Product codes are weighted by how rare they are in the catalog: a code shared by two records
 * and by few others says more than one most records carry (`usb2.0`, `x64`).
 */
import { createError, rejectUnknownKeys } from '../errors.ts';
import type { Quantity, TextAnalyzer } from '../text/analyzer.ts';
import { createTextAnalyzer } from '../text/text-analyzer.ts';
import type { LabeledPair, PairRecord } from './pairs.ts';
import { editSimilarity, levenshtein, extractModelCodes, extractNumbers, extractQuantities } from './product-codes.ts';
import { cosineSimilarity } from '../encoders/encoder.ts';
import { productDistinctions, type Distinction } from '../similarity/distinctions.ts';
import { representProduct, type ProductRepresentation } from '../similarity/representation.ts';

export const FEATURE_GROUPS = ['lexical', 'crossField', 'modelNumber', 'numeric', 'brand', 'length', 'price', 'variant', 'distinction', 'dense'] as const;
export type FeatureGroup = (typeof FEATURE_GROUPS)[number];

export interface PairFeatureOptions {
  /** The record's main name field; auto: `title`, else `name`, else the first text field. */
  titleField: string | undefined;
  /** Free-text fields compared one by one; auto: every field that is not price, brand or bookkeeping. */
  textFields: string[] | undefined;
  /** Brand field; auto: `brand` or `manufacturer` when present, else the title's first word stands in. */
  brandField: string | undefined;
  /** Price field; auto: `price` when present. */
  priceField: string | undefined;
  /** Category path field (read by the distinctions: product type); auto: `category` when present. */
  categoryField: string | undefined;
  /** Feature groups to compute (the ablation switches groups off). */
  groups: FeatureGroup[];
  /** Character n-gram length for the character TF-IDF cosine. */
  charNgram: number;
}

export const DEFAULT_PAIR_FEATURE_OPTIONS = {
  titleField: undefined,
  textFields: undefined,
  brandField: undefined,
  priceField: undefined,
  categoryField: undefined,
  groups: ['lexical', 'crossField', 'modelNumber', 'numeric', 'brand', 'length', 'price', 'variant', 'distinction', 'dense'],
  charNgram: 3,
} as const satisfies { [K in keyof PairFeatureOptions]: PairFeatureOptions[K] | readonly FeatureGroup[] };

/** Fields that never carry product text (bookkeeping, currency, and WDC's cluster ids, which would leak labels). */
const NON_TEXT_FIELDS = /^(id|pair_id|label|price|pricecurrency|price_currency|currency|cluster_id|is_hard_negative|url|image|images|pict_url)$/i;
const BRAND_FIELDS = ['brand', 'manufacturer', 'maker', 'vendor'];
const TITLE_FIELDS = ['title', 'name', 'product_name', 'productname'];

/**
 * Words marking a product variant (edition, licence, platform): two otherwise equal titles
 * differing in one of these are usually different products. Explicit and visible, as a
 * heuristic must be; the learner decides how much it weighs.
 */
export const VARIANT_WORDS: readonly string[] = [
  'upgrade', 'academic', 'student', 'teacher', 'edu', 'education', 'educational', 'oem', 'retail', 'license', 'licence', 'licenses',
  'pro', 'professional', 'standard', 'std', 'deluxe', 'dlx', 'premium', 'premier', 'basic', 'home', 'business', 'enterprise', 'ultimate',
  'plus', 'lite', 'express', 'suite', 'studio', 'server', 'workstation', 'mac', 'macintosh', 'win', 'windows', 'pc', 'linux',
  'bundle', 'kit', 'refill', 'renewal', 'subscription', 'mini', 'max', 'ultra', 'xl', 'black', 'white', 'silver', 'red', 'blue',
];
const PLATFORM_MAC = new Set(['mac', 'macintosh', 'osx']);
const PLATFORM_WIN = new Set(['win', 'windows', 'pc', 'win32', 'xp', 'vista']);

/** A sparse vector as term ids in increasing order and their weights (dot products by merging). */
interface SparseMap {
  ids: Int32Array;
  values: Float64Array;
}

interface FieldRep {
  tokens: string[];
  tokenSet: Set<string>;
  word: SparseMap;
  char: SparseMap;
  idfMass: number;
  empty: boolean;
}

interface RecordRep {
  fields: Map<string, FieldRep>;
  title: FieldRep;
  all: FieldRep;
  titleCodes: string[];
  allCodes: Set<string>;
  allAlnum: string;
  titleQuantities: Quantity[];
  allQuantities: Quantity[];
  titleNumbers: Set<string>;
  /** Title tokens holding a digit (`16gb`, `hl-l6200dw`, `2.0`): sizes, versions, codes as written. */
  titleDigitWords: Set<string>;
  /** `a x b` sizes the title gives (`29 x 2.4`, `27.5''x2.50`, `2x4gb`, `500g*2`), numbers canonical: `29x2.4`. */
  titleDimensions: Set<string>;
  /** The similarity stage's view of the record (title, brand, category), for its distinctions. */
  representation: ProductRepresentation | undefined;
  brand: string;
  brandGiven: boolean;
  price: number;
  dense: Float32Array | undefined;
}

export interface FittedVocabulary {
  documents: number;
  wordDf: [string, number][];
  charDf: [string, number][];
  /** Records naming each product code (`extractModelCodes` + the analyser's model numbers, canonical). */
  codeDf: [string, number][];
}

/** What a fitted extractor saves: options and document frequencies. */
export interface PairFeatureState {
  options: PairFeatureOptions;
  vocabulary: FittedVocabulary;
}

export interface PairFeatureExtractor {
  readonly options: PairFeatureOptions;
  /** Feature names in vector order, `group.name`. */
  readonly names: readonly string[];
  /** The group of each feature, in vector order. */
  readonly groupOf: readonly FeatureGroup[];
  featurize(pair: LabeledPair): Float64Array;
  featurizeAll(pairs: readonly LabeledPair[], onProgress?: (done: number, total: number) => void): Float64Array[];
  /** Gives dense vectors for records (dense group); records without one get cosine 0 and a missing flag. */
  setDenseLookup(lookup: ((record: PairRecord) => Float32Array | undefined) | undefined): void;
  toState(): PairFeatureState;
}

function detectFields(records: readonly PairRecord[], opts: PairFeatureOptions) {
  const keys = new Set<string>();
  for (const r of records.slice(0, 500)) for (const k of Object.keys(r)) keys.add(k);
  const keyList = [...keys];
  const findKey = (candidates: readonly string[]) => keyList.find((k) => candidates.includes(k.toLowerCase()));
  const brandField = opts.brandField ?? findKey(BRAND_FIELDS);
  const priceField = opts.priceField ?? findKey(['price']);
  const categoryField = opts.categoryField ?? findKey(['category', 'category_path', 'categories']);
  const textFields = opts.textFields ?? keyList.filter((k) => !NON_TEXT_FIELDS.test(k) && k !== brandField && k !== priceField);
  const titleField = opts.titleField ?? findKey(TITLE_FIELDS) ?? textFields[0];
  if (titleField === undefined) throw createError('INVALID_ARGUMENT', 'pair features: records have no text field');
  const ordered = [titleField, ...textFields.filter((f) => f !== titleField)];
  return { titleField, textFields: ordered, brandField, priceField, categoryField };
}

function idf(df: Map<string, number>, documents: number, term: string): number {
  return Math.log((documents + 1) / ((df.get(term) ?? 0) + 1)) + 1;
}

function charGrams(tokens: readonly string[], n: number): string[] {
  const s = ` ${tokens.join(' ')} `;
  const out: string[] = [];
  for (let i = 0; i + n <= s.length; i++) out.push(s.slice(i, i + n));
  return out;
}

/** Term → id, growing for terms the fitted vocabulary has not seen (they get df 0). */
class TermIds {
  private readonly ids = new Map<string, number>();
  constructor(terms: Iterable<string>) {
    for (const t of terms) this.ids.set(t, this.ids.size);
  }
  id(term: string): number {
    let v = this.ids.get(term);
    if (v === undefined) {
      v = this.ids.size;
      this.ids.set(term, v);
    }
    return v;
  }
}

function tfidf(terms: readonly string[], df: Map<string, number>, documents: number, termIds: TermIds): SparseMap {
  const tf = new Map<string, number>();
  for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + 1);
  const entries: [number, number][] = [];
  let norm = 0;
  for (const [t, c] of tf) {
    const w = (1 + Math.log(c)) * idf(df, documents, t);
    entries.push([termIds.id(t), w]);
    norm += w * w;
  }
  entries.sort((x, y) => x[0] - y[0]);
  const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  return { ids: Int32Array.from(entries, (e) => e[0]), values: Float64Array.from(entries, (e) => e[1] * inv) };
}

function cosine(a: SparseMap, b: SparseMap): number {
  const ai = a.ids;
  const bi = b.ids;
  let i = 0;
  let j = 0;
  let s = 0;
  while (i < ai.length && j < bi.length) {
    const x = ai[i]!;
    const y = bi[j]!;
    if (x === y) {
      s += a.values[i]! * b.values[j]!;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return s;
}


function parsePrice(raw: string | undefined): number {
  if (!raw) return Number.NaN;
  const m = raw.replace(/,/g, '').match(/\d+(?:\.\d+)?/);
  const v = m ? Number(m[0]) : Number.NaN;
  return v > 0 ? v : Number.NaN;
}

/**
 * Fits an extractor on the records the pairs are drawn from (both catalogs). Document
 * frequencies count each record's full text once.
 */
export function fitPairFeatures(
  records: readonly PairRecord[],
  options: Partial<PairFeatureOptions> = {},
  analyzer: TextAnalyzer = createTextAnalyzer(),
): PairFeatureExtractor {
  rejectUnknownKeys(options, Object.keys(DEFAULT_PAIR_FEATURE_OPTIONS), 'fitPairFeatures');
  const base: PairFeatureOptions = { ...DEFAULT_PAIR_FEATURE_OPTIONS, groups: [...DEFAULT_PAIR_FEATURE_OPTIONS.groups], ...options };
  const fields = detectFields(records, base);
  const opts: PairFeatureOptions = { ...base, ...fields };
  const wordDf = new Map<string, number>();
  const charDf = new Map<string, number>();
  const codeDf = new Map<string, number>();
  for (const r of records) {
    const text = allText(r, opts);
    const tokens = analyzer.tokenize(text);
    for (const t of new Set(tokens)) wordDf.set(t, (wordDf.get(t) ?? 0) + 1);
    for (const g of new Set(charGrams(tokens, opts.charNgram))) charDf.set(g, (charDf.get(g) ?? 0) + 1);
    for (const c of codesOf(analyzer.analyze(text))) codeDf.set(c, (codeDf.get(c) ?? 0) + 1);
  }
  return createPairFeatureExtractor({ options: opts, vocabulary: { documents: records.length, wordDf: [...wordDf], charDf: [...charDf], codeDf: [...codeDf] } }, analyzer);
}

function codesOf(analyzed: { normalized: string; modelNumbers: readonly string[] }): Set<string> {
  return new Set([...extractModelCodes(analyzed.normalized), ...analyzed.modelNumbers]);
}

function allText(r: PairRecord, opts: PairFeatureOptions): string {
  const parts = (opts.textFields ?? []).map((f) => r[f] ?? '');
  if (opts.brandField && r[opts.brandField]) parts.push(r[opts.brandField]!);
  return parts.join(' ');
}

/** The fitted document frequencies, and the IDF-weighted comparisons of two fields' words and two records' codes. */
interface PairVocabulary {
  readonly wordDf: Map<string, number>;
  readonly charDf: Map<string, number>;
  readonly documents: number;
  readonly wordIds: TermIds;
  readonly charIds: TermIds;
  readonly wordIdf: (term: string) => number;
  /** Σ IDF of `a`'s words `b` lacks. */
  readonly missingIdf: (a: FieldRep, b: FieldRep) => number;
  /** Σ IDF of the shared words over the smaller (`min`) or larger (`max`) field's IDF mass. */
  readonly idfOverlap: (a: FieldRep, b: FieldRep, mode: 'min' | 'max') => number;
  readonly rarestUnmatched: (a: FieldRep, b: FieldRep) => number;
  readonly rarestShared: (a: FieldRep, b: FieldRep) => number;
  /** The share of `a`'s IDF mass that `b` holds. */
  readonly coverage: (a: FieldRep, b: FieldRep) => number;
  /** The IDF of the rarest code both records name (0 when none). */
  readonly rarestSharedCode: (a: RecordRep, b: RecordRep) => number;
  /** The IDF of the rarest title code of `a` found nowhere in `b`'s text (0 when none). */
  readonly rarestUnmatchedCode: (a: RecordRep, b: RecordRep) => number;
}

function createPairVocabulary(vocabulary: FittedVocabulary): PairVocabulary {
  const documents = vocabulary.documents;
  const wordDf = new Map(vocabulary.wordDf);
  const charDf = new Map(vocabulary.charDf);
  const codeDf = new Map(vocabulary.codeDf);
  const wordIdf = (t: string) => idf(wordDf, documents, t);
  const codeIdf = (code: string) => idf(codeDf, documents, code);
  const missingIdf = (a: FieldRep, b: FieldRep): number => {
    let s = 0;
    for (const t of a.tokenSet) if (!b.tokenSet.has(t)) s += wordIdf(t);
    return s;
  };
  return {
    wordDf,
    charDf,
    documents,
    wordIds: new TermIds(wordDf.keys()),
    charIds: new TermIds(charDf.keys()),
    wordIdf,
    missingIdf,
    idfOverlap(a, b, mode) {
      let shared = 0;
      for (const t of a.tokenSet) if (b.tokenSet.has(t)) shared += wordIdf(t);
      const denom = mode === 'min' ? Math.min(a.idfMass, b.idfMass) : Math.max(a.idfMass, b.idfMass);
      return denom === 0 ? 0 : shared / denom;
    },
    rarestUnmatched(a, b) {
      let m = 0;
      for (const t of a.tokenSet) if (!b.tokenSet.has(t)) m = Math.max(m, wordIdf(t));
      return m;
    },
    rarestShared(a, b) {
      let m = 0;
      for (const t of a.tokenSet) if (b.tokenSet.has(t)) m = Math.max(m, wordIdf(t));
      return m;
    },
    coverage(a, b) {
      if (a.idfMass === 0) return 0;
      let s = 0;
      for (const t of a.tokenSet) if (b.tokenSet.has(t)) s += wordIdf(t);
      return s / a.idfMass;
    },
    rarestSharedCode(a, b) {
      let m = 0;
      for (const c of a.allCodes) if (b.allCodes.has(c)) m = Math.max(m, codeIdf(c));
      return m;
    },
    rarestUnmatchedCode(a, b) {
      let m = 0;
      for (const c of unmatchedTitleCodes(a, b)) m = Math.max(m, codeIdf(c));
      return m;
    },
  };
}

/** Turns records into what the features compare, each record once (by object, then by content). */
interface RecordRepresenter {
  represent(r: PairRecord): RecordRep;
  setDenseLookup(lookup: ((record: PairRecord) => Float32Array | undefined) | undefined): void;
}

function createRecordRepresenter(opts: PairFeatureOptions, vocab: PairVocabulary, analyzer: TextAnalyzer): RecordRepresenter {
  const titleField = opts.titleField!;
  const textFields = opts.textFields ?? [titleField];
  const compareAll = textFields.length > 1 || opts.brandField !== undefined;
  const wantsDistinctions = opts.groups.includes('distinction');
  let denseLookup: ((record: PairRecord) => Float32Array | undefined) | undefined;
  const cache = new Map<string, RecordRep>();
  // Both caches hold `dense` from the lookup in force when a record was first seen: a new lookup
  // empties both (a WeakMap has no clear(), so it is replaced).
  let objectCache = new WeakMap<PairRecord, RecordRep>();

  function fieldRep(text: string): FieldRep {
    const tokens = analyzer.tokenize(text);
    const tokenSet = new Set(tokens);
    let idfMass = 0;
    for (const t of tokenSet) idfMass += vocab.wordIdf(t);
    return {
      tokens,
      tokenSet,
      word: tfidf(tokens, vocab.wordDf, vocab.documents, vocab.wordIds),
      char: tfidf(charGrams(tokens, opts.charNgram), vocab.charDf, vocab.documents, vocab.charIds),
      idfMass,
      empty: tokens.length === 0,
    };
  }

  function represent(r: PairRecord): RecordRep {
    const hit = objectCache.get(r);
    if (hit) return hit;
    const key = JSON.stringify(r);
    const cached = cache.get(key);
    if (cached) {
      objectCache.set(r, cached);
      return cached;
    }
    const fields = new Map<string, FieldRep>();
    for (const f of textFields) fields.set(f, fieldRep(r[f] ?? ''));
    const title = fields.get(titleField)!;
    const all = compareAll ? fieldRep(allText(r, opts)) : title;
    const titleNorm = analyzer.analyze(r[titleField] ?? '');
    const allNorm = compareAll ? analyzer.analyze(allText(r, opts)) : titleNorm;
    const titleCodes = [...codesOf(titleNorm)];
    const allCodes = codesOf(allNorm);
    const givenBrand = opts.brandField ? (r[opts.brandField] ?? '').trim().toLowerCase() : '';
    const rep: RecordRep = {
      fields,
      title,
      all,
      titleCodes,
      allCodes,
      allAlnum: allNorm.normalized.replace(/[^a-z0-9]/g, ''),
      titleQuantities: mergeQuantities(extractQuantities(titleNorm.normalized), titleNorm.quantities),
      allQuantities: mergeQuantities(extractQuantities(allNorm.normalized), allNorm.quantities),
      titleNumbers: new Set(extractNumbers(title.tokens)),
      titleDigitWords: new Set(title.tokens.filter((t) => /\d/.test(t))),
      titleDimensions: dimensionsOf(titleNorm.normalized),
      representation: undefined,
      brand: givenBrand !== '' ? givenBrand : (title.tokens[0] ?? ''),
      brandGiven: givenBrand !== '',
      price: parsePrice(opts.priceField ? r[opts.priceField] : undefined),
      dense: denseLookup?.(r),
    };
    if (wantsDistinctions) {
      const category = opts.categoryField ? r[opts.categoryField] : undefined;
      const product = { id: '', title: r[titleField] ?? '', tags: [], images: [], attributes: {}, ...(category ? { category } : {}), ...(rep.brandGiven ? { brand: rep.brand } : {}) };
      rep.representation = representProduct(product, analyzer, { text: { title: titleNorm } });
    }
    cache.set(key, rep);
    objectCache.set(r, rep);
    return rep;
  }

  return {
    represent,
    setDenseLookup(lookup) {
      denseLookup = lookup;
      cache.clear();
      objectCache = new WeakMap();
    },
  };
}

/** One feature: its name (`group.name`), group, and how a pair's value is computed. */
interface FeatureDefinition {
  name: string;
  group: FeatureGroup;
  value: (a: RecordRep, b: RecordRep) => number;
}

/** The features of the options' groups, in vector order. */
function pairFeatureDefinitions(opts: PairFeatureOptions, vocab: PairVocabulary): FeatureDefinition[] {
  const groups = new Set(opts.groups);
  const textFields = opts.textFields ?? [opts.titleField!];
  const compareAll = textFields.length > 1 || opts.brandField !== undefined;
  const defs: FeatureDefinition[] = [];
  const add = (group: FeatureGroup, name: string, value: FeatureDefinition['value']) => {
    if (groups.has(group)) defs.push({ name: `${group}.${name}`, group, value });
  };
  const { missingIdf, idfOverlap, rarestUnmatched, rarestShared, coverage, rarestSharedCode, rarestUnmatchedCode } = vocab;
  // The four distinction features of a pair share one comparison.
  let pairDistinctions: { a: RecordRep; b: RecordRep; list: Distinction[] } | undefined;
  const distinctionsOf = (a: RecordRep, b: RecordRep): Distinction[] => {
    if (pairDistinctions?.a !== a || pairDistinctions.b !== b) {
      pairDistinctions = { a, b, list: a.representation && b.representation ? productDistinctions(a.representation, b.representation) : [] };
    }
    return pairDistinctions.list;
  };

  const fieldPairs: [string, (r: RecordRep) => FieldRep][] = textFields.map((f) => [f, (r: RecordRep) => r.fields.get(f)!]);
  if (compareAll) fieldPairs.push(['all', (r) => r.all]);
  for (const [fname, get] of fieldPairs) {
    add('lexical', `${fname}.word_cos`, (a, b) => cosine(get(a).word, get(b).word));
    add('lexical', `${fname}.char_cos`, (a, b) => cosine(get(a).char, get(b).char));
    add('lexical', `${fname}.jaccard`, (a, b) => jaccard(get(a).tokenSet, get(b).tokenSet));
    add('lexical', `${fname}.idf_overlap_min`, (a, b) => idfOverlap(get(a), get(b), 'min'));
    add('lexical', `${fname}.idf_overlap_max`, (a, b) => idfOverlap(get(a), get(b), 'max'));
    add('lexical', `${fname}.missing`, (a, b) => (get(a).empty || get(b).empty ? 1 : 0));
  }
  add('lexical', 'title.unmatched_idf_max', (a, b) => Math.max(missingIdf(a.title, b.title), missingIdf(b.title, a.title)));
  add('lexical', 'title.unmatched_idf_min', (a, b) => Math.min(missingIdf(a.title, b.title), missingIdf(b.title, a.title)));
  add('lexical', 'title.rarest_unmatched_idf', (a, b) => Math.max(rarestUnmatched(a.title, b.title), rarestUnmatched(b.title, a.title)));
  add('lexical', 'title.rarest_shared_idf', (a, b) => rarestShared(a.title, b.title));
  // Title words of one record that the other's whole text lacks, by IDF: a rare word missing says
  // more than a common one (`glide` missing from a `Cruzer Force` record; `the`, `new` say little).
  add('lexical', 'title.missing_in_other_idf_max', (a, b) => Math.max(missingIdf(a.title, b.all), missingIdf(b.title, a.all)));
  add('lexical', 'title.missing_in_other_idf_share_max', (a, b) => Math.max(share(missingIdf(a.title, b.all), a.title.idfMass), share(missingIdf(b.title, a.all), b.title.idfMass)));
  add('lexical', 'title.soft_overlap', (a, b) => (softOverlap(a.title.tokens, b.title.tokens) + softOverlap(b.title.tokens, a.title.tokens)) / 2);
  add('lexical', 'title.head_jaccard', (a, b) => jaccard(new Set(a.title.tokens.slice(0, 3)), new Set(b.title.tokens.slice(0, 3))));
  add('lexical', 'title.bigram_jaccard', (a, b) => jaccard(bigrams(a.title.tokens), bigrams(b.title.tokens)));

  if (compareAll) {
    add('crossField', 'title_in_other_all_min', (a, b) => Math.min(coverage(a.title, b.all), coverage(b.title, a.all)));
    add('crossField', 'title_in_other_all_max', (a, b) => Math.max(coverage(a.title, b.all), coverage(b.title, a.all)));
    add('crossField', 'title_vs_all_char_max', (a, b) => Math.max(cosine(a.title.char, b.all.char), cosine(b.title.char, a.all.char)));
  }

  add('modelNumber', 'title_exact', (a, b) => (a.titleCodes.some((c) => b.allCodes.has(c)) || b.titleCodes.some((c) => a.allCodes.has(c)) ? 1 : 0));
  add('modelNumber', 'any_exact', (a, b) => ([...a.allCodes].some((c) => b.allCodes.has(c)) ? 1 : 0));
  add('modelNumber', 'in_text', (a, b) => (codeInText(a.titleCodes, b.allAlnum) || codeInText(b.titleCodes, a.allAlnum) ? 1 : 0));
  add('modelNumber', 'best_sim', (a, b) => bestCodeSimilarity(a.titleCodes, b.titleCodes));
  add('modelNumber', 'prefix', (a, b) => (codesPrefix(a.titleCodes, b.titleCodes) ? 1 : 0));
  add('modelNumber', 'conflict', (a, b) => codeConflict(a, b));
  add('modelNumber', 'shared_rarest_idf', (a, b) => rarestSharedCode(a, b));
  add('modelNumber', 'unmatched_rarest_idf', (a, b) => Math.max(rarestUnmatchedCode(a, b), rarestUnmatchedCode(b, a)));
  // Each title naming a code the other lacks (`b550-e` vs `b550-f`, `2393-823-109` vs `2399-829-109`) is
  // another model of the line; one code on one side only is mostly a listing that names its part number.
  add('modelNumber', 'unmatched_both_rarest_idf', (a, b) => Math.min(rarestUnmatchedCode(a, b), rarestUnmatchedCode(b, a)));
  add('modelNumber', 'unmatched_near_miss', (a, b) => nearMissCodeSimilarity(a, b));
  add('modelNumber', 'has_both', (a, b) => (a.titleCodes.length > 0 && b.titleCodes.length > 0 ? 1 : 0));
  add('modelNumber', 'has_one', (a, b) => ((a.titleCodes.length > 0) !== (b.titleCodes.length > 0) ? 1 : 0));

  add('numeric', 'title_numbers_jaccard', (a, b) => jaccard(a.titleNumbers, b.titleNumbers));
  add('numeric', 'title_numbers_conflict', (a, b) => (a.titleNumbers.size > 0 && b.titleNumbers.size > 0 && !intersects(a.titleNumbers, b.titleNumbers) ? 1 : 0));
  add('numeric', 'title_numbers_one_side', (a, b) => (setDifferenceCount(a.titleNumbers, b.titleNumbers) + setDifferenceCount(b.titleNumbers, a.titleNumbers)));
  add('numeric', 'title_digit_words_jaccard', (a, b) => jaccard(a.titleDigitWords, b.titleDigitWords));
  add('numeric', 'title_digit_words_missing', (a, b) => digitWordsMissing(a, b) + digitWordsMissing(b, a));
  add('numeric', 'title_quantity_agree', (a, b) => quantityCompare(a.titleQuantities, b.allQuantities).agree + quantityCompare(b.titleQuantities, a.allQuantities).agree);
  add('numeric', 'title_quantity_conflict', (a, b) => quantityCompare(a.titleQuantities, b.titleQuantities).conflict);
  add('numeric', 'title_dimension_conflict', (a, b) => (a.titleDimensions.size > 0 && b.titleDimensions.size > 0 && !intersects(a.titleDimensions, b.titleDimensions) ? 1 : 0));
  add('numeric', 'all_quantity_agree', (a, b) => quantityCompare(a.allQuantities, b.allQuantities).agree);
  add('numeric', 'all_quantity_conflict', (a, b) => quantityCompare(a.allQuantities, b.allQuantities).conflict);

  add('brand', 'equal', (a, b) => (a.brand !== '' && a.brand === b.brand ? 1 : 0));
  add('brand', 'in_other', (a, b) => (brandIn(a.brand, b) || brandIn(b.brand, a) ? 1 : 0));
  add('brand', 'conflict', (a, b) => (a.brand !== '' && b.brand !== '' && !brandIn(a.brand, b) && !brandIn(b.brand, a) ? 1 : 0));
  add('brand', 'given_both', (a, b) => (a.brandGiven && b.brandGiven ? 1 : 0));

  add('length', 'title_ratio', (a, b) => ratio(a.title.tokens.length, b.title.tokens.length));
  add('length', 'title_log_diff', (a, b) => Math.abs(Math.log1p(a.title.tokens.length) - Math.log1p(b.title.tokens.length)));
  if (compareAll) add('length', 'all_ratio', (a, b) => ratio(a.all.tokens.length, b.all.tokens.length));

  add('price', 'ratio', (a, b) => (Number.isNaN(a.price) || Number.isNaN(b.price) ? 0 : ratio(a.price, b.price)));
  add('price', 'abs_log_diff', (a, b) => (Number.isNaN(a.price) || Number.isNaN(b.price) ? 0 : Math.abs(Math.log(a.price / b.price))));
  add('price', 'missing', (a, b) => (Number.isNaN(a.price) || Number.isNaN(b.price) ? 1 : 0));

  add('variant', 'one_side_count', (a, b) => variantDiff(a.title.tokenSet, b.title.tokenSet) + variantDiff(b.title.tokenSet, a.title.tokenSet));
  add('variant', 'platform_conflict', (a, b) => (platformConflict(a.all.tokenSet, b.all.tokenSet) ? 1 : 0));

  // Negative evidence of the similarity stage (distinctions.ts), counted by kind: what the
  // applications explain as "different product type / variant / series".
  add('distinction', 'type', (a, b) => distinctionsOf(a, b).filter((d) => d.kind === 'type').length);
  add('distinction', 'variant', (a, b) => distinctionsOf(a, b).filter((d) => d.kind === 'variant').length);
  add('distinction', 'series_or_line', (a, b) => distinctionsOf(a, b).filter((d) => d.dimension === 'series' || d.dimension === 'modelLine').length);
  add('distinction', 'colour', (a, b) => distinctionsOf(a, b).filter((d) => d.dimension === 'colour').length);

  add('dense', 'cosine', (a, b) => (a.dense && b.dense ? cosineSimilarity(a.dense, b.dense) : 0));
  add('dense', 'missing', (a, b) => (a.dense && b.dense ? 0 : 1));
  return defs;
}

const VARIANT_WORD_SET: ReadonlySet<string> = new Set(VARIANT_WORDS);

/** Variant words of `a` that `b` lacks. */
function variantDiff(a: Set<string>, b: Set<string>): number {
  let n = 0;
  for (const t of a) if (VARIANT_WORD_SET.has(t) && !b.has(t)) n++;
  return n;
}

function brandIn(brand: string, other: RecordRep): boolean {
  if (brand === '') return false;
  if (brand === other.brand) return true;
  const first = brand.split(/\s+/)[0]!;
  return other.all.tokenSet.has(first) || other.brand.split(/\s+/)[0] === first;
}

/** Rebuilds an extractor from saved state (a model file). */
export function createPairFeatureExtractor(state: PairFeatureState, analyzer: TextAnalyzer = createTextAnalyzer()): PairFeatureExtractor {
  const opts = state.options;
  const vocab = createPairVocabulary(state.vocabulary);
  const records = createRecordRepresenter(opts, vocab, analyzer);
  const defs = pairFeatureDefinitions(opts, vocab);
  const names = defs.map((d) => d.name);
  const groupOf = defs.map((d) => d.group);

  function featurize(pair: LabeledPair): Float64Array {
    const a = records.represent(pair.left);
    const b = records.represent(pair.right);
    const v = new Float64Array(defs.length);
    for (let i = 0; i < defs.length; i++) v[i] = defs[i]!.value(a, b);
    return v;
  }

  return {
    options: opts,
    names,
    groupOf,
    featurize,
    featurizeAll(pairs, onProgress) {
      const out: Float64Array[] = [];
      pairs.forEach((p, i) => {
        out.push(featurize(p));
        if (onProgress && (i % 256 === 255 || i === pairs.length - 1)) onProgress(i + 1, pairs.length);
      });
      return out;
    },
    setDenseLookup: (lookup) => records.setDenseLookup(lookup),
    toState: () => ({ options: opts, vocabulary: state.vocabulary }),
  };
}

function share(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}

/** Title words with a digit in `a` that `b` has neither as a word nor inside its text (`16gb` vs `16 gb` agree). */
function digitWordsMissing(a: RecordRep, b: RecordRep): number {
  let n = 0;
  for (const w of a.titleDigitWords) {
    if (b.all.tokenSet.has(w)) continue;
    const alnum = w.replace(/[^a-z0-9]/g, '');
    if (alnum.length >= 3 && b.allAlnum.includes(alnum)) continue;
    n++;
  }
  return n;
}

function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 0;
  let inter = 0;
  for (const t of a) if (b.has(t)) inter++;
  return inter / (a.size + b.size - inter);
}

function bigrams(tokens: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i + 1 < tokens.length; i++) out.add(`${tokens[i]} ${tokens[i + 1]}`);
  return out;
}

/** Share of a's tokens with a close token in b: equal, one a prefix (≥ 3 letters) of the other, or edit similarity ≥ 0.8. */
function softOverlap(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0) return 0;
  let hits = 0;
  for (const x of a) {
    for (const y of b) {
      if (x === y || (Math.min(x.length, y.length) >= 3 && (x.startsWith(y) || y.startsWith(x))) || (x.length >= 4 && Math.abs(x.length - y.length) <= 0.2 * Math.max(x.length, y.length) && levenshtein(x, y, Math.floor(0.2 * Math.max(x.length, y.length))) <= 0.2 * Math.max(x.length, y.length))) {
        hits++;
        break;
      }
    }
  }
  return hits / a.length;
}

function intersects(a: Set<string>, b: Set<string>): boolean {
  for (const t of a) if (b.has(t)) return true;
  return false;
}

function setDifferenceCount(a: Set<string>, b: Set<string>): number {
  let n = 0;
  for (const t of a) if (!b.has(t)) n++;
  return n;
}

function ratio(x: number, y: number): number {
  const hi = Math.max(x, y);
  return hi === 0 ? 0 : Math.min(x, y) / hi;
}

function codeInText(codes: readonly string[], text: string): boolean {
  return codes.some((c) => c.length >= 4 && text.includes(c));
}

function bestCodeSimilarity(a: readonly string[], b: readonly string[]): number {
  let best = 0;
  for (const x of a) for (const y of b) best = Math.max(best, editSimilarity(x, y));
  return best;
}

function codesPrefix(a: readonly string[], b: readonly string[]): boolean {
  for (const x of a) {
    for (const y of b) {
      const [s, l] = x.length <= y.length ? [x, y] : [y, x];
      if (s.length >= 4 && l.startsWith(s)) return true;
    }
  }
  return false;
}

/** A title's codes the other record names nowhere (not a code of it, not inside its text). */
function unmatchedTitleCodes(a: RecordRep, b: RecordRep): string[] {
  return a.titleCodes.filter((c) => !b.allCodes.has(c) && !(c.length >= 4 && b.allAlnum.includes(c)));
}

/** The edit similarity of the closest two codes each title names and the other lacks (0 when a side has none). */
function nearMissCodeSimilarity(a: RecordRep, b: RecordRep): number {
  return bestCodeSimilarity(unmatchedTitleCodes(a, b), unmatchedTitleCodes(b, a));
}

function codeConflict(a: RecordRep, b: RecordRep): number {
  if (a.titleCodes.length === 0 || b.titleCodes.length === 0) return 0;
  if (a.titleCodes.some((c) => b.allCodes.has(c)) || b.titleCodes.some((c) => a.allCodes.has(c))) return 0;
  if (codeInText(a.titleCodes, b.allAlnum) || codeInText(b.titleCodes, a.allAlnum)) return 0;
  if (codesPrefix(a.titleCodes, b.titleCodes)) return 0;
  return 1;
}

/** `a x b` with an optional unit after `a` (`29 x 2.4`, `27.5''x2.50`, `10cm×20cm`, `500g*2`). */
const DIMENSION = /(\d+(?:\.\d+)?)\s*(?:''|"|inch|in|mm|cm|m|g|kg|ml|l|gb|tb)?\s*[x×*]\s*(\d+(?:\.\d+)?)/g;

/**
 * The `a x b` sizes of a text, numbers canonical (`2.30` = `2.3`). Tyres, paper, screens, multipacks:
 * `29 x 2.3` vs `29 x 2.4` or `2x4gb` vs `1x8gb` are other products though every number but one is shared.
 */
function dimensionsOf(normalized: string): Set<string> {
  const out = new Set<string>();
  for (const m of normalized.matchAll(DIMENSION)) out.add(`${Number(m[1])}x${Number(m[2])}`);
  return out;
}

function mergeQuantities(a: Quantity[], b: readonly Quantity[]): Quantity[] {
  const seen = new Set(a.map((q) => `${q.unit}:${q.value}`));
  const out = [...a];
  for (const q of b) if (!seen.has(`${q.unit}:${q.value}`)) out.push(q);
  return out;
}

/** Per unit both sides mention: agree when some value is shared, conflict when none is. */
function quantityCompare(a: readonly Quantity[], b: readonly Quantity[]): { agree: number; conflict: number } {
  const byUnit = (qs: readonly Quantity[]) => {
    const m = new Map<string, Set<number>>();
    for (const q of qs) {
      const s = m.get(q.unit) ?? new Set<number>();
      s.add(q.value);
      m.set(q.unit, s);
    }
    return m;
  };
  const ma = byUnit(a);
  const mb = byUnit(b);
  let agree = 0;
  let conflict = 0;
  for (const [unit, va] of ma) {
    const vb = mb.get(unit);
    if (!vb) continue;
    let shared = false;
    for (const v of va) if (vb.has(v)) shared = true;
    if (shared) agree++;
    else conflict++;
  }
  return { agree, conflict };
}

function platformConflict(a: Set<string>, b: Set<string>): boolean {
  const has = (s: Set<string>, p: Set<string>) => [...p].some((t) => s.has(t));
  const aMac = has(a, PLATFORM_MAC);
  const aWin = has(a, PLATFORM_WIN);
  const bMac = has(b, PLATFORM_MAC);
  const bWin = has(b, PLATFORM_WIN);
  return (aMac && !aWin && bWin && !bMac) || (aWin && !aMac && bMac && !bWin);
}
