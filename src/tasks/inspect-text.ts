/**
 * Inspection of the text space for a piece of text: how it was analysed, how much each token
 * weighs (SIF), which words and which products lie nearest to its vector. For people tuning a
 * catalog ("why does 连衣裙 not find dresses?"), not for serving.
 */
import type { GloveEncoder } from '../encoders/glove/glove-encoder.ts';
import type { CatalogIndex } from './catalog-index.ts';
import { DEFAULT_K, summarizeProduct, type ProductSummary } from './result-item.ts';

export interface TextInspection {
  text: string;
  encoderId: string;
  dimension: number;
  tokens: { token: string; weight: number | undefined; hasVector: boolean | undefined }[];
  modelNumbers: string[];
  /** Zero when no token of the text has a vector. */
  norm: number;
  nearestWords: { word: string; similarity: number }[];
  nearestProducts: { product: ProductSummary; similarity: number }[];
}

/** The GloVe SIF encoder itself, or the pretrained half of the default combined text space. */
function asGlove(encoder: CatalogIndex['textEncoder']): GloveEncoder | undefined {
  const isGlove = (e: unknown): e is GloveEncoder => {
    const g = e as Partial<GloveEncoder> | undefined;
    return typeof g?.weight === 'function' && g.glove !== undefined && g.wordVectors !== undefined;
  };
  if (isGlove(encoder)) return encoder;
  const pretrained = (encoder as { pretrained?: unknown }).pretrained;
  return isGlove(pretrained) ? pretrained : undefined;
}

export async function inspectText(index: CatalogIndex, text: string, k = DEFAULT_K): Promise<TextInspection> {
  const analyzed = index.analyzer.analyze(text);
  const vector = await index.encodeText(text);
  let norm = 0;
  for (const x of vector) norm += x * x;
  norm = Math.sqrt(norm);
  const glove = asGlove(index.textEncoder);
  const nearestProducts = norm > 0 && (await index.store.count()) > 0 ? await index.nearest(vector, k) : [];
  const nearestStored = await index.store.getProducts(nearestProducts.map((h) => h.id));
  const storedById = new Map(nearestStored.map((s) => [s.product.id, s]));
  // The combined text space's vector joins the pretrained and catalog parts (twice GloVe's
  // dimension): nearest words are looked up with the pretrained part's own vector of the text.
  const wordQuery = glove && vector.length !== glove.glove.dimension ? (await glove.encode([text]))[0]! : vector;
  return {
    text,
    encoderId: index.textEncoder.id,
    dimension: vector.length,
    tokens: analyzed.tokens.map((token) => ({
      token,
      weight: glove?.weight(token),
      hasVector: glove ? glove.wordVectors.vector(token) !== undefined : undefined,
    })),
    modelNumbers: analyzed.modelNumbers,
    norm,
    nearestWords: glove && norm > 0 && wordQuery.some((x) => x !== 0) ? glove.glove.nearestWords(wordQuery, k, { maxRank: 100_000 }).map((w) => ({ word: w.word, similarity: w.similarity })) : [],
    nearestProducts: nearestProducts.flatMap((h) => {
      const p = storedById.get(h.id)?.product;
      return p ? [{ product: summarizeProduct(p), similarity: h.similarity }] : [];
    }),
  };
}
