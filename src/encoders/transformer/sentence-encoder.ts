/**
 * Sentence embeddings from a BERT-like ONNX model through transformers.js (AutoTokenizer +
 * AutoModel, pooled here rather than by the feature-extraction pipeline so `maxLength` truncation
 * and mask-aware pooling are ours and visible).
 *
 * The model is loaded lazily on the first `encode` (or an explicit `load()`), so creating an encoder
 * is cheap and the optional package is only needed when it is used. The dimension comes from the
 * model's config.json (`hidden_size`), read synchronously at creation.
 */
import { basename } from 'node:path';
import { createError, rejectUnknownKeys } from '../../errors.ts';
import { DEFAULT_BATCH_SIZE, assertDimension, l2normalize, type DenseEncoder } from '../encoder.ts';
import { poolRow, type Pooling } from './pooling.ts';
import {
  configHiddenSize,
  effectiveMaxLength,
  lazyModel,
  modelFingerprint,
  onnxFileName,
  positiveInt,
  readModelConfig,
  resolveDtype,
  resolveModelLocation,
  shortHash,
  type ModelDtype,
  type TjsModel,
  restoreTruncatedSuffix,
  type LoadedModel,
} from './runtime.ts';

export interface TransformerEncoderOptions {
  /** A local model folder (`config.json`, tokenizer files, `onnx/model*.onnx`) or a hub id. */
  model: string;
  /** 'mean' (sentence-transformers models such as all-MiniLM) or 'cls' (bge). */
  pooling: Pooling;
  /** L2-normalise the pooled vectors (the DenseEncoder default; needed for cosine = dot). */
  normalize: boolean;
  /** Which ONNX weights: fp32 → onnx/model.onnx, q8 → onnx/model_quantized.onnx, … */
  dtype: ModelDtype;
  /** Shorthand for dtype: true → 'q8', false → 'fp32'. Conflicting with an explicit dtype is an error. */
  quantized?: boolean;
  /** Never reach for the network (default true: our machines have no model hub). */
  localFilesOnly: boolean;
  /** Where transformers.js caches hub downloads (per-call `cache_dir`, not the global env). */
  cacheDir?: string;
  batchSize: number;
  /** Token limit per text (truncated beyond); capped by the model's max_position_embeddings. */
  maxLength: number;
  /** Text put before every input, for models trained with one (e5: "query: ", bge retrieval instruction). */
  prefix: string;
  /** Base name of the ONNX file in `onnx/` (before the dtype suffix). */
  modelFileName: string;
  /** ONNX Runtime intra-op threads (the default lets ORT pick: all cores). */
  threads?: number;
  /** Only for hub models whose config.json is not on disk before loading. */
  dimension?: number;
  /** Override the encoder id (it must still change whenever the weights do). */
  id?: string;
}

export const TRANSFORMER_ENCODER_DEFAULTS = {
  pooling: 'mean',
  normalize: true,
  dtype: 'fp32',
  localFilesOnly: true,
  batchSize: DEFAULT_BATCH_SIZE,
  maxLength: 256,
  prefix: '',
  modelFileName: 'model',
} as const satisfies Omit<TransformerEncoderOptions, 'model'>;

const KNOWN_KEYS = [
  'model',
  'pooling',
  'normalize',
  'dtype',
  'quantized',
  'localFilesOnly',
  'cacheDir',
  'batchSize',
  'maxLength',
  'prefix',
  'modelFileName',
  'threads',
  'dimension',
  'id',
] as const satisfies readonly (keyof TransformerEncoderOptions)[];

export interface TransformerEncoder extends DenseEncoder<string> {
  /** The resolved model: absolute folder or hub id. */
  readonly model: string;
  readonly pooling: Pooling;
  /** Effective token limit (after capping by the model). */
  readonly maxLength: number;
  /** Loads tokenizer and weights now instead of on the first encode. */
  load(): Promise<void>;
  /** Releases the ONNX Runtime session; a later encode loads it again. */
  dispose(): Promise<void>;
}


export function createTransformerEncoder(
  options: Partial<TransformerEncoderOptions> & Pick<TransformerEncoderOptions, 'model'>,
  /** Test seam: replaces `import('@huggingface/transformers')`. */
  importer?: (spec: string) => Promise<unknown>,
): TransformerEncoder {
  rejectUnknownKeys(options, KNOWN_KEYS, 'createTransformerEncoder');
  const o = { ...TRANSFORMER_ENCODER_DEFAULTS, ...options };
  const dtype = resolveDtype(options.dtype, options.quantized);
  if (o.pooling !== 'mean' && o.pooling !== 'cls') {
    throw createError('INVALID_ARGUMENT', `pooling must be "mean" or "cls", got "${String(o.pooling)}"`, { field: 'pooling' });
  }
  positiveInt(o.batchSize, 'batchSize');
  positiveInt(o.maxLength, 'maxLength');

  const location = resolveModelLocation(o.model);
  const config = readModelConfig(location, o.cacheDir);
  const dimension = configHiddenSize(config) ?? o.dimension;
  if (dimension === undefined) {
    throw createError(
      'MODEL_NOT_FOUND',
      `config.json of model "${o.model}" is not on disk (no hidden_size to read): download it into cacheDir, point model at a local folder, or pass dimension`,
      { field: 'model' },
    );
  }
  if (o.dimension !== undefined && o.dimension !== dimension) {
    throw createError('DIM_MISMATCH', `dimension ${o.dimension} given but the model config says ${dimension}`, {
      expected: String(dimension),
      received: String(o.dimension),
    });
  }
  const maxLength = effectiveMaxLength(o.maxLength, config);
  const onnxFile = onnxFileName(o.modelFileName, dtype);
  const name = location.kind === 'local' ? basename(location.path) : location.id;
  const id =
    o.id ??
    [
      'transformer',
      name,
      dtype,
      o.pooling,
      o.normalize ? 'norm' : 'raw',
      `L${maxLength}`,
      ...(o.prefix ? [`p${shortHash(o.prefix)}`] : []),
      modelFingerprint(location, [onnxFile], o.cacheDir),
    ].join(':');

  const lazy = lazyModel<TjsModel>({
    location,
    what: 'transformer encoder model',
    cacheDir: o.cacheDir,
    localFilesOnly: o.localFilesOnly,
    dtype,
    modelFileName: o.modelFileName,
    threads: o.threads,
    pickModelClass: (t) => t.AutoModel,
    ...(importer ? { importer } : {}),
  });

  async function encodeBatch({ tokenizer, model, suffix }: LoadedModel<TjsModel>, texts: string[]): Promise<Float32Array[]> {
    const inputs = tokenizer(texts, { padding: true, truncation: true, max_length: maxLength });
    restoreTruncatedSuffix(inputs, suffix, maxLength);
    const out = await model(inputs);
    const hidden = out.last_hidden_state ?? out.token_embeddings;
    if (!hidden) {
      throw createError('ENCODER_UNAVAILABLE', `model ${id} has no last_hidden_state output (outputs: ${Object.keys(out).join(', ')})`);
    }
    const [batch, seq, dim] = hidden.dims as [number, number, number];
    if (hidden.dims.length !== 3 || batch !== texts.length) {
      throw createError('ENCODER_UNAVAILABLE', `model ${id}: unexpected output shape [${hidden.dims.join(', ')}]`);
    }
    const data = hidden.data as Float32Array;
    const mask = inputs.attention_mask.data as ArrayLike<number | bigint>;
    const vectors: Float32Array[] = [];
    for (let b = 0; b < batch; b++) {
      const v = poolRow(data, mask, b, seq, dim, o.pooling);
      assertDimension(id, dimension!, v);
      vectors.push(o.normalize ? l2normalize(v) : v);
    }
    return vectors;
  }

  return {
    kind: 'dense',
    id,
    dimension,
    modality: 'text',
    normalized: o.normalize,
    model: location.kind === 'local' ? location.path : location.id,
    pooling: o.pooling,
    maxLength,
    async load() {
      await lazy.get();
    },
    async dispose() {
      const l = lazy.loaded();
      lazy.reset();
      if (l) await l.model.dispose();
    },
    async encode(batch: readonly string[]): Promise<Float32Array[]> {
      if (batch.length === 0) return [];
      batch.forEach((t, i) => {
        if (typeof t !== 'string') throw createError('INVALID_ARGUMENT', `encode: input ${i} is not a string`, { field: `batch[${i}]` });
      });
      const loaded = await lazy.get();
      const out: Float32Array[] = [];
      for (let i = 0; i < batch.length; i += o.batchSize) {
        const texts = batch.slice(i, i + o.batchSize).map((t) => o.prefix + t);
        out.push(...(await encodeBatch(loaded, texts)));
      }
      return out;
    },
  };
}
