/**
 * CLIP image and text encoders through transformers.js: `CLIPVisionModelWithProjection`
 * (`onnx/vision_model*.onnx`) with `AutoProcessor` for images, and `CLIPTextModelWithProjection`
 * (`onnx/text_model*.onnx`) with `AutoTokenizer` for text. Both give vectors in one shared space,
 * so text can search images ("red leather handbag" → photos) and products can be compared by photo.
 *
 * Loading is lazy and the package optional, as for the sentence encoder (see transformer/runtime.ts;
 * no global `env` is changed). Images are read with the same limits and typed failures as the sharp
 * features (reader.ts), decoded by sharp to the processor's input size and handed over as RawImage;
 * an image that cannot be read gets a zero vector, so a batch never fails on one bad file.
 */
import { basename, join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { createError, rejectUnknownKeys } from '../../errors.ts';
import { assertDimension, l2normalize, type DenseEncoder } from '../encoder.ts';
import {
  assertOnnxFile,
  effectiveMaxLength,
  importTransformers,
  loadingError,
  modelFingerprint,
  onnxFileName,
  positiveInt,
  readModelConfig,
  resolveDtype,
  resolveLoadRef,
  resolveModelLocation,
  restoreTruncatedSuffix,
  sessionOptions,
  shortHash,
  specialSuffix,
  type ModelDtype,
  type ModelLocation,
  type TjsModel,
  type TjsPretrainedOptions,
  type TjsTensor,
  type TjsTokenizer,
  type TransformersModule,
} from '../transformer/runtime.ts';
import { createImageReader, mapLimited, IMAGE_READER_DEFAULTS, type DecodeResult, type ImageInput, type ImageReaderOptions } from './reader.ts';

export interface ClipOptions {
  /** Folder with config.json, preprocessor_config.json, tokenizer files, onnx/{text,vision}_model*.onnx; or a hub id. */
  model: string;
  dtype: ModelDtype;
  quantized?: boolean;
  localFilesOnly: boolean;
  cacheDir?: string;
  batchSize: number;
  /** CLIP's text tower has 77 positions; longer texts are truncated (end token kept). */
  textMaxLength: number;
  /** Put before every text, e.g. "a photo of " (CLIP was trained on captions). */
  textPrefix: string;
  threads?: number;
  /** Image reading limits, baseDir and optional fetch (same as the sharp features). */
  image: Partial<ImageReaderOptions>;
  /** Images decoded at once. */
  concurrency: number;
}

export const CLIP_DEFAULTS = {
  dtype: 'fp32',
  localFilesOnly: true,
  batchSize: 16,
  textMaxLength: 77,
  textPrefix: '',
  image: {},
  concurrency: 2,
} as const satisfies Omit<ClipOptions, 'model'>;

const KNOWN_KEYS = [
  'model',
  'dtype',
  'quantized',
  'localFilesOnly',
  'cacheDir',
  'batchSize',
  'textMaxLength',
  'textPrefix',
  'threads',
  'image',
  'concurrency',
] as const satisfies readonly (keyof ClipOptions)[];

export interface ClipImageEncoder extends DenseEncoder<ImageInput> {
  /** Vectors plus each image's read result (an error for images that could not be used). */
  encodeDetailed(batch: readonly ImageInput[]): Promise<{ vectors: Float32Array[]; results: Array<{ ok: true; path: string } | Extract<DecodeResult, { ok: false }>> }>;
}

export interface ClipEncoders {
  readonly image: ClipImageEncoder;
  readonly text: DenseEncoder<string>;
  /** Both towers' ids share this: vectors are comparable only within one space. */
  readonly space: string;
  dispose(): Promise<void>;
}

/** projection_dim of a CLIP config (512 for ViT-B/32). */
export function clipProjectionDim(config: Record<string, unknown> | undefined): number | undefined {
  const v = config?.projection_dim;
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

/** The shortest edge the image processor resizes to (224 for ViT-B/32). */
function processorInputSize(loc: ModelLocation): number {
  if (loc.kind !== 'local') return 224;
  const file = join(loc.path, 'preprocessor_config.json');
  if (!existsSync(file)) throw createError('MODEL_NOT_FOUND', `CLIP model folder ${loc.path} has no preprocessor_config.json`, { file });
  const cfg = JSON.parse(readFileSync(file, 'utf8')) as { size?: number | { shortest_edge?: number; height?: number }; crop_size?: number | { height?: number } };
  const size = typeof cfg.size === 'number' ? cfg.size : (cfg.size?.shortest_edge ?? cfg.size?.height);
  return size ?? 224;
}

function memo<T>(load: () => Promise<T>): { get(): Promise<T>; reset(): void; value(): T | undefined } {
  let p: Promise<T> | undefined;
  let v: T | undefined;
  return {
    get() {
      p ??= load().then(
        (x) => (v = x),
        (e: unknown) => {
          p = undefined;
          throw e;
        },
      );
      return p;
    },
    reset() {
      p = undefined;
      v = undefined;
    },
    value: () => v,
  };
}

export function createClipEncoders(
  options: Partial<ClipOptions> & Pick<ClipOptions, 'model'>,
  importer?: (spec: string) => Promise<unknown>,
): ClipEncoders {
  rejectUnknownKeys(options, KNOWN_KEYS, 'createClipEncoders');
  const o = { ...CLIP_DEFAULTS, ...options };
  const dtype = resolveDtype(options.dtype, options.quantized);
  positiveInt(o.batchSize, 'batchSize');
  positiveInt(o.textMaxLength, 'textMaxLength');
  positiveInt(o.concurrency, 'concurrency');
  const location = resolveModelLocation(o.model);
  const config = readModelConfig(location, o.cacheDir);
  const dimension = clipProjectionDim(config);
  if (dimension === undefined) {
    throw createError('MODEL_NOT_FOUND', `model "${o.model}" has no CLIP config.json with projection_dim on disk`, { field: 'model' });
  }
  const textConfig = (config?.text_config ?? {}) as Record<string, unknown>;
  const textMaxLength = effectiveMaxLength(o.textMaxLength, textConfig);
  const inputSize = processorInputSize(location);
  const reader = createImageReader({ ...IMAGE_READER_DEFAULTS, ...o.image });
  const visionFile = onnxFileName('vision_model', dtype);
  const textFile = onnxFileName('text_model', dtype);
  const name = location.kind === 'local' ? basename(location.path) : location.id;
  const space = `clip:${name}:${dtype}:${modelFingerprint(location, [visionFile, textFile], o.cacheDir)}`;
  const common: TjsPretrainedOptions = { local_files_only: o.localFilesOnly, ...(o.cacheDir ? { cache_dir: o.cacheDir } : {}) };
  const session = sessionOptions(o.threads);
  const modelOptions: TjsPretrainedOptions = { ...common, dtype, device: 'cpu', ...(session ? { session_options: session } : {}) };


  const vision = memo(async () => {
    const t: TransformersModule = await importTransformers(importer);
    const ref = resolveLoadRef(t, location, o.localFilesOnly, o.cacheDir);
    assertOnnxFile(ref, visionFile);
    try {
      const processor = await t.AutoProcessor.from_pretrained(ref, common);
      const model = await t.CLIPVisionModelWithProjection.from_pretrained(ref, modelOptions);
      return { t, processor, model };
    } catch (e) {
      // Into a catalogue error: transformers.js's loading error becomes a catalogue error (loadingError).
      throw loadingError('CLIP vision model', o.model, e);
    }
  });
  const textTower = memo(async () => {
    const t = await importTransformers(importer);
    const ref = resolveLoadRef(t, location, o.localFilesOnly, o.cacheDir);
    assertOnnxFile(ref, textFile);
    try {
      const tokenizer: TjsTokenizer = await t.AutoTokenizer.from_pretrained(ref, common);
      const model: TjsModel = await t.CLIPTextModelWithProjection.from_pretrained(ref, modelOptions);
      return { tokenizer, model, suffix: specialSuffix(tokenizer) };
    } catch (e) {
      // Into a catalogue error: transformers.js's loading error becomes a catalogue error (loadingError).
      throw loadingError('CLIP text model', o.model, e);
    }
  });

  const rows = (tensor: TjsTensor | undefined, n: number, what: string, id: string): Float32Array[] => {
    if (!tensor || tensor.dims.length !== 2 || tensor.dims[0] !== n) {
      throw createError('ENCODER_UNAVAILABLE', `${id}: expected ${what} [${n}, ${dimension}], got ${tensor ? `[${tensor.dims.join(', ')}]` : 'none'}`);
    }
    const d = tensor.dims[1]!;
    const data = tensor.data as Float32Array;
    return Array.from({ length: n }, (_, i) => {
      const v = data.slice(i * d, (i + 1) * d);
      assertDimension(id, dimension, v);
      return l2normalize(v);
    });
  };

  const imageId = `clip-image:${space.slice('clip:'.length)}`;
  const textId = `clip-text:${space.slice('clip:'.length)}${o.textPrefix ? `:p${shortHash(o.textPrefix)}` : ''}`;

  const image: ClipImageEncoder = {
    kind: 'dense',
    id: imageId,
    dimension,
    modality: 'image',
    normalized: true,
    async encodeDetailed(batch) {
      if (batch.length === 0) return { vectors: [], results: [] };
      const { t, processor, model } = await vision.get();
      const vectors: Float32Array[] = [];
      const results: Awaited<ReturnType<ClipImageEncoder['encodeDetailed']>>['results'] = [];
      for (let i = 0; i < batch.length; i += o.batchSize) {
        const chunk = batch.slice(i, i + o.batchSize);
        const decoded = await mapLimited(chunk, o.concurrency, (input) => reader.decode(input, { size: inputSize, fit: 'outside' }));
        const good = decoded.flatMap((d, j) => (d.ok ? [{ j, d }] : []));
        const out = new Array<Float32Array>(chunk.length);
        if (good.length > 0) {
          const images = good.map(({ d }) => new t.RawImage(d.image.rgb, d.image.width, d.image.height, 3));
          const inputs = await processor(images);
          const res = await model(inputs);
          rows(res.image_embeds, good.length, 'image_embeds', imageId).forEach((v, k) => (out[good[k]!.j] = v));
        }
        decoded.forEach((d, j) => {
          vectors.push(out[j] ?? new Float32Array(dimension));
          results.push(d.ok ? { ok: true, path: d.path } : d);
        });
      }
      return { vectors, results };
    },
    async encode(batch) {
      return (await image.encodeDetailed(batch)).vectors;
    },
  };

  const text: DenseEncoder<string> = {
    kind: 'dense',
    id: textId,
    dimension,
    modality: 'text',
    normalized: true,
    async encode(batch) {
      if (batch.length === 0) return [];
      batch.forEach((s, i) => {
        if (typeof s !== 'string') throw createError('INVALID_ARGUMENT', `encode: input ${i} is not a string`, { field: `batch[${i}]` });
      });
      const { tokenizer, model, suffix } = await textTower.get();
      const out: Float32Array[] = [];
      for (let i = 0; i < batch.length; i += o.batchSize) {
        const chunk = batch.slice(i, i + o.batchSize).map((s) => o.textPrefix + s);
        const inputs = tokenizer(chunk, { padding: true, truncation: true, max_length: textMaxLength });
        restoreTruncatedSuffix(inputs, suffix, textMaxLength);
        const res = await model(inputs);
        out.push(...rows(res.text_embeds, chunk.length, 'text_embeds', textId));
      }
      return out;
    },
  };

  return {
    image,
    text,
    space,
    async dispose() {
      const v = vision.value();
      const tt = textTower.value();
      vision.reset();
      textTower.reset();
      await Promise.all([v?.model.dispose(), tt?.model.dispose()]);
    },
  };
}
