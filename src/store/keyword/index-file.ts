/**
 * The saved file of a keyword index: one main segment (an index holding a delta segment merges it
 * before writing, so a file is always one segment and loading stays a plain read).
 *
 * magic (8 bytes) | format version (u32 LE) | header length (u32 LE) | header JSON | zero padding
 * to 8 bytes | sections, each starting on an 8-byte boundary. The header lists every section
 * (name, byte offset from the body start, byte length) and the SHA-1 of the body, so a truncated or
 * damaged file is detected before any of it is used.
 *
 * Format 3 (delta segments) writes the same sections as format 2; its bounds are always exact for
 * the file's rows, where format 2 could hold bounds scaled up by updates (still upper bounds, which
 * is all a query needs), so format 2 files are read as well.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { IndexData } from './build.ts';
import { KEYWORD_INDEX_FORMAT_VERSION, KEYWORD_INDEX_MAGIC, type KeywordIndexStaleReason } from './keyword-index.ts';

/** Format versions this code reads: the current one, and 2 (the same sections; see above). */
export const READABLE_FORMAT_VERSIONS: readonly number[] = [2, KEYWORD_INDEX_FORMAT_VERSION];

/** A saved index's JSON header is a few hundred bytes; a larger length field means a damaged file. */
const MAX_HEADER_BYTES = 1 << 20;

const TYPED_SECTIONS = ['keys', 'lengths', 'prices', 'inStock', 'categoryOf', 'brandOf', 'offsets', 'docs', 'freqs', 'bounds'] as const;
const STRING_SECTIONS = ['ids', 'terms', 'categories', 'brands'] as const;
type TypedSection = (typeof TYPED_SECTIONS)[number];
type StringSection = (typeof STRING_SECTIONS)[number];

const TYPED_CONSTRUCTORS = {
  keys: Float64Array,
  lengths: Uint32Array,
  prices: Float64Array,
  inStock: Int8Array,
  categoryOf: Int32Array,
  brandOf: Int32Array,
  offsets: Uint32Array,
  docs: Int32Array,
  freqs: Float32Array,
  bounds: Float64Array,
} as const satisfies Record<TypedSection, unknown>;

interface FileHeader {
  revision: string;
  changeSeq: number;
  changeLogId: string;
  weights: number[];
  maxPhraseTerms: number;
  totalLength: number;
  products: number;
  littleEndian: boolean;
  sha1: string;
  sections: { name: TypedSection | StringSection; offset: number; length: number }[];
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const align8 = (n: number): number => (n + 7) & ~7;

export function saveData(data: IndexData, file: string): number {
  const parts: Uint8Array[] = [];
  const sections: FileHeader['sections'] = [];
  let offset = 0;
  const addPart = (name: TypedSection | StringSection, bytes: Uint8Array): void => {
    sections.push({ name, offset, length: bytes.byteLength });
    parts.push(bytes);
    const padded = align8(bytes.byteLength);
    if (padded > bytes.byteLength) parts.push(new Uint8Array(padded - bytes.byteLength));
    offset += padded;
  };
  for (const name of TYPED_SECTIONS) {
    const a = data[name];
    addPart(name, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  for (const name of STRING_SECTIONS) addPart(name, Buffer.from(JSON.stringify(data[name]), 'utf8'));
  const body = Buffer.concat(parts);
  const header: FileHeader = {
    revision: data.revision,
    changeSeq: data.changeSeq,
    changeLogId: data.changeLogId,
    weights: data.weights,
    maxPhraseTerms: data.maxPhraseTerms,
    totalLength: data.totalLength,
    products: data.ids.length,
    littleEndian: LITTLE_ENDIAN,
    sha1: createHash('sha1').update(body).digest('hex'),
    sections,
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(align8(16 + headerBytes.length));
  prefix.write(KEYWORD_INDEX_MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(KEYWORD_INDEX_FORMAT_VERSION, 8);
  prefix.writeUInt32LE(headerBytes.length, 12);
  headerBytes.copy(prefix, 16);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, Buffer.concat([prefix, body]));
  fs.renameSync(temp, file);
  return prefix.length + body.length;
}

export type ParseResult = { ok: true; data: IndexData } | { ok: false; reason: KeywordIndexStaleReason; message: string; revision?: string };

/** Reads the header only: the revision a saved index was built from, or undefined when the file is missing or not an index. */
export function readKeywordIndexRevision(file: string): string | undefined {
  return readKeywordIndexHeader(file)?.revision;
}

/**
 * The store position a saved index stands at (header only), or undefined when the file is missing or
 * not an index. `changeSeq` and `changeLogId` are undefined in files of an older format.
 */
export function readKeywordIndexHeader(file: string): { formatVersion: number; revision: string; changeSeq?: number; changeLogId?: string } | undefined {
  if (!fs.existsSync(file)) return undefined;
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(16);
    if (fs.readSync(fd, head, 0, 16, 0) < 16 || head.toString('latin1', 0, 8) !== KEYWORD_INDEX_MAGIC) return undefined;
    const length = head.readUInt32LE(12);
    if (length > MAX_HEADER_BYTES) return undefined; // a damaged length must not allocate gigabytes
    const json = Buffer.alloc(length);
    if (fs.readSync(fd, json, 0, length, 16) < length) return undefined;
    const header = JSON.parse(json.toString('utf8')) as Partial<FileHeader>;
    if (typeof header.revision !== 'string') return undefined;
    return {
      formatVersion: head.readUInt32LE(8),
      revision: header.revision,
      changeSeq: typeof header.changeSeq === 'number' ? header.changeSeq : undefined,
      changeLogId: typeof header.changeLogId === 'string' ? header.changeLogId : undefined,
    };
  } catch {
    // Only for a header that is not JSON: "not an index" is the answer, not an error.
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

export function parseFile(bytes: Buffer, weights: number[]): ParseResult {
  const damaged = (message: string): ParseResult => ({ ok: false, reason: 'damaged', message });
  if (bytes.length < 16 || bytes.toString('latin1', 0, 8) !== KEYWORD_INDEX_MAGIC) return damaged('not a prodsim keyword index');
  const version = bytes.readUInt32LE(8);
  if (!READABLE_FORMAT_VERSIONS.includes(version)) {
    return { ok: false, reason: 'format', message: `file format ${version}, this prodsim reads ${READABLE_FORMAT_VERSIONS.join(' and ')}` };
  }
  const headerLength = bytes.readUInt32LE(12);
  if (16 + headerLength > bytes.length) return damaged('truncated header');
  let header: FileHeader;
  try {
    header = JSON.parse(bytes.toString('utf8', 16, 16 + headerLength)) as FileHeader;
  } catch {
    // Expected failure as a value: a header that is not JSON is a damaged index file, rebuilt by the caller.
    return damaged('header is not valid JSON');
  }
  if (header.littleEndian !== LITTLE_ENDIAN) return { ok: false, reason: 'format', message: 'written on a machine of the other byte order' };
  if (header.weights.length !== weights.length || header.weights.some((w, i) => w !== weights[i])) {
    return { ok: false, reason: 'format', message: `built with column weights ${header.weights.join(',')}, expected ${weights.join(',')}`, revision: header.revision };
  }
  const bodyStart = align8(16 + headerLength);
  // Typed-array views need an aligned buffer; a Buffer from the pool may not be.
  const body = bytes.byteOffset % 8 === 0 ? bytes.subarray(bodyStart) : Buffer.from(bytes.subarray(bodyStart));
  if (createHash('sha1').update(body).digest('hex') !== header.sha1) return damaged('checksum mismatch (truncated or modified)');
  const section = new Map(header.sections.map((s) => [s.name, s]));
  const bytesOf = (name: TypedSection | StringSection): Uint8Array | undefined => {
    const s = section.get(name);
    if (!s || s.offset + s.length > body.length) return undefined;
    return body.subarray(s.offset, s.offset + s.length);
  };
  const typed: Partial<Record<TypedSection, ArrayBufferView>> = {};
  for (const name of TYPED_SECTIONS) {
    const b = bytesOf(name);
    const C = TYPED_CONSTRUCTORS[name];
    if (!b || b.byteLength % C.BYTES_PER_ELEMENT !== 0 || b.byteOffset % C.BYTES_PER_ELEMENT !== 0) {
      return damaged(`section ${name} missing or misaligned`);
    }
    typed[name] = new C(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength / C.BYTES_PER_ELEMENT);
  }
  const strings: Partial<Record<StringSection, string[]>> = {};
  for (const name of STRING_SECTIONS) {
    const b = bytesOf(name);
    if (!b) return damaged(`section ${name} missing`);
    strings[name] = JSON.parse(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8')) as string[];
  }
  const data: IndexData = {
    revision: header.revision,
    changeSeq: header.changeSeq,
    changeLogId: header.changeLogId,
    weights: header.weights,
    maxPhraseTerms: header.maxPhraseTerms,
    totalLength: header.totalLength,
    ids: strings.ids!,
    categories: strings.categories!,
    brands: strings.brands!,
    brandOf: typed.brandOf as Int32Array,
    terms: strings.terms!,
    keys: typed.keys as Float64Array,
    lengths: typed.lengths as Uint32Array,
    prices: typed.prices as Float64Array,
    inStock: typed.inStock as Int8Array,
    categoryOf: typed.categoryOf as Int32Array,
    offsets: typed.offsets as Uint32Array,
    docs: typed.docs as Int32Array,
    freqs: typed.freqs as Float32Array,
    bounds: typed.bounds as Float64Array,
  };
  const n = header.products;
  const consistent =
    data.ids.length === n &&
    data.keys.length === n &&
    data.lengths.length === n &&
    data.prices.length === n &&
    data.inStock.length === n &&
    data.categoryOf.length === n &&
    data.brandOf.length === n &&
    typeof data.changeSeq === 'number' &&
    typeof data.changeLogId === 'string' &&
    data.offsets.length === data.terms.length + 1 &&
    data.bounds.length === data.terms.length &&
    data.docs.length === data.freqs.length &&
    data.offsets[data.terms.length] === data.docs.length;
  if (!consistent) return damaged('section sizes disagree');
  return { ok: true, data };
}
