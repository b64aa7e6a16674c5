/**
 * Loading transformers.js models without making it a hard dependency.
 *
 * `@huggingface/transformers` (and onnxruntime-node under it) is an optional dependency: 474 MB
 * installed and a postinstall that cannot run offline. So it is imported dynamically, through a
 * specifier held in a variable (TypeScript then does not resolve it, so the tree typechecks without
 * the package), and only the handful of members used here are typed structurally below.
 *
 * Global state: we do not touch transformers.js's `env`. Local folders are handed over as absolute
 * paths, which transformers.js reads directly (only strings that look like hub ids go through
 * `env.localModelPath`); `local_files_only` and `cache_dir` are per-call options. So two encoders with
 * different configs can live in one process without fighting over a global.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { createError, isProdsimError, type ProdsimError } from '../../errors.ts';

// ---- the structural subset of transformers.js we use -------------------------------------------

export interface TjsTensor {
  readonly dims: number[];
  readonly data: Float32Array | BigInt64Array | Int32Array | Uint8Array | number[];
  readonly type: string;
}

export interface TjsTokenizerOutput {
  input_ids: TjsTensor;
  attention_mask: TjsTensor;
  token_type_ids?: TjsTensor;
  [key: string]: TjsTensor | undefined;
}

export interface TjsTokenizer {
  (
    text: string | string[],
    options?: { text_pair?: string | string[] | null; padding?: boolean; truncation?: boolean; max_length?: number },
  ): TjsTokenizerOutput;
  readonly model_max_length?: number;
}

export interface TjsModel {
  (inputs: Record<string, unknown>): Promise<Record<string, TjsTensor>>;
  dispose(): Promise<unknown>;
}

export interface TjsPretrainedOptions {
  local_files_only?: boolean;
  cache_dir?: string | null;
  dtype?: string;
  device?: string;
  model_file_name?: string;
  session_options?: Record<string, unknown>;
}

interface FromPretrained<T> {
  from_pretrained(model: string, options?: TjsPretrainedOptions): Promise<T>;
}

export interface TransformersModule {
  AutoTokenizer: FromPretrained<TjsTokenizer>;
  AutoModel: FromPretrained<TjsModel>;
  AutoModelForSequenceClassification: FromPretrained<TjsModel>;
  AutoProcessor: FromPretrained<(images: unknown, ...rest: unknown[]) => Promise<Record<string, unknown>>>;
  CLIPTextModelWithProjection: FromPretrained<TjsModel>;
  CLIPVisionModelWithProjection: FromPretrained<TjsModel>;
  RawImage: {
    read(input: string | URL | Blob): Promise<unknown>;
    new (data: Uint8ClampedArray | Uint8Array, width: number, height: number, channels: 1 | 2 | 3 | 4): unknown;
  };
  env: Record<string, unknown>;
}

const TRANSFORMERS_PACKAGE = '@huggingface/transformers';

let transformersPromise: Promise<TransformersModule> | undefined;

/**
 * Imports transformers.js once. A missing package gives ENCODER_UNAVAILABLE with the install hint;
 * `importer` exists so tests can simulate the package being absent.
 */
export async function importTransformers(importer?: (spec: string) => Promise<unknown>): Promise<TransformersModule> {
  const load = async (): Promise<TransformersModule> => {
    try {
      return (await (importer ?? ((s: string) => import(s)))(TRANSFORMERS_PACKAGE)) as TransformersModule;
    } catch (cause) {
      // Into a catalogue error: a failed import of the optional package is ENCODER_UNAVAILABLE, with how to install it.
      throw createError(
        'ENCODER_UNAVAILABLE',
        `the optional package ${TRANSFORMERS_PACKAGE} could not be loaded (${errorMessage(cause)}); ` +
          `install it with "npm install ${TRANSFORMERS_PACKAGE}" (an optional peer dependency; ONNXRUNTIME_NODE_INSTALL=skip skips onnxruntime-node's CUDA download)`,
        { field: 'model' },
      );
    }
  };
  // Only the real import is memoised (and forgotten on failure); an injected importer always runs.
  if (importer) return load();
  // Clean up and rethrow: a failed import is forgotten so the next call tries again.
  transformersPromise ??= load().catch((e: unknown) => {
    transformersPromise = undefined;
    throw e;
  });
  return transformersPromise;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// ---- where a model lives ------------------------------------------------------------------------

export type ModelLocation = { kind: 'local'; path: string } | { kind: 'hub'; id: string };

const HUB_ID = /^[\w\-.]+(\/[\w\-.]+)?$/;

/**
 * A string names a local folder when it exists, or when it is clearly a path (absolute, `./`,
 * `../`, `~`); otherwise it must look like a hub id (`owner/name`). A missing folder is
 * MODEL_NOT_FOUND right away rather than a confusing remote lookup.
 */
export function resolveModelLocation(model: string, field = 'model'): ModelLocation {
  if (typeof model !== 'string' || model.trim() === '') {
    throw createError('INVALID_ARGUMENT', `${field} must be a local folder or a hub id`, { field });
  }
  const abs = resolve(model);
  if (existsSync(abs)) {
    if (!statSync(abs).isDirectory()) {
      throw createError('MODEL_NOT_FOUND', `${field} "${model}" is a file; expected a model folder`, { file: abs, field });
    }
    return { kind: 'local', path: abs };
  }
  const looksLikePath = isAbsolute(model) || model.startsWith('.') || model.startsWith('~') || model.includes('\\');
  if (looksLikePath || !HUB_ID.test(model) || model.includes('..')) {
    throw createError('MODEL_NOT_FOUND', `model folder "${model}" does not exist`, { file: abs, field });
  }
  return { kind: 'hub', id: model };
}

/** The string handed to `from_pretrained`: an absolute path, or the hub id. */
export function modelRef(loc: ModelLocation): string {
  return loc.kind === 'local' ? loc.path : loc.id;
}

/** Where a model's files are on disk before loading, if we can tell (local folder, or a cache dir). */
function localFolder(loc: ModelLocation, cacheDir: string | undefined): string | undefined {
  if (loc.kind === 'local') return loc.path;
  if (cacheDir) {
    const p = join(resolve(cacheDir), loc.id);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Reads `config.json` (local folder or cached hub model); undefined when it cannot be found yet. */
export function readModelConfig(loc: ModelLocation, cacheDir?: string): Record<string, unknown> | undefined {
  const dir = localFolder(loc, cacheDir);
  if (!dir) return undefined;
  const file = join(dir, 'config.json');
  if (!existsSync(file)) {
    if (loc.kind === 'local') throw createError('MODEL_NOT_FOUND', `model folder ${dir} has no config.json`, { file });
    return undefined;
  }
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    // Into a catalogue error: JSON.parse's error becomes PARSE_ERROR with the model's config.json.
    throw createError('PARSE_ERROR', `config.json of model ${dir} is not valid JSON: ${errorMessage(e)}`, { file });
  }
}

/** File name suffix transformers.js uses for each dtype (`onnx/model<suffix>.onnx`). */
export const DTYPE_SUFFIX = {
  fp32: '',
  fp16: '_fp16',
  int8: '_int8',
  uint8: '_uint8',
  q8: '_quantized',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
} as const;
export type ModelDtype = keyof typeof DTYPE_SUFFIX;

export function onnxFileName(modelFileName: string, dtype: ModelDtype): string {
  return `${modelFileName}${DTYPE_SUFFIX[dtype]}.onnx`;
}

/**
 * A short content fingerprint of a model folder: config.json plus the ONNX file's size and the
 * sha256 of its first and last MiB (cheap for 100 MB models, and changes whenever the weights do
 * in practice). It is part of encoder ids, which are part of every cache key.
 */
export function modelFingerprint(loc: ModelLocation, onnxFiles: readonly string[], cacheDir?: string): string {
  const dir = localFolder(loc, cacheDir);
  const h = createHash('sha256');
  h.update(modelRef(loc));
  if (dir) {
    const cfg = join(dir, 'config.json');
    if (existsSync(cfg)) h.update(readFileSync(cfg));
    for (const f of onnxFiles) {
      const file = join(dir, 'onnx', f);
      if (!existsSync(file)) continue;
      const size = statSync(file).size;
      h.update(`${f}:${size}`);
      const chunk = Math.min(size, 1 << 20);
      const buf = Buffer.alloc(chunk);
      const fd = openSync(file, 'r');
      try {
        readSync(fd, buf, 0, chunk, 0);
        h.update(buf);
        readSync(fd, buf, 0, chunk, Math.max(0, size - chunk));
        h.update(buf);
      } finally {
        closeSync(fd);
      }
    }
  }
  return h.digest('hex').slice(0, 12);
}

/**
 * What to hand to `from_pretrained`. For a hub id with localFilesOnly we find the folder on disk
 * ourselves (cacheDir, then transformers.js's env.localModelPath and env.cacheDir, all read-only;
 * a hub cache keeps `<dir>/<owner>/<name>/<file>`, a complete model folder) and pass its absolute
 * path. Reason: in transformers.js 4.3 the tokenizer loader probes `tokenizer_config.json` without
 * passing our options on, so with a hub id it goes to the network even with local_files_only
 * (and fails after a timeout offline). Local paths never reach that probe's remote branch. This
 * also keeps us from having to set `env.allowRemoteModels = false` globally.
 */
export function resolveLoadRef(t: TransformersModule, loc: ModelLocation, localFilesOnly: boolean, cacheDir?: string): string {
  if (loc.kind === 'local' || !localFilesOnly) return modelRef(loc);
  const roots = [cacheDir, t.env.localModelPath, t.env.cacheDir].filter((d): d is string => typeof d === 'string' && d !== '');
  for (const r of roots) {
    const dir = join(resolve(r), loc.id);
    if (existsSync(join(dir, 'config.json'))) return dir;
  }
  throw createError(
    'MODEL_NOT_FOUND',
    `hub model "${loc.id}" is not on disk (looked in ${roots.map((r) => join(r, loc.id)).join(', ')}) and localFilesOnly is set; ` +
      'download it into cacheDir or point model at a local folder',
    { field: 'model' },
  );
}

/** Checks the ONNX file exists before handing over to transformers.js (whose message is vaguer). */
export function assertOnnxFile(ref: string, file: string): void {
  if (!isAbsolute(ref)) return; // a hub id loaded remotely: transformers.js reports what is missing
  const p = join(ref, 'onnx', file);
  if (!existsSync(p)) {
    throw createError('MODEL_NOT_FOUND', `model file ${p} is missing (transformers.js expects <model>/onnx/${file})`, { file: p });
  }
}

/** Turns a transformers.js loading failure into a typed error (missing file vs anything else). */
export function loadingError(what: string, model: string, cause: unknown): ProdsimError {
  if (isProdsimError(cause)) return cause;
  const msg = errorMessage(cause);
  const notFound = /not found|could not locate|no such file|ENOENT|local_files_only|allowRemoteModels|404/i.test(msg);
  return createError(
    notFound ? 'MODEL_NOT_FOUND' : 'ENCODER_UNAVAILABLE',
    `${what} "${model}" could not be loaded: ${msg}`,
    { file: model },
  );
}

/** A positive integer option, checked. */
export function positiveInt(value: number, field: string): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw createError('INVALID_ARGUMENT', `${field} must be a positive integer, got ${value}`, { field, received: String(value) });
  }
  return value;
}

/** Common ORT session options: our machines are small and shared, so thread counts are explicit. */
export function sessionOptions(threads: number | undefined): Record<string, unknown> | undefined {
  if (threads === undefined) return undefined;
  positiveInt(threads, 'threads');
  return { intraOpNumThreads: threads, interOpNumThreads: 1 };
}

/** Reads element i of an integer tensor (BigInt64Array from tokenizers) as a number. */
export function intAt(t: TjsTensor, i: number): number {
  const v = t.data[i];
  return typeof v === 'bigint' ? Number(v) : (v as number);
}

// ---- shared by the sentence encoder, the cross-encoder and CLIP --------------------------------

/** Resolves the dtype from `dtype` and the `quantized` shorthand. */
export function resolveDtype(dtype: string | undefined, quantized: boolean | undefined): ModelDtype {
  if (dtype !== undefined && !Object.hasOwn(DTYPE_SUFFIX, dtype)) {
    throw createError('INVALID_ARGUMENT', `unknown dtype "${dtype}"`, { field: 'dtype', expected: Object.keys(DTYPE_SUFFIX).join(' | ') });
  }
  if (quantized === undefined) return (dtype ?? 'fp32') as ModelDtype;
  const fromFlag = quantized ? 'q8' : 'fp32';
  if (dtype !== undefined && dtype !== fromFlag) {
    throw createError('INVALID_ARGUMENT', `quantized: ${quantized} contradicts dtype: "${dtype}"`, { field: 'quantized' });
  }
  return fromFlag;
}

/** hidden_size (BERT, RoBERTa, XLM-R), d_model (T5/BART-like) or dim (DistilBERT). */
export function configHiddenSize(config: Record<string, unknown> | undefined): number | undefined {
  if (!config) return undefined;
  for (const key of ['hidden_size', 'd_model', 'dim']) {
    const v = config[key];
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  }
  return undefined;
}

/** The usable token limit: the asked one, capped by the model's position table. */
export function effectiveMaxLength(asked: number, config: Record<string, unknown> | undefined): number {
  const maxPos = config?.max_position_embeddings;
  // RoBERTa-family position tables reserve 2 slots (padding_idx + 1 offset).
  const offset = config?.model_type === 'roberta' || config?.model_type === 'xlm-roberta' ? 2 : 0;
  return typeof maxPos === 'number' && maxPos > offset ? Math.min(asked, maxPos - offset) : asked;
}

export function shortHash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 8);
}


export interface LazyModelParts<M> {
  location: ModelLocation;
  what: string;
  cacheDir: string | undefined;
  localFilesOnly: boolean;
  dtype: ModelDtype;
  modelFileName: string;
  threads: number | undefined;
  pickModelClass: (t: TransformersModule) => { from_pretrained(model: string, o?: object): Promise<M> };
  importer?: (spec: string) => Promise<unknown>;
}

/** Memoised loading of tokenizer + model; a failed load is forgotten so a later call can retry. */
export interface LoadedModel<M> {
  tokenizer: TjsTokenizer;
  model: M;
  /** Special token ids closing every encoding (see restoreTruncatedSuffix). */
  suffix: number[];
}

export function lazyModel<M>(parts: LazyModelParts<M>): { get(): Promise<LoadedModel<M>>; reset(): void; loaded(): LoadedModel<M> | undefined } {
  let promise: Promise<LoadedModel<M>> | undefined;
  let done: LoadedModel<M> | undefined;
  const load = async () => {
    const t = await importTransformers(parts.importer);
    const ref = resolveLoadRef(t, parts.location, parts.localFilesOnly, parts.cacheDir);
    assertOnnxFile(ref, onnxFileName(parts.modelFileName, parts.dtype));
    const common = { local_files_only: parts.localFilesOnly, ...(parts.cacheDir ? { cache_dir: parts.cacheDir } : {}) };
    try {
      const tokenizer = await t.AutoTokenizer.from_pretrained(ref, common);
      const session = sessionOptions(parts.threads);
      const model = await parts.pickModelClass(t).from_pretrained(ref, {
        ...common,
        dtype: parts.dtype,
        device: 'cpu',
        model_file_name: parts.modelFileName,
        ...(session ? { session_options: session } : {}),
      });
      done = { tokenizer, model, suffix: specialSuffix(tokenizer) };
      return done;
    } catch (e) {
      // Into a catalogue error: transformers.js's loading error becomes a catalogue error (loadingError).
      throw loadingError(parts.what, ref, e);
    }
  };
  return {
    get() {
      // Clean up and rethrow: a failed load is forgotten so the next call tries again.
      promise ??= load().catch((e: unknown) => {
        promise = undefined;
        throw e;
      });
      return promise;
    },
    reset() {
      promise = undefined;
      done = undefined;
    },
    loaded: () => done,
  };
}


/**
 * The special tokens a tokenizer appends after the text ([SEP] for BERT, </s> for XLM-R), found by
 * comparing the encodings of "" and "x": what follows the common prefix in the empty encoding.
 */
export function specialSuffix(tokenizer: TjsTokenizer): number[] {
  const ids = (text: string) => Array.from(tokenizer(text).input_ids.data as ArrayLike<number | bigint>, Number);
  const empty = ids('');
  const one = ids('x');
  let p = 0;
  while (p < empty.length && empty[p] === one[p]) p++;
  return empty.slice(p);
}

/**
 * transformers.js truncates a padded batch by cutting every row at max_length, which drops the
 * closing [SEP] of long texts (Python tokenizers keep it; models are trained with it). This puts
 * the suffix back over the last real positions of rows that were cut. Rows are found cut when they
 * fill all max_length positions and do not already end with the suffix. For pairs, that gives
 * [CLS] query [SEP] text… [SEP] as long as the query itself fits.
 */
export function restoreTruncatedSuffix(inputs: TjsTokenizerOutput, suffix: readonly number[], maxLength: number): void {
  if (suffix.length === 0) return;
  const [rows, seq] = inputs.input_ids.dims as [number, number];
  if (seq < maxLength) return;
  const ids = inputs.input_ids.data as BigInt64Array | Int32Array;
  const mask = inputs.attention_mask.data as ArrayLike<number | bigint>;
  const big = ids instanceof BigInt64Array;
  for (let r = 0; r < rows; r++) {
    const base = r * seq;
    if (Number(mask[base + seq - 1]) === 0) continue; // padded, so not cut
    const tail = Array.from({ length: suffix.length }, (_, k) => Number(ids[base + seq - suffix.length + k]!));
    if (tail.every((v, k) => v === suffix[k])) continue;
    suffix.forEach((tok, k) => {
      const at = base + seq - suffix.length + k;
      if (big) (ids)[at] = BigInt(tok);
      else (ids)[at] = tok;
    });
  }
}
