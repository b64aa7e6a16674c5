/**
 * Combining pretrained and catalog-trained sentence vectors.
 *
 * `createCombinedEncoder` concatenates the L2-normalised outputs of several dense encoders, part i
 * scaled by √(w_i / Σw), and L2-normalises the result. With every part non-zero, the cosine of two
 * combined vectors is then exactly the weighted mean of the parts' cosines:
 *     cos(x, y) = Σ_i w_i · cos_i(x, y) / Σ_i w_i
 * so the weights read as "how much each view counts". A part that is zero for a text (no known
 * word) drops out of that text's vector, and the other parts carry it.
 *
 * Default weights for `createCatalogCombinedEncoder`: pretrained (GloVe + CEDICT) 0.5, catalog 0.5.
 */
import { createError, rejectUnknownKeys } from '../../errors.ts';
import { acceptsTokens, createIdHasher, type DenseEncoder, type WordVectors } from '../encoder.ts';
import type { TextAnalyzer } from '../../text/analyzer.ts';
import { createSifEncoder, type SifEncoder, type SifOptions } from '../glove/sif.ts';

export interface CombinedPart {
  /** Label shown in ids and explanations ('pretrained', 'catalog', …). */
  name: string;
  encoder: DenseEncoder<string>;
  weight: number;
}

export interface CombinedEncoder extends DenseEncoder<string> {
  readonly parts: readonly Readonly<CombinedPart>[];
  /** Normalised weights (sum 1), in part order. */
  readonly weights: readonly number[];
  /**
   * The tokeniser all parts share, when every part takes tokens (`TokenizedTextEncoder`) and those
   * that tokenise use the same analyser: a text is then segmented once, not once per part. A part
   * that takes tokens without an analyser of its own (a constant part) fits any.
   */
  readonly analyzer: TextAnalyzer | undefined;
  /** Defined when `analyzer` is: the parts' `encodeTokenized`, combined as `encode` combines them. */
  readonly encodeTokenized: ((batch: readonly (readonly string[])[]) => Promise<Float32Array[]>) | undefined;
}

/** A part that takes tokens but never reads text (its vectors do not depend on tokenisation). */
export interface TokenAgnosticPart extends DenseEncoder<string> {
  encodeTokenized(batch: readonly (readonly string[])[]): Promise<Float32Array[]>;
}

/** The analyser shared by all parts, or undefined when a part needs text or two analysers differ. */
function sharedAnalyzer(parts: readonly CombinedPart[]): TextAnalyzer | undefined {
  let shared: TextAnalyzer | undefined;
  for (const { encoder } of parts) {
    const e = encoder as Partial<TokenAgnosticPart> & { analyzer?: TextAnalyzer };
    if (typeof e.encodeTokenized !== 'function') return undefined;
    if (!acceptsTokens(encoder)) continue;
    if (shared !== undefined && shared !== encoder.analyzer) return undefined;
    shared = encoder.analyzer;
  }
  return shared;
}

export function createCombinedEncoder(parts: readonly CombinedPart[]): CombinedEncoder {
  if (parts.length === 0) throw createError('INVALID_ARGUMENT', 'createCombinedEncoder: at least one part is needed', { field: 'parts' });
  for (const p of parts) {
    rejectUnknownKeys(p, ['name', 'encoder', 'weight'], 'createCombinedEncoder part');
    if (!(p.weight >= 0)) throw createError('INVALID_ARGUMENT', `createCombinedEncoder: weight of "${p.name}" must be ≥ 0`, { field: 'weight', received: String(p.weight) });
  }
  const total = parts.reduce((s, p) => s + p.weight, 0);
  const idOf = createIdHasher('combined');
  if (!(total > 0)) throw createError('INVALID_ARGUMENT', 'createCombinedEncoder: weights sum to 0', { field: 'weight' });
  const weights = parts.map((p) => p.weight / total);
  const scales = weights.map((w) => Math.sqrt(w));
  const dimension = parts.reduce((s, p) => s + p.encoder.dimension, 0);
  const analyzer = sharedAnalyzer(parts);

  function combine(outs: readonly Float32Array[][], count: number): Float32Array[] {
    const vectors: Float32Array[] = [];
    for (let b = 0; b < count; b++) {
      const v = new Float32Array(dimension);
      let offset = 0;
      let norm = 0;
      parts.forEach((p, i) => {
        const part = outs[i]![b]!;
        if (part.length !== p.encoder.dimension) {
          throw createError('DIM_MISMATCH', `combined encoder part "${p.name}": expected ${p.encoder.dimension}, got ${part.length}`, { expected: String(p.encoder.dimension), received: String(part.length) });
        }
        let s = 0;
        for (let d = 0; d < part.length; d++) s += part[d]! * part[d]!;
        if (s > 0) {
          const f = scales[i]! / Math.sqrt(s);
          for (let d = 0; d < part.length; d++) v[offset + d] = part[d]! * f;
          norm += weights[i]!;
        }
        offset += p.encoder.dimension;
      });
      if (norm > 0 && norm < 1) {
        const f = 1 / Math.sqrt(norm);
        for (let d = 0; d < dimension; d++) v[d]! *= f;
      }
      vectors.push(v);
    }
    return vectors;
  }

  async function encodeTokenized(batch: readonly (readonly string[])[]): Promise<Float32Array[]> {
    const outs = await Promise.all(parts.map((p) => (p.encoder as unknown as TokenAgnosticPart).encodeTokenized(batch)));
    return combine(outs, batch.length);
  }

  return {
    kind: 'dense',
    // Parts' ids are live (a SIF encoder's id changes when it is fitted), so the id is computed.
    get id() {
      const desc = parts.map((p, i) => `${p.name}=${weights[i]!.toFixed(4)}:${p.encoder.id}`).join('|');
      return idOf(desc);
    },
    dimension,
    modality: 'text',
    normalized: true,
    parts,
    weights,
    analyzer,
    encodeTokenized: analyzer ? encodeTokenized : undefined,
    async encode(batch) {
      // Parts sharing a tokeniser see each text's tokens from one segmentation.
      if (analyzer) return encodeTokenized(batch.map((text) => analyzer.tokenize(text)));
      const outs = await Promise.all(parts.map((p) => p.encoder.encode(batch)));
      return combine(outs, batch.length);
    },
  };
}

/**
 * SIF's a for catalog-trained vectors. Their p(w) is the in-catalog frequency, where the words that
 * name a category are the frequent ones (dress in a dress shop): a = 1e-2 damps them less than the
 * general-text default 1e-3. Measured (bench/encoders.ts setup, same-category share of 10 nearest
 * neighbours): Taobao 0.605 → 0.637, fashion names 0.545 → 0.603 going from 1e-3 to 1e-2.
 */
export const CATALOG_SIF_A = 1e-2;

/** A SIF sentence encoder over catalog-trained word vectors (p(w) = catalog frequency). */
export function createCatalogSifEncoder(vectors: WordVectors, options: Partial<Omit<SifOptions, 'name'>> = {}): SifEncoder {
  // The vectors' own frequencies are the catalog's, so no separate prior blending is needed.
  return createSifEncoder(vectors, { name: 'catalog-sif', a: CATALOG_SIF_A, priorStrength: 0, ...options });
}

export interface CatalogCombinedOptions {
  /** Weight of the pretrained (GloVe + CEDICT) view. */
  pretrainedWeight: number;
  /** Weight of the catalog-trained view. */
  catalogWeight: number;
}

export const DEFAULT_CATALOG_COMBINED_OPTIONS = {
  pretrainedWeight: 0.5,
  catalogWeight: 0.5,
} as const satisfies CatalogCombinedOptions;

/** Pretrained sentence encoder ⊕ catalog sentence encoder, with explicit weights. */
export function createCatalogCombinedEncoder(
  pretrained: DenseEncoder<string>,
  catalog: DenseEncoder<string>,
  options: Partial<CatalogCombinedOptions> = {},
): CombinedEncoder {
  rejectUnknownKeys(options, Object.keys(DEFAULT_CATALOG_COMBINED_OPTIONS), 'createCatalogCombinedEncoder');
  const opts: CatalogCombinedOptions = { ...DEFAULT_CATALOG_COMBINED_OPTIONS, ...options };
  return createCombinedEncoder([
    { name: 'pretrained', encoder: pretrained, weight: opts.pretrainedWeight },
    { name: 'catalog', encoder: catalog, weight: opts.catalogWeight },
  ]);
}
