/**
 * The pretrained text encoder: GloVe word vectors for English tokens, CC-CEDICT-bridged GloVe
 * vectors for Chinese tokens (same space), combined into a sentence vector with SIF.
 */
import { rejectUnknownKeys } from '../../errors.ts';
import type { WordVectors } from '../encoder.ts';
import type { TextAnalyzer } from '../../text/analyzer.ts';
import { createCedictBridge, loadCedictGlossTable, type CedictBridge, type CedictBridgeOptions } from '../cedict/cedict-bridge.ts';
import { DEFAULT_GLOVE_OPTIONS, loadGloveVectors, type GloveStorage, type GloveVectors } from './glove-vectors.ts';
import { createSifEncoder, DEFAULT_SIF_OPTIONS, type SifEncoder } from './sif.ts';

const HAN = /\p{Script=Han}/u;

/** English tokens go to GloVe, tokens with Chinese characters through the CEDICT bridge. */
export function createBilingualWordVectors(glove: GloveVectors, bridge: CedictBridge | undefined): WordVectors {
  return {
    id: bridge ? `${bridge.id}` : glove.id,
    dimension: glove.dimension,
    vector: (word) => (HAN.test(word) ? bridge?.vector(word) : glove.vector(word)),
    probability: (word) => (HAN.test(word) ? bridge?.probability(word) : glove.probability(word)),
  };
}

export interface GloveEncoderOptions {
  cacheDir: string;
  storage: GloveStorage;
  /** SIF a (see sif.ts). */
  a: number;
  /** Map Chinese tokens through CC-CEDICT into the GloVe space. */
  chinese: boolean;
  cedict: Partial<CedictBridgeOptions>;
  analyzer: TextAnalyzer | undefined;
  /** Blend catalog token frequencies into SIF's p(w) on `fit` (see sif.ts; off by default). */
  catalogFrequencies: boolean;
  /** Catalog tokens at which catalog frequencies weigh as much as the prior (see sif.ts). */
  priorStrength: number;
}

export const DEFAULT_GLOVE_ENCODER_OPTIONS = {
  cacheDir: DEFAULT_GLOVE_OPTIONS.cacheDir,
  storage: DEFAULT_GLOVE_OPTIONS.storage,
  a: DEFAULT_SIF_OPTIONS.a,
  chinese: true,
  cedict: {},
  analyzer: undefined,
  catalogFrequencies: DEFAULT_SIF_OPTIONS.catalogFrequencies,
  priorStrength: DEFAULT_SIF_OPTIONS.priorStrength,
} as const satisfies GloveEncoderOptions;

export interface GloveEncoder extends SifEncoder {
  readonly glove: GloveVectors;
  readonly bridge: CedictBridge | undefined;
}

/**
 * `await createGloveEncoder({ cacheDir })` → a 100-d dense text encoder (id `glove-sif(...)`); call
 * `fit(catalogTexts)` to remove the catalog's common component (and, with `catalogFrequencies`,
 * to learn its word frequencies). The first call
 * on a machine converts GloVe (~10 s) and extracts CEDICT glosses (~7 s) into `cacheDir`; later
 * calls load both in well under a second.
 */
export async function createGloveEncoder(options: Partial<GloveEncoderOptions> = {}): Promise<GloveEncoder> {
  rejectUnknownKeys(options, Object.keys(DEFAULT_GLOVE_ENCODER_OPTIONS), 'createGloveEncoder');
  const opts: GloveEncoderOptions = { ...DEFAULT_GLOVE_ENCODER_OPTIONS, ...options };
  const glove = loadGloveVectors({ cacheDir: opts.cacheDir, storage: opts.storage });
  const bridge = opts.chinese ? createCedictBridge(glove, await loadCedictGlossTable({ cacheDir: opts.cacheDir }), opts.cedict) : undefined;
  const words = createBilingualWordVectors(glove, bridge);
  const sif = createSifEncoder(words, {
    a: opts.a,
    analyzer: opts.analyzer,
    catalogFrequencies: opts.catalogFrequencies,
    priorStrength: opts.priorStrength,
    name: 'glove-sif',
  });
  // Keep SIF's getters (id, a, components) live by extending the object rather than spreading it.
  return Object.assign(sif, { glove, bridge });
}
