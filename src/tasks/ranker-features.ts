/**
 * The catalog's side of learned ranking: a query analysed and encoded in the catalog's text space,
 * the keyword index's document frequencies, and the features of (query, stored product) pairs,
 * computed the same way for training (`train-ranker.ts`) and for `search` with a ranker.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AnalyzedText } from '../text/analyzer.ts';
import { addRelativeFeatures, QUERY_PRODUCT_FEATURES, queryCharacterGrams, queryProductFeatures, type RankingCorpusStatistics, type RankingQuery } from '../learning/query-features.ts';
import { compareProducts } from '../similarity/fusion.ts';
import { representProduct } from '../similarity/representation.ts';
import { hanNgramTokens } from '../text/han-ngrams.ts';
import { QUERY_RERANK_PROFILE } from './query-rerank-profile.ts';
import { coverageQuery, productEvidenceText, queryCoverage } from './search-relevance.ts';
import { loadRankerModel, type RankerModel } from '../learning/ranker.ts';
import type { ProductRepresentation } from '../similarity/representation.ts';
import type { CatalogIndex } from './catalog-index.ts';

/** Width of the pretrained part of the catalog-aware encoder's vectors (see combined-encoder.ts), when the encoder is one. */
export function pretrainedDimension(index: CatalogIndex): number | undefined {
  const pretrained = (index.textEncoder as { pretrained?: { dimension?: unknown } }).pretrained;
  return typeof pretrained?.dimension === 'number' ? pretrained.dimension : undefined;
}

/** The query as the features see it; `analyzed` and `vector` are reused when the caller already has them. */
export async function rankingQuery(index: CatalogIndex, text: string, known: { analyzed?: AnalyzedText; vector?: Float32Array } = {}): Promise<RankingQuery> {
  const analyzed = known.analyzed ?? index.analyzer.analyze(text);
  const vector = known.vector ?? (await index.encodeText(text));
  return { text, analyzed, vector };
}

export async function corpusStatistics(index: CatalogIndex, query: RankingQuery, averageTokens: RankingCorpusStatistics['averageTokens']): Promise<RankingCorpusStatistics> {
  const grams = [...new Set(queryCharacterGrams(query.analyzed.tokens))];
  const characters = grams.length > 0 ? await index.characterDocumentFrequencies(grams) : undefined;
  return {
    documents: await index.keywordDocumentCount(),
    documentFrequency: await index.documentFrequencies([...new Set(query.analyzed.tokens)]),
    averageTokens,
    ...(characters ? { characters } : {}),
  };
}

/** Mean title, description and combined token counts of the given products (what BM25's length normalisation divides by). */
export function averageTokensOf(reps: Iterable<ProductRepresentation>): RankingCorpusStatistics['averageTokens'] {
  let n = 0;
  let title = 0;
  let description = 0;
  let characters = 0;
  for (const r of reps) {
    n++;
    title += r.text.title.tokens.length;
    description += r.text.description?.tokens.length ?? 0;
    characters += hanNgramTokens(r.text.title.tokens).length;
  }
  if (n === 0) return { title: 1, description: 1, all: 2, characters: 1 };
  return { title: title / n, description: description / n, all: (title + description) / n, characters: characters / n };
}

const FIELDS = QUERY_PRODUCT_FEATURES.indexOf('rerank.fields');
const EVIDENCE = QUERY_PRODUCT_FEATURES.indexOf('coverage.evidence');

/** Feature rows of one query against products (aligned with `reps`); `relative.*` features compare each with these products only. */
export async function rankingFeatures(
  index: CatalogIndex,
  query: RankingQuery,
  reps: readonly ProductRepresentation[],
  averageTokens: RankingCorpusStatistics['averageTokens'],
): Promise<Float64Array[]> {
  const stats = await corpusStatistics(index, query, averageTokens);
  const options = { pretrainedDimension: pretrainedDimension(index) };
  const rows = reps.map((rep) => queryProductFeatures(query, rep, stats, options));
  // The features only this stage can compute: the default search's field rerank score and query coverage.
  const queryRep = representProduct({ id: '<query>', title: query.text, tags: [], images: [], attributes: {} }, index.analyzer, {
    text: { title: query.analyzed },
    ...(query.vector ? { dense: { title: query.vector } } : {}),
  });
  const coverage = coverageQuery(query.analyzed.tokens, index.analyzer);
  reps.forEach((rep, i) => {
    const row = rows[i]!;
    row[FIELDS] = compareProducts(queryRep, rep, { profile: QUERY_RERANK_PROFILE }).score ?? 0;
    row[EVIDENCE] = queryCoverage(coverage, productEvidenceText(rep.product, index.analyzer, rep.text.title.tokens));
  });
  addRelativeFeatures(rows);
  return rows;
}

const loaded = new Map<string, { mtimeMs: number; model: RankerModel }>();

/** A ranker given by file (read once per modification) or as a model object. */
export function resolveRanker(ranker: string | RankerModel): RankerModel {
  if (typeof ranker !== 'string') return ranker;
  const file = resolve(ranker);
  let mtimeMs = -1;
  try {
    mtimeMs = statSync(file).mtimeMs;
  } catch {
    // loadRankerModel reports the missing file.
  }
  const cached = loaded.get(file);
  if (cached && cached.mtimeMs === mtimeMs) return cached.model;
  const model = loadRankerModel(file);
  loaded.set(file, { mtimeMs, model });
  return model;
}
