/**
 * Query–product features: what a learned ranker (LambdaMART) sees of one (query, product) pair.
 * Every feature is named `group.name` and computed from the query's analysis and vector and the
 * product's representation alone (never from where a retriever ranked it), so a pair scores the
 * same whether it was judged in a file or retrieved by a search.
 *
 * Groups: `bm25` (per field, IDF from the catalog's keyword index), `coverage` (query terms and
 * character n-grams found in the title), `phrase` (the query or its word pairs in order), `dense`
 * (cosines of the text space: combined, its pretrained GloVe + CC-CEDICT part, its catalog part),
 * `agree` (brand, category, colour, model number, quantity: +1 agrees, −1 conflicts, 0 unknown),
 * `product` (price, stock, title length) and `query` (length, so trees can condition on it).
 */
import { cosineSimilarity } from '../encoders/encoder.ts';
import { colourWords } from '../similarity/field-similarities/attributes.ts';
import { brandInTitle, brandKey } from '../similarity/field-similarities/brand.ts';
import { compareModelNumbers } from '../similarity/field-similarities/model-number.ts';
import type { ProductRepresentation } from '../similarity/representation.ts';
import type { AnalyzedText, Quantity } from '../text/analyzer.ts';
import { hanNgramTokens } from '../text/han-ngrams.ts';

/** Feature names in vector order. Changing this list changes the model format (saved rankers name theirs). */
export const QUERY_PRODUCT_FEATURES = [
  'bm25.title',
  'bm25.description',
  'bm25.all',
  'coverage.titleTerms',
  'coverage.titleIdf',
  'coverage.allTerms',
  'coverage.titleStems',
  'coverage.headTerm',
  'coverage.titleCharBigrams',
  'coverage.titleCharTrigrams',
  'coverage.titleChars',
  'phrase.titleExact',
  'phrase.titleBigrams',
  'phrase.descriptionBigrams',
  'dense.combined',
  'dense.wordVectors',
  'dense.catalogVectors',
  'agree.brand',
  'agree.category',
  'agree.colour',
  'agree.modelNumber',
  'agree.quantity',
  'product.logPrice',
  'product.inStock',
  'product.titleTokens',
  'query.tokens',
  'bm25.characters',
  'coverage.descriptionTerms',
  'coverage.brandTagsCategory',
  'coverage.evidence',
  'rerank.fields',
  'relative.bm25.title',
  'relative.coverage.titleCharBigrams',
  'relative.dense.combined',
  'relative.bm25.characters',
  'relative.coverage.evidence',
  'relative.rerank.fields',
] as const;
export type QueryProductFeature = (typeof QUERY_PRODUCT_FEATURES)[number];

/**
 * Features the tasks stage fills in (ranker-features.ts): they need what only it has, the search's
 * field reranker (`rerank.fields`: the query ↔ title profile of the default search) and its query
 * coverage of the product's own words (`coverage.evidence`, search-relevance.ts). 0 here.
 */
export const TASK_FILLED_FEATURES = ['coverage.evidence', 'rerank.fields'] as const satisfies readonly QueryProductFeature[];

/**
 * Features that compare a pair with the other candidates of its query (`name` minus the best value
 * among them): scales differ between queries (a long query has larger BM25 scores everywhere),
 * and the ranker only ever orders candidates of one query.
 */
export const RELATIVE_FEATURES = [
  ['relative.bm25.title', 'bm25.title'],
  ['relative.coverage.titleCharBigrams', 'coverage.titleCharBigrams'],
  ['relative.dense.combined', 'dense.combined'],
  ['relative.bm25.characters', 'bm25.characters'],
  ['relative.coverage.evidence', 'coverage.evidence'],
  ['relative.rerank.fields', 'rerank.fields'],
] as const satisfies readonly (readonly [QueryProductFeature, QueryProductFeature])[];

/** BM25 constants of the per-field scores (the keyword index's usual values). */
export const FEATURE_BM25 = Object.freeze({ k1: 1.2, b: 0.75 });

/** What the features know of the catalog: document frequencies (IDF) and mean field lengths (BM25 length normalisation). */
export interface RankingCorpusStatistics {
  documents: number;
  documentFrequency: ReadonlyMap<string, number>;
  /**
   * Mean tokens of a title / description / title + description in the catalog the ranker was trained
   * on; `characters`: mean character n-grams of a title (`hanNgramTokens`), absent in older models.
   */
  averageTokens: { title: number; description: number; all: number; characters?: number };
  /** The character n-gram index's statistics (Chinese words as character unigrams and bigrams); absent: `bm25.characters` is 0. */
  characters?: { documents: number; documentFrequency: ReadonlyMap<string, number> };
}

/** The query side of a pair: analysed once, encoded once. */
export interface RankingQuery {
  text: string;
  analyzed: AnalyzedText;
  /** The query's vector in the catalog's text space; undefined: dense features are 0. */
  vector: Float32Array | undefined;
}

export interface QueryFeatureOptions {
  /**
   * Width of the pretrained part (GloVe + CC-CEDICT SIF) at the start of a combined text-space
   * vector: the rest is the catalog-trained part. Undefined: both part cosines repeat the combined one.
   */
  pretrainedDimension: number | undefined;
}

function idfOf(stats: Pick<RankingCorpusStatistics, 'documents' | 'documentFrequency'>, term: string): number {
  const df = stats.documentFrequency.get(term) ?? 0;
  return Math.log(1 + (stats.documents - df + 0.5) / (df + 0.5));
}

const HAN_ONLY = /^\p{Script=Han}+$/u;

/** The character unigrams and bigrams of the query's Chinese words only (`hanNgramTokens` keeps Latin words, which `bm25.title` scores). */
export function queryCharacterGrams(tokens: readonly string[]): string[] {
  return hanNgramTokens(tokens.filter((t) => HAN_ONLY.test(t)));
}

function termCounts(tokens: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
  return counts;
}

function bm25(
  queryTerms: readonly string[],
  counts: ReadonlyMap<string, number>,
  length: number,
  averageLength: number,
  stats: Pick<RankingCorpusStatistics, 'documents' | 'documentFrequency'>,
): number {
  const { k1, b } = FEATURE_BM25;
  const norm = k1 * (1 - b + (b * length) / Math.max(1, averageLength));
  let s = 0;
  for (const t of queryTerms) {
    const f = counts.get(t) ?? 0;
    if (f > 0) s += (idfOf(stats, t) * f * (k1 + 1)) / (f + norm);
  }
  return s;
}

/** Letters and digits only, so `墙面 底漆` and `墙面底漆` give the same character n-grams. */
const compact = (s: string) => s.replace(/[^\p{L}\p{N}]+/gu, '');

/** A crude English stem (plural and possessive endings) so that `jars` meets `jar` and `women's` meets `women`. */
export function lightStem(token: string): string {
  if (!/^[a-z]+$/u.test(token) || token.length <= 3) return token.replace(/'s$/u, '');
  if (token.endsWith('ies') && token.length > 4) return `${token.slice(0, -3)}y`;
  if (/(sses|xes|ches|shes|zes)$/u.test(token)) return token.slice(0, -2);
  if (token.endsWith('s') && !token.endsWith('ss') && !token.endsWith('us')) return token.slice(0, -1);
  return token;
}

function charGrams(s: string, n: number): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i + n <= s.length; i++) out.add(s.slice(i, i + n));
  return out;
}

function shareFound<T>(wanted: ReadonlySet<T>, has: (x: T) => boolean): number {
  if (wanted.size === 0) return 0;
  let found = 0;
  for (const x of wanted) if (has(x)) found++;
  return found / wanted.size;
}

function adjacentPairs(tokens: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i + 1 < tokens.length; i++) out.add(`${tokens[i]} ${tokens[i + 1]}`);
  return out;
}

function partCosine(a: Float32Array, b: Float32Array, from: number, to: number): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = from; i < to; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

/** +1 when query and product share a colour, −1 when both name colours and none is shared, 0 otherwise. */
function colourAgreement(queryText: string, rep: ProductRepresentation): number {
  const wanted = colourWords(queryText);
  if (wanted.length === 0) return 0;
  const attributeColours = Object.entries(rep.product.attributes)
    .filter(([k]) => /colou?r|颜色/iu.test(k))
    .map(([, v]) => v);
  const has = new Set(colourWords([rep.product.title, ...attributeColours].join(' ')));
  if (has.size === 0) return 0;
  return wanted.some((c) => has.has(c)) ? 1 : -1;
}

/** +1 exact, 0.5 a partial code match (prefix, containment, one typo), −1 when both have codes and none relates, 0 when either has none. */
function modelNumberAgreement(query: readonly string[], product: readonly string[]): number {
  if (query.length === 0 || product.length === 0) return 0;
  let best = -1;
  for (const q of query) {
    for (const p of product) {
      const relation = compareModelNumbers(q, p).relation;
      if (relation === 'exact') return 1;
      if (relation === 'prefix' || relation === 'contains' || relation === 'spelling') best = Math.max(best, 0.5);
    }
  }
  return best;
}

/** Units measured on one scale (the analyzer keeps `l` and `ml` apart): unit → [base unit, factor]. */
const UNIT_SCALES: Readonly<Record<string, readonly [string, number]>> = {
  l: ['ml', 1000], kg: ['g', 1000], tb: ['gb', 1024], mb: ['gb', 1 / 1024], cm: ['mm', 10], m: ['mm', 1000], kw: ['w', 1000], ghz: ['hz', 1e9], mhz: ['hz', 1e6],
};
const onScale = (q: Quantity): [string, number] => {
  const s = UNIT_SCALES[q.unit];
  return s ? [s[0], q.value * s[1]] : [q.unit, q.value];
};

/** +1 when a query quantity equals one of the product's on the same scale (500ml = 0.5l), −1 when units match but no value does, 0 otherwise. */
export function quantityAgreement(query: readonly Quantity[], product: readonly Quantity[]): number {
  let sameUnit = false;
  for (const q of query.map(onScale)) {
    for (const p of product.map(onScale)) {
      if (q[0] !== p[0]) continue;
      if (Math.abs(q[1] - p[1]) <= 1e-9 * Math.max(1, Math.abs(q[1]))) return 1;
      sameUnit = true;
    }
  }
  return sameUnit ? -1 : 0;
}

const identityCanonical = (t: string) => t;

/** The feature vector of one (query, product) pair, in `QUERY_PRODUCT_FEATURES` order. */
export function queryProductFeatures(
  query: RankingQuery,
  rep: ProductRepresentation,
  stats: RankingCorpusStatistics,
  options: QueryFeatureOptions,
): Float64Array {
  const q = query.analyzed;
  const queryTerms = [...new Set(q.tokens)];
  const title = rep.text.title;
  const description = rep.text.description;
  const titleCounts = termCounts(title.tokens);
  const descriptionTokens = description?.tokens ?? [];
  const descriptionCounts = termCounts(descriptionTokens);
  const allCounts = new Map(titleCounts);
  for (const [t, c] of descriptionCounts) allCounts.set(t, (allCounts.get(t) ?? 0) + c);
  const p = rep.product;
  const extraTerms = new Set([...(p.brand ? [p.brand] : []), ...(p.category ? p.category.split(/[/>|]/u) : []), ...p.tags].flatMap((s) => s.toLowerCase().split(/\s+/u)));

  const wanted = new Set(queryTerms);
  const idfTotal = queryTerms.reduce((s, t) => s + idfOf(stats, t), 0);
  const idfFound = queryTerms.reduce((s, t) => s + (titleCounts.has(t) ? idfOf(stats, t) : 0), 0);
  const queryCompact = compact(q.normalized);
  const titleStems = new Set(title.tokens.map(lightStem));
  const lastToken = q.tokens[q.tokens.length - 1];
  const queryGrams = stats.characters ? [...new Set(queryCharacterGrams(q.tokens))] : [];
  const titleGrams = queryGrams.length > 0 ? hanNgramTokens(title.tokens) : [];
  const titleCompact = compact(title.normalized);

  let combined = 0;
  let wordVectors = 0;
  let catalogVectors = 0;
  const productVector = rep.dense.title;
  if (query.vector && productVector && query.vector.length === productVector.length) {
    combined = cosineSimilarity(query.vector, productVector);
    const split = options.pretrainedDimension;
    if (split !== undefined && split > 0 && split < productVector.length) {
      wordVectors = partCosine(query.vector, productVector, 0, split);
      catalogVectors = partCosine(query.vector, productVector, split, productVector.length);
    } else {
      wordVectors = combined;
      catalogVectors = combined;
    }
  }

  const brand = p.brand?.trim() ? (brandInTitle(p.brand, q.tokens, identityCanonical, 'a') ? 1 : 0) : 0;
  const categoryTerms = new Set((p.category ?? '').toLowerCase().split(/[/>|\s]+/u).filter(Boolean).map(brandKey));
  const category = shareFound(wanted, (t) => categoryTerms.has(brandKey(t)));
  const price = p.price !== undefined && p.price > 0 ? Math.log1p(p.price) : -1;
  const inStock = p.inStock === undefined ? 0.5 : p.inStock ? 1 : 0;

  const values: Record<QueryProductFeature, number> = {
    'bm25.title': bm25(queryTerms, titleCounts, title.tokens.length, stats.averageTokens.title, stats),
    'bm25.description': bm25(queryTerms, descriptionCounts, descriptionTokens.length, stats.averageTokens.description, stats),
    'bm25.all': bm25(queryTerms, allCounts, title.tokens.length + descriptionTokens.length, stats.averageTokens.all, stats),
    'coverage.titleTerms': shareFound(wanted, (t) => titleCounts.has(t)),
    'coverage.titleIdf': idfTotal > 0 ? idfFound / idfTotal : 0,
    'coverage.allTerms': shareFound(wanted, (t) => allCounts.has(t) || extraTerms.has(t)),
    'coverage.titleStems': shareFound(new Set(queryTerms.map(lightStem)), (t) => titleStems.has(t)),
    'coverage.headTerm': lastToken !== undefined && titleStems.has(lightStem(lastToken)) ? 1 : 0,
    'coverage.titleCharBigrams': shareFound(charGrams(queryCompact, 2), (g) => titleCompact.includes(g)),
    'coverage.titleCharTrigrams': shareFound(charGrams(queryCompact, 3), (g) => titleCompact.includes(g)),
    'coverage.titleChars': shareFound(charGrams(queryCompact, 1), (g) => titleCompact.includes(g)),
    'phrase.titleExact': queryCompact.length > 0 && titleCompact.includes(queryCompact) ? 1 : 0,
    'phrase.titleBigrams': shareFound(adjacentPairs(q.tokens), ((pairs) => (x: string) => pairs.has(x))(adjacentPairs(title.tokens))),
    'phrase.descriptionBigrams': shareFound(adjacentPairs(q.tokens), ((pairs) => (x: string) => pairs.has(x))(adjacentPairs(descriptionTokens))),
    'dense.combined': combined,
    'dense.wordVectors': wordVectors,
    'dense.catalogVectors': catalogVectors,
    'agree.brand': brand,
    'agree.category': category,
    'agree.colour': colourAgreement(q.normalized, rep),
    'agree.modelNumber': modelNumberAgreement(q.modelNumbers, [...title.modelNumbers, ...(description?.modelNumbers ?? [])]),
    'agree.quantity': quantityAgreement(q.quantities, title.quantities),
    'product.logPrice': price,
    'product.inStock': inStock,
    'product.titleTokens': title.tokens.length,
    'query.tokens': q.tokens.length,
    'bm25.characters':
      queryGrams.length > 0 && stats.characters
        ? bm25(queryGrams, termCounts(titleGrams), titleGrams.length, stats.averageTokens.characters ?? Math.max(1, titleGrams.length), stats.characters)
        : 0,
    'coverage.descriptionTerms': shareFound(wanted, (t) => descriptionCounts.has(t)),
    'coverage.brandTagsCategory': shareFound(wanted, (t) => extraTerms.has(t)),
    // Filled by the tasks stage (`TASK_FILLED_FEATURES`).
    'coverage.evidence': 0,
    'rerank.fields': 0,
    // Filled by `addRelativeFeatures`, which sees the query's other candidates.
    'relative.bm25.title': 0,
    'relative.coverage.titleCharBigrams': 0,
    'relative.dense.combined': 0,
    'relative.bm25.characters': 0,
    'relative.coverage.evidence': 0,
    'relative.rerank.fields': 0,
  };
  return Float64Array.from(QUERY_PRODUCT_FEATURES, (name) => values[name]);
}

const featureIndex = (name: QueryProductFeature) => QUERY_PRODUCT_FEATURES.indexOf(name);

/** Fills the `relative.*` features of one query's candidate rows in place: the value minus the best among the rows. */
export function addRelativeFeatures(rows: readonly Float64Array[]): void {
  for (const [relative, base] of RELATIVE_FEATURES) {
    const r = featureIndex(relative);
    const b = featureIndex(base);
    let best = Number.NEGATIVE_INFINITY;
    for (const row of rows) best = Math.max(best, row[b]!);
    for (const row of rows) row[r] = row[b]! - best;
  }
}
