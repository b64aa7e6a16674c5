/**
 * What the similarity stage needs to know about one product. The similarity core never reads the
 * store or calls an encoder: whoever compares products (store, tasks, tests) builds this object
 * once per product and passes it in.
 */
import type { Product } from '../catalog/product.ts';
import type { AnalyzedText, TextAnalyzer } from '../text/analyzer.ts';
import type { SparseVector } from '../encoders/encoder.ts';

/** A 64-bit perceptual hash as a bigint or a hex string (`'f0e1…'`, 16 hex digits for 64 bits). */
export type ImageHash = bigint | string;

export interface ImageFeatures {
  /** Colour histogram, any binning, same binning on both sides; compared by histogram intersection. */
  histogram?: Float32Array;
  /** Names the histogram's binning (`histogramSpace` of the image features); other spaces are not compared. */
  histogramSpace?: string;
  /** DCT perceptual hash. */
  phash?: ImageHash;
  /** Difference hash. */
  dhash?: ImageHash;
  /** Image embedding (e.g. CLIP); also accepted as `dense.image`. */
  embedding?: Float32Array;
}

export interface ProductRepresentation {
  product: Product;
  text: {
    title: AnalyzedText;
    description?: AnalyzedText;
  };
  /**
   * Dense vectors keyed by field (`title`, `description`, `image`) or by `field:encoderId`
   * (`title:bge-small-zh`). Field similarities look up the key they are configured with.
   */
  dense: Record<string, Float32Array>;
  /** Sparse vectors (BM25 / tf-idf weights…), keyed like `dense`. */
  sparse: Record<string, SparseVector>;
  image?: ImageFeatures;
}

/** Conventional keys the default field similarities read. */
export const REPRESENTATION_KEYS = Object.freeze({
  titleDense: 'title',
  descriptionDense: 'description',
  titleSparse: 'title',
  descriptionSparse: 'description',
  imageDense: 'image',
});

export interface RepresentationExtras {
  /** The title's (and description's) analysis when already known (kept by the store): not analysed again. */
  text?: ProductRepresentation['text'];
  dense?: Record<string, Float32Array>;
  sparse?: Record<string, SparseVector>;
  image?: ImageFeatures;
}

/** Analyses title and description with the given analyzer (unless given) and attaches precomputed vectors. */
export function representProduct(product: Product, analyzer: TextAnalyzer, extras: RepresentationExtras = {}): ProductRepresentation {
  const description = extras.text ? extras.text.description : product.description?.trim() ? analyzer.analyze(product.description) : undefined;
  return {
    product,
    text: { title: extras.text?.title ?? analyzer.analyze(product.title), ...(description ? { description } : {}) },
    dense: { ...(extras.dense ?? {}) },
    sparse: { ...(extras.sparse ?? {}) },
    ...(extras.image ? { image: extras.image } : {}),
  };
}
