/**
 * Cross-encoder scoring: a sequence-classification model reads (query, text) together as one pair
 * ([CLS] query [SEP] text [SEP], token types 0/1) and gives a relevance logit. Much slower than
 * comparing embeddings (one forward pass per pair), so it re-ranks a short candidate list.
 */
import { createError, rejectUnknownKeys } from '../../errors.ts';
import { basename } from 'node:path';
import {
  effectiveMaxLength,
  lazyModel,
  resolveDtype,
  modelFingerprint,
  onnxFileName,
  positiveInt,
  readModelConfig,
  restoreTruncatedSuffix,
  resolveModelLocation,
  type ModelDtype,
  type TjsModel,
} from './runtime.ts';

/**
 * How logits become scores:
 * - 'auto': sigmoid for one-logit models (ms-marco / bge-reranker style), softmax probability of
 *   `positiveLabel` for multi-label ones (NLI-style [not, same]);
 * - 'sigmoid': sigmoid of the `positiveLabel` logit;
 * - 'none': the raw `positiveLabel` logit (ranking only needs order).
 */
export type CrossEncoderActivation = 'auto' | 'sigmoid' | 'none';

export interface CrossEncoderOptions {
  model: string;
  activation: CrossEncoderActivation;
  /** Index of the logit that means "relevant / same" (0 for one-logit models). */
  positiveLabel?: number;
  dtype: ModelDtype;
  quantized?: boolean;
  localFilesOnly: boolean;
  cacheDir?: string;
  batchSize: number;
  /** Token limit for the whole pair; capped by the model's position table. */
  maxLength: number;
  modelFileName: string;
  threads?: number;
  id?: string;
}

export const CROSS_ENCODER_DEFAULTS = {
  activation: 'auto',
  dtype: 'fp32',
  localFilesOnly: true,
  batchSize: 32,
  maxLength: 256,
  modelFileName: 'model',
} as const satisfies Omit<CrossEncoderOptions, 'model'>;

const KNOWN_KEYS = [
  'model',
  'activation',
  'positiveLabel',
  'dtype',
  'quantized',
  'localFilesOnly',
  'cacheDir',
  'batchSize',
  'maxLength',
  'modelFileName',
  'threads',
  'id',
] as const satisfies readonly (keyof CrossEncoderOptions)[];

export interface CrossEncoder {
  readonly id: string;
  readonly model: string;
  readonly maxLength: number;
  /** One score per text, in input order: higher = more relevant to the query. */
  score(query: string, texts: readonly string[]): Promise<number[]>;
  load(): Promise<void>;
  dispose(): Promise<void>;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Turns one row of logits into a score (see CrossEncoderActivation). */
export function logitsToScore(row: ArrayLike<number>, activation: CrossEncoderActivation, positiveLabel: number): number {
  const logit = row[positiveLabel];
  if (logit === undefined) {
    throw createError('INVALID_ARGUMENT', `positiveLabel ${positiveLabel} is out of range: the model gives ${row.length} logits`, {
      field: 'positiveLabel',
    });
  }
  if (activation === 'none') return logit;
  if (activation === 'sigmoid' || row.length === 1) return sigmoid(logit);
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) max = Math.max(max, row[i]!);
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i]! - max);
  return Math.exp(logit - max) / sum;
}

export function createCrossEncoder(
  options: Partial<CrossEncoderOptions> & Pick<CrossEncoderOptions, 'model'>,
  importer?: (spec: string) => Promise<unknown>,
): CrossEncoder {
  rejectUnknownKeys(options, KNOWN_KEYS, 'createCrossEncoder');
  const o = { ...CROSS_ENCODER_DEFAULTS, ...options };
  const dtype = resolveDtype(options.dtype, options.quantized);
  if (!['auto', 'sigmoid', 'none'].includes(o.activation)) {
    throw createError('INVALID_ARGUMENT', `activation must be auto, sigmoid or none, got "${String(o.activation)}"`, { field: 'activation' });
  }
  positiveInt(o.batchSize, 'batchSize');
  positiveInt(o.maxLength, 'maxLength');
  const location = resolveModelLocation(o.model);
  const config = readModelConfig(location, o.cacheDir);
  const labels = config?.id2label && typeof config.id2label === 'object' ? Object.keys(config.id2label).length : undefined;
  // Two-label classifiers put "positive" last by convention; one-logit rerankers have only index 0.
  const positiveLabel = o.positiveLabel ?? (labels !== undefined && labels > 1 ? labels - 1 : 0);
  const maxLength = effectiveMaxLength(o.maxLength, config);
  const onnxFile = onnxFileName(o.modelFileName, dtype);
  const name = location.kind === 'local' ? basename(location.path) : location.id;
  const id =
    o.id ??
    ['cross', name, dtype, o.activation, `y${positiveLabel}`, `L${maxLength}`, modelFingerprint(location, [onnxFile], o.cacheDir)].join(':');

  const lazy = lazyModel<TjsModel>({
    location,
    what: 'cross-encoder model',
    cacheDir: o.cacheDir,
    localFilesOnly: o.localFilesOnly,
    dtype,
    modelFileName: o.modelFileName,
    threads: o.threads,
    pickModelClass: (t) => t.AutoModelForSequenceClassification,
    ...(importer ? { importer } : {}),
  });

  return {
    id,
    model: location.kind === 'local' ? location.path : location.id,
    maxLength,
    async load() {
      await lazy.get();
    },
    async dispose() {
      const l = lazy.loaded();
      lazy.reset();
      if (l) await l.model.dispose();
    },
    async score(query: string, texts: readonly string[]): Promise<number[]> {
      if (typeof query !== 'string') throw createError('INVALID_ARGUMENT', 'score: query must be a string', { field: 'query' });
      texts.forEach((t, i) => {
        if (typeof t !== 'string') throw createError('INVALID_ARGUMENT', `score: text ${i} is not a string`, { field: `texts[${i}]` });
      });
      if (texts.length === 0) return [];
      const { tokenizer, model, suffix } = await lazy.get();
      const scores: number[] = [];
      for (let i = 0; i < texts.length; i += o.batchSize) {
        const chunk = texts.slice(i, i + o.batchSize);
        const inputs = tokenizer(
          chunk.map(() => query),
          { text_pair: [...chunk], padding: true, truncation: true, max_length: maxLength },
        );
        restoreTruncatedSuffix(inputs, suffix, maxLength);
        const out = await model(inputs);
        const logits = out.logits;
        if (!logits || logits.dims.length !== 2 || logits.dims[0] !== chunk.length) {
          throw createError('ENCODER_UNAVAILABLE', `cross-encoder ${id}: expected logits [${chunk.length}, labels], got ${logits ? `[${logits.dims.join(', ')}]` : 'no logits'}`);
        }
        const width = logits.dims[1]!;
        const data = logits.data as Float32Array;
        for (let b = 0; b < chunk.length; b++) {
          scores.push(logitsToScore(data.subarray(b * width, (b + 1) * width), o.activation, positiveLabel));
        }
      }
      return scores;
    },
  };
}
