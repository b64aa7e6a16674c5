/**
 * Catalog statistics: in how many products of the user's catalog each title word, title character
 * 3-gram and model number occurs. Without labels this is what tells informative evidence from
 * common evidence: two titles sharing "adobe photoshop" say less than two sharing "ln46a850", and
 * a code such as `cs3` carried by hundreds of products (every Creative Suite 3 box) is not the
 * product's own model number.
 *
 * The similarity stage never reads the store: whoever owns the catalog (the tasks stage's catalog
 * index, an evaluation) builds the statistics from its products (`catalogDocument`), keeps them up
 * to date (`add` / `remove` on ingest) and passes them to `compareProducts` (`catalog`). Profiles
 * with `weighByCatalog` (`sameProduct`) then use them: the product's text (title, brand, attribute
 * values) as one TF-IDF cosine (`catalogTextSimilarity`) and model-number evidence weighed by how
 * specific the code is (`modelNumberSpecificity`).
 */
import { brandKey, createBrandTokenCanonicalizer, normalizeBrand, PLACEHOLDER_BRAND_KEYS } from './field-similarities/brand.ts';
import { canonicalModelNumber } from './field-similarities/model-number.ts';
import { lazyEvidence, memoizeByObject, round, type FieldEvidence, type FieldSimilarity } from './field-similarities/types.ts';
import { representationModelNumbers } from './fields.ts';
import type { ProductRepresentation } from './representation.ts';

/** Character n-gram length of the text's character TF-IDF (as the TF-IDF floor: `learning/baseline.ts`). */
export const CATALOG_CHAR_NGRAM = 3;
/** Codes shorter than this, or without a digit, are not counted (as `modelNumber` ignores them). */
export const CATALOG_MIN_CODE_LENGTH = 3;
/**
 * A code carried by at most this many products is fully specific: two shops' listings of one item.
 * Above it the code's evidence weighs √(limit / products): 4 → 0.71, 50 → 0.2, 300 → 0.08.
 */
export const SPECIFIC_CODE_PRODUCTS = 2;

/**
 * What one product adds to the statistics: the distinct words of its text (title words, the brand,
 * attribute values: `catalogTextTerms`) and their character 3-grams, model numbers, attribute values
 * and their character 3-grams.
 */
export interface CatalogDocument {
  readonly words: readonly string[];
  readonly grams: readonly string[];
  readonly codes: readonly string[];
  readonly values: readonly string[];
  readonly valueGrams: readonly string[];
}

export interface CatalogStatistics {
  /** Products counted. */
  readonly documentCount: number;
  /** Changes with every `add` / `remove`: cached vectors built with an older version are rebuilt. */
  readonly version: number;
  /** Products whose text (title, brand, attribute values) has the word. */
  wordFrequency: (word: string) => number;
  gramFrequency: (gram: string) => number;
  /** Products carrying the (canonical) model number. */
  codeFrequency: (code: string) => number;
  /** Products with an attribute of this (normalised) value, whatever the key. */
  valueFrequency: (value: string) => number;
  valueGramFrequency: (gram: string) => number;
}

export interface MutableCatalogStatistics extends CatalogStatistics {
  add(document: CatalogDocument): void;
  remove(document: CatalogDocument): void;
}

const canonicalToken = createBrandTokenCanonicalizer();

/** Title tokens as compared: brand names in one form (苹果 and apple count as one word). */
export function catalogTitleWords(tokens: readonly string[]): string[] {
  return tokens.map(canonicalToken);
}

/** Character n-grams of the words joined by spaces, with a space at each end (` ab`, `abc`, `bc `). */
export function characterGrams(words: readonly string[], n = CATALOG_CHAR_NGRAM): string[] {
  const s = ` ${words.join(' ')} `;
  const out: string[] = [];
  for (let i = 0; i + n <= s.length; i++) out.push(s.slice(i, i + n));
  return out;
}

/** Canonical codes worth counting (`DSC-W120/P` → `dscw120p`; `cs3` kept, `x` and `abc` not). */
export function countableModelNumbers(codes: readonly string[]): string[] {
  return [...new Set(codes.map(canonicalModelNumber).filter((c) => [...c].length >= CATALOG_MIN_CODE_LENGTH && /\p{N}/u.test(c)))];
}

const NO_ATTRIBUTES: Readonly<Record<string, string>> = Object.freeze({});

/** Values that say nothing (`other/其他`, `无`, `不详`): not compared. */
const PLACEHOLDER_VALUE = /^(?:other|others|其他|其它|other\/其他|other其他|无|不详|未知|n\/a|none|null|-)$/u;

/**
 * Attribute values as terms, whatever their keys (shops name keys differently: 颜色 / 颜色分类):
 * NFKC, lower case, split at list separators (`黑色,白色`, `棉/麻`); placeholders left out. A
 * value is one term: `2019年夏季`, `a字裙`, `wsb190415403` are categories, not sentences.
 */
export const attributeValueTerms: (attributes: Readonly<Record<string, string>>) => string[] = memoizeByObject((attributes: Readonly<Record<string, string>>) => {
  const out: string[] = [];
  for (const v of Object.values(attributes)) {
    for (const part of v.normalize('NFKC').toLowerCase().split(/[,，;；、|/]+/u)) {
      const t = part.trim().replace(/\s+/gu, ' ');
      if (t.length > 0 && !PLACEHOLDER_VALUE.test(t)) out.push(t);
    }
  }
  return out;
});

/**
 * The brand's words as words of the text (`Computer Associates` → `computer`, `associates`; `苹果` →
 * `apple`), so they meet the other shop's title words; none for a placeholder (`other/其他`).
 */
function brandTerms(brand: string | undefined): string[] {
  if (brand === undefined || PLACEHOLDER_BRAND_KEYS.has(brandKey(brand))) return [];
  return normalizeBrand(brand)
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0)
    .map(canonicalToken);
}

/**
 * The words of a product's text as one document: title words (brand names in one form), the brand,
 * attribute values (`attributeValueTerms`). A shop may put the brand or the 货号 in the title, in
 * the brand field or in an attribute; in one document they meet wherever each shop put them.
 */
export function catalogTextTerms(titleTokens: readonly string[], brand: string | undefined, attributes: Readonly<Record<string, string>>): string[] {
  return [...catalogTitleWords(titleTokens), ...brandTerms(brand), ...attributeValueTerms(attributes)];
}

/** A product's document from its analysed title tokens, model numbers, attributes and brand (what the store keeps). */
export function catalogDocumentFromParts(
  titleTokens: readonly string[],
  modelNumbers: readonly string[],
  attributes: Readonly<Record<string, string>> = NO_ATTRIBUTES,
  brand?: string,
): CatalogDocument {
  const words = catalogTextTerms(titleTokens, brand, attributes);
  const values = attributeValueTerms(attributes);
  return {
    words: [...new Set(words)],
    grams: [...new Set(characterGrams(words))],
    codes: countableModelNumbers(modelNumbers),
    values: [...new Set(values)],
    valueGrams: [...new Set(characterGrams(values))],
  };
}

/** A representation's document (title tokens, brand, attribute values; codes from title, description and model attributes). */
export const catalogDocument: (r: ProductRepresentation) => CatalogDocument = memoizeByObject((r) =>
  catalogDocumentFromParts(r.text.title.tokens, representationModelNumbers(r), r.product.attributes ?? NO_ATTRIBUTES, r.product.brand),
);

/** `catalogTextTerms` of a representation. */
const representationTextTerms: (r: ProductRepresentation) => string[] = memoizeByObject((r) =>
  catalogTextTerms(r.text.title.tokens, r.product.brand, r.product.attributes ?? NO_ATTRIBUTES),
);

export function createCatalogStatistics(documents: Iterable<CatalogDocument> = []): MutableCatalogStatistics {
  const words = new Map<string, number>();
  const grams = new Map<string, number>();
  const codes = new Map<string, number>();
  const values = new Map<string, number>();
  const valueGrams = new Map<string, number>();
  let documentCount = 0;
  let version = 0;
  const change = (map: Map<string, number>, keys: readonly string[], by: number): void => {
    for (const k of keys) {
      const v = (map.get(k) ?? 0) + by;
      if (v > 0) map.set(k, v);
      else map.delete(k);
    }
  };
  const stats: MutableCatalogStatistics = {
    get documentCount() {
      return documentCount;
    },
    get version() {
      return version;
    },
    wordFrequency: (w) => words.get(w) ?? 0,
    gramFrequency: (g) => grams.get(g) ?? 0,
    codeFrequency: (c) => codes.get(c) ?? 0,
    valueFrequency: (v) => values.get(v) ?? 0,
    valueGramFrequency: (g) => valueGrams.get(g) ?? 0,
    add(d) {
      change(words, d.words, 1);
      change(grams, d.grams, 1);
      change(codes, d.codes, 1);
      change(values, d.values, 1);
      change(valueGrams, d.valueGrams, 1);
      documentCount++;
      version++;
    },
    remove(d) {
      change(words, d.words, -1);
      change(grams, d.grams, -1);
      change(codes, d.codes, -1);
      change(values, d.values, -1);
      change(valueGrams, d.valueGrams, -1);
      documentCount = Math.max(0, documentCount - 1);
      version++;
    },
  };
  for (const d of documents) stats.add(d);
  return stats;
}

/** Statistics of the given products (an evaluation's records, a catalog held in memory). */
export function catalogStatisticsOf(products: Iterable<ProductRepresentation>): MutableCatalogStatistics {
  const docs: CatalogDocument[] = [];
  for (const r of products) docs.push(catalogDocument(r));
  return createCatalogStatistics(docs);
}

/** Smoothed inverse document frequency, as the TF-IDF floor: ln((N + 1) / (df + 1)) + 1. */
export function inverseDocumentFrequency(df: number, documentCount: number): number {
  return Math.log((documentCount + 1) / (df + 1)) + 1;
}

/**
 * How much an exact or partial match of this code is worth, in (0, 1]: 1 for a code at most
 * `SPECIFIC_CODE_PRODUCTS` products carry, √(limit / products) above (see the constant).
 */
export function modelNumberSpecificity(code: string, catalog: CatalogStatistics): number {
  const df = catalog.codeFrequency(canonicalModelNumber(code));
  return df <= SPECIFIC_CODE_PRODUCTS ? 1 : Math.sqrt(SPECIFIC_CODE_PRODUCTS / df);
}

/** A unit-length TF-IDF vector as a term → weight map. */
type TermVector = Map<string, number>;

function tfidfVector(terms: readonly string[], df: (t: string) => number, n: number): TermVector {
  const tf = new Map<string, number>();
  for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + 1);
  const out: TermVector = new Map();
  let norm = 0;
  for (const [t, c] of tf) {
    const w = (1 + Math.log(c)) * inverseDocumentFrequency(df(t), n);
    out.set(t, w);
    norm += w * w;
  }
  const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (const [t, w] of out) out.set(t, w * inv);
  return out;
}

function dot(a: TermVector, b: TermVector): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let s = 0;
  for (const [t, w] of small) {
    const v = large.get(t);
    if (v !== undefined) s += w * v;
  }
  return Math.min(1, s);
}

interface TextVectors {
  catalog: CatalogStatistics;
  version: number;
  words: TermVector;
  grams: TermVector;
}

const textVectorCache = new WeakMap<ProductRepresentation, TextVectors>();

/** The text's word and character TF-IDF vectors under the catalog's current statistics (kept per representation). */
function textVectors(r: ProductRepresentation, catalog: CatalogStatistics): TextVectors {
  const hit = textVectorCache.get(r);
  if (hit && hit.catalog === catalog && hit.version === catalog.version) return hit;
  const words = representationTextTerms(r);
  const n = catalog.documentCount;
  const v: TextVectors = {
    catalog,
    version: catalog.version,
    words: tfidfVector(words, catalog.wordFrequency, n),
    grams: tfidfVector(characterGrams(words), catalog.gramFrequency, n),
  };
  textVectorCache.set(r, v);
  return v;
}

interface ValueVectors {
  catalog: CatalogStatistics;
  version: number;
  values: TermVector;
  grams: TermVector;
}

const valueVectorCache = new WeakMap<ProductRepresentation, ValueVectors>();

function valueVectors(r: ProductRepresentation, catalog: CatalogStatistics): ValueVectors {
  const hit = valueVectorCache.get(r);
  if (hit && hit.catalog === catalog && hit.version === catalog.version) return hit;
  const values = attributeValueTerms(r.product.attributes ?? NO_ATTRIBUTES);
  const n = catalog.documentCount;
  const v: ValueVectors = {
    catalog,
    version: catalog.version,
    values: tfidfVector(values, catalog.valueFrequency, n),
    grams: tfidfVector(characterGrams(values), catalog.valueGramFrequency, n),
  };
  valueVectorCache.set(r, v);
  return v;
}

export interface CatalogAttributeValuesEvidence extends FieldEvidence {
  measure: 'catalogTfidf';
  valueCosine: number;
  characterCosine: number;
  /** Shared values, rarest in the catalog first. */
  matchedValues: string[];
}

/**
 * Attribute values weighed by the catalog: the mean of the value and character 3-gram TF-IDF
 * cosines over all values, whatever their keys. A shared rare value (a 货号, a brand, a fabric
 * blend) counts much, a value half the catalog has (`常规`, `2019年夏季`) little; values under
 * differently named keys still meet. `undefined` when either product has no attribute value.
 */
export function catalogAttributeValuesSimilarity(
  a: ProductRepresentation,
  b: ProductRepresentation,
  catalog: CatalogStatistics,
): FieldSimilarity<CatalogAttributeValuesEvidence> | undefined {
  if (attributeValueTerms(a.product.attributes ?? NO_ATTRIBUTES).length === 0 || attributeValueTerms(b.product.attributes ?? NO_ATTRIBUTES).length === 0) return undefined;
  const va = valueVectors(a, catalog);
  const vb = valueVectors(b, catalog);
  const valueCosine = dot(va.values, vb.values);
  const characterCosine = dot(va.grams, vb.grams);
  return lazyEvidence((valueCosine + characterCosine) / 2, () => {
    const matched = [...va.values.keys()].filter((t) => vb.values.has(t));
    matched.sort((x, y) => catalog.valueFrequency(x) - catalog.valueFrequency(y));
    return {
      summary: `catalog TF-IDF of attribute values: values ${round(valueCosine, 3)}, characters ${round(characterCosine, 3)}; ${matched.length > 0 ? `shared ${matched.slice(0, 8).join(', ')}` : 'no value in common'}`,
      measure: 'catalogTfidf',
      valueCosine,
      characterCosine,
      matchedValues: matched,
    };
  });
}

/**
 * The `attributes` field under catalog weighing: the score is `catalogAttributeValuesSimilarity`
 * (key agreement treats `袖型: 常规` like a rare 货号, and misses values under other keys); the
 * evidence keeps the key-by-key agreement's comparisons, so colour and capacity conflicts are
 * still found. Falls back to the agreement when either product has no usable value.
 */
export function catalogAttributesSimilarity(
  a: ProductRepresentation,
  b: ProductRepresentation,
  catalog: CatalogStatistics,
  agreement: FieldSimilarity | undefined,
): FieldSimilarity | undefined {
  const values = catalogAttributeValuesSimilarity(a, b, catalog);
  if (values === undefined || agreement === undefined) return values ?? agreement;
  return lazyEvidence(values.score, () => {
    const v = values.evidence;
    const k = agreement.evidence;
    return { ...k, summary: `${v.summary}; by key: ${k.summary}`, measure: 'catalogTfidf', keyAgreement: agreement.score, valueCosine: v.valueCosine, characterCosine: v.characterCosine, matchedValues: v.matchedValues };
  });
}

export interface CatalogTextEvidence extends FieldEvidence {
  measure: 'catalogTfidf';
  wordCosine: number;
  characterCosine: number;
  /** Shared words, most informative (rarest in the catalog) first. */
  matchedTokens: string[];
  onlyA: string[];
  onlyB: string[];
}

/**
 * Text similarity weighed by the catalog: title words, brand and attribute values as one document
 * (`catalogTextTerms`), the mean of its word and character 3-gram TF-IDF cosines, IDF from the
 * catalog. Words many products share count little, rare ones much; the character part catches
 * spellings the tokeniser splits differently (`ln46a850` / `LN-46A850`, 连衣裙 / 连衣). This is the
 * TF-IDF floor's comparison (`learning/baseline.ts`: all of a record's text as one document), so the
 * fused score starts from what the floor sees. `undefined` when either title has no token.
 */
export function catalogTextSimilarity(a: ProductRepresentation, b: ProductRepresentation, catalog: CatalogStatistics): FieldSimilarity<CatalogTextEvidence> | undefined {
  if (a.text.title.tokens.length === 0 || b.text.title.tokens.length === 0) return undefined;
  const va = textVectors(a, catalog);
  const vb = textVectors(b, catalog);
  const wordCosine = dot(va.words, vb.words);
  const characterCosine = dot(va.grams, vb.grams);
  const score = (wordCosine + characterCosine) / 2;
  return lazyEvidence(score, () => {
    const matched = [...va.words.keys()].filter((t) => vb.words.has(t));
    matched.sort((x, y) => catalog.wordFrequency(x) - catalog.wordFrequency(y));
    const shown = matched.length > 0 ? `matched ${matched.slice(0, 12).map((t) => `${t}(${catalog.wordFrequency(t)})`).join(' ')}${matched.length > 12 ? ' …' : ''}` : 'no word in common';
    return {
      summary: `catalog TF-IDF of title, brand and attribute values: words ${round(wordCosine, 3)}, characters ${round(characterCosine, 3)} over ${catalog.documentCount} products; ${shown}`,
      measure: 'catalogTfidf',
      wordCosine,
      characterCosine,
      matchedTokens: matched,
      onlyA: [...va.words.keys()].filter((t) => !vb.words.has(t)),
      onlyB: [...vb.words.keys()].filter((t) => !va.words.has(t)),
    };
  });
}
