/**
 * `readCatalog`: a CSV/TSV, JSONL or JSON catalog file as a stream of products and issues.
 * Everything streams (a million-line JSONL or a huge JSON array never sits in memory); each bad record
 * becomes one issue and the rest of the file still loads, unless `strict` asks to stop at the first.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createError, isProdsimError, rejectUnknownKeys } from '../errors.ts';
import { PRODUCT_FIELDS } from './product.ts';
import {
  DEFAULT_READ_CATALOG_OPTIONS,
  READ_CATALOG_OPTION_KEYS,
  type CatalogEntry,
  type CatalogFormat,
  type FieldMapping,
  type ReadCatalogOptions,
  type RecordIssue,
} from './catalog.ts';
import { readCsvRecords } from './csv-records.ts';
import { splitJsonProducts } from './json-array-splitter.ts';
import { describeValue, isIsoCurrencyCode, recordToProduct, resolveFieldMapping, type RecordToProductOptions, type ResolvedMapping } from './record-to-product.ts';

const EXTENSION_FORMATS: Readonly<Record<string, CatalogFormat>> = {
  csv: 'csv',
  tsv: 'tsv',
  tab: 'tsv',
  json: 'json',
  jsonl: 'jsonl',
  ndjson: 'jsonl',
};

/** The format a path's extension names (`.jsonl.gz` → jsonl); UNSUPPORTED_FORMAT otherwise. */
export function detectCatalogFormat(path: string): CatalogFormat {
  const name = path.toLowerCase().replace(/\.gz$/, '');
  const ext = /\.([a-z0-9]+)$/.exec(name)?.[1];
  const format = ext ? EXTENSION_FORMATS[ext] : undefined;
  if (!format) {
    throw createError(
      'UNSUPPORTED_FORMAT',
      `cannot tell the catalog format of "${path}" from its extension (known: ${Object.keys(EXTENSION_FORMATS).map((e) => `.${e}`).join(', ')}, optionally .gz); pass format`,
      { file: path, expected: 'a .csv, .tsv, .json or .jsonl file', received: ext ? `.${ext}` : 'no extension' },
    );
  }
  return format;
}

/** Fills defaults and checks every option, so a typo fails loudly instead of falling back. */
export function resolveReadCatalogOptions(options: Partial<ReadCatalogOptions> = {}): ReadCatalogOptions {
  rejectUnknownKeys(options, READ_CATALOG_OPTION_KEYS, 'readCatalog');
  const resolved: ReadCatalogOptions = { ...DEFAULT_READ_CATALOG_OPTIONS, ...options };
  rejectUnknownKeys(resolved.mapping, PRODUCT_FIELDS, 'readCatalog mapping');
  for (const [field, source] of Object.entries(resolved.mapping)) {
    if (typeof source !== 'string' || source.trim() === '') {
      throw createError('INVALID_ARGUMENT', `readCatalog mapping: "${field}" must name a source column, got ${describeValue(source)}`, { field });
    }
  }
  if (resolved.format !== undefined && !['csv', 'tsv', 'json', 'jsonl'].includes(resolved.format)) {
    throw createError('UNSUPPORTED_FORMAT', `readCatalog: unknown format "${String(resolved.format)}"`, { field: 'format' });
  }
  if (resolved.defaultCurrency !== undefined && !isIsoCurrencyCode(resolved.defaultCurrency)) {
    throw createError('INVALID_ARGUMENT', `readCatalog: defaultCurrency must be an upper-case ISO 4217 code like CNY, got "${resolved.defaultCurrency}"`, {
      field: 'defaultCurrency',
    });
  }
  if (resolved.delimiter !== undefined && resolved.delimiter.length === 0) {
    throw createError('INVALID_ARGUMENT', 'readCatalog: delimiter must not be empty', { field: 'delimiter' });
  }
  return resolved;
}

async function openBytes(path: string): Promise<Readable> {
  let info;
  try {
    info = await stat(path);
  } catch {
    // Into a catalogue error: a catalog that cannot be stat-ed is FILE_NOT_FOUND with its path.
    throw createError('FILE_NOT_FOUND', `catalog file not found: ${path}`, { file: path });
  }
  if (!info.isFile()) throw createError('FILE_NOT_FOUND', `not a file: ${path}`, { file: path });
  await assertDecompresses(path);
  const raw = createReadStream(path);
  if (!path.toLowerCase().endsWith('.gz')) return raw;
  const gunzip = createGunzip();
  raw.on('error', (e) => gunzip.destroy(e));
  return raw.pipe(gunzip);
}

/**
 * A compressed catalog is decompressed once to its end before any record is handed out, so a file
 * that fails to decompress (truncated, corrupt: gzip's CRC and length trailer) yields nothing rather
 * than its first half. The extra pass costs one decompression, small beside analysing and storing.
 */
async function assertDecompresses(path: string): Promise<void> {
  if (!path.toLowerCase().endsWith('.gz')) return;
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  try {
    await pipeline(createReadStream(path), createGunzip(), discard);
  } catch (e) {
    // Into a catalogue error: zlib's error becomes PARSE_ERROR, its errno code kept as the cause.
    const cause = e as NodeJS.ErrnoException;
    throw createError('PARSE_ERROR', `${path}: the compressed file does not decompress (${cause.message}); no record of it was read`, { file: path, expected: 'a complete gzip file' }, cause.code ? { cause: cause.code } : undefined);
  }
}

/** Delimiters tried when a CSV file does not say; the one found most often in the header line (outside quotes) wins. */
export const CSV_DELIMITER_CANDIDATES = [',', ';', '\t', '|'] as const;

/**
 * Guesses a CSV delimiter from the header line (the first 64 KB at most): `,` unless `;`, tab or `|`
 * appears more often outside quotes. Compressed files are not sniffed (`,` unless told).
 */
export async function sniffCsvDelimiter(path: string): Promise<string> {
  if (path.toLowerCase().endsWith('.gz')) return ',';
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(65_536);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, bytesRead).toString('utf8');
    const counts = new Map<string, number>(CSV_DELIMITER_CANDIDATES.map((d) => [d, 0]));
    let quoted = false;
    for (const ch of text) {
      if (ch === '"') quoted = !quoted;
      else if (!quoted && (ch === '\n' || ch === '\r')) break;
      else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
    }
    let best = ',';
    for (const [d, n] of counts) if (n > counts.get(best)!) best = d;
    return best;
  } finally {
    await handle.close();
  }
}

/** What a format reader hands over: a record to validate, or a problem found before validation. */
type RawItem =
  | { kind: 'record'; record: unknown; line: number; resolved?: ResolvedMapping }
  | { kind: 'syntax'; line: number; message: string; expected?: string; received?: string };

async function* readJsonlRecords(bytes: Readable): AsyncGenerator<RawItem> {
  const lines = createInterface({ input: bytes, crlfDelay: Infinity });
  let lineNo = 0;
  for await (const rawLine of lines) {
    lineNo++;
    const text = (lineNo === 1 ? rawLine.replace(/^\uFEFF/, '') : rawLine).trim();
    if (text === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (e) {
      // Expected failure as a value: a line that is not JSON is a bad record, reported with its line.
      yield {
        kind: 'syntax',
        line: lineNo,
        message: `not valid JSON: ${(e as Error).message}`,
        expected: 'one JSON object per line',
        received: describeValue(text),
      };
      continue;
    }
    yield { kind: 'record', record, line: lineNo };
  }
}

async function* readJsonRecords(bytes: Readable, file: string): AsyncGenerator<RawItem> {
  bytes.setEncoding('utf8');
  for await (const element of splitJsonProducts(bytes as AsyncIterable<string>, file)) {
    if (element.kind === 'truncated') {
      yield { kind: 'syntax', line: element.line, message: element.message, expected: 'a complete JSON document' };
      continue;
    }
    let record: unknown;
    try {
      record = JSON.parse(element.text);
    } catch (e) {
      // Expected failure as a value: an element that is not JSON is a bad record, reported with its line.
      yield {
        kind: 'syntax',
        line: element.line,
        message: `not valid JSON: ${(e as Error).message}`,
        expected: 'a JSON object',
        received: describeValue(element.text),
      };
      continue;
    }
    yield { kind: 'record', record, line: element.line };
  }
}

async function* readDelimitedRecords(bytes: Readable, file: string, delimiter: string, mapping: FieldMapping, guess: boolean): AsyncGenerator<RawItem> {
  let resolved: ResolvedMapping | undefined;
  for await (const item of readCsvRecords(bytes, file, delimiter)) {
    if (item.kind === 'header') {
      const missing = Object.entries(mapping).filter(([, column]) => !item.columns.includes(column));
      if (missing.length > 0) {
        const [field, column] = missing[0]!;
        throw createError(
          'INVALID_ARGUMENT',
          `${file}: the mapping reads ${field} from column "${column}", which the header does not have (columns: ${item.columns.join(', ')})`,
          { file, line: item.line, field, expected: `a column named "${column}"` },
        );
      }
      resolved = resolveFieldMapping(item.columns, mapping, guess);
      continue;
    }
    if (item.kind === 'syntax') yield item;
    else yield { kind: 'record', record: item.record, line: item.line, ...(resolved ? { resolved } : {}) };
  }
}

function throwForIssue(issue: RecordIssue): never {
  const location = {
    file: issue.file,
    line: issue.line,
    ...(issue.field !== undefined ? { field: issue.field } : {}),
    ...(issue.expected !== undefined ? { expected: issue.expected } : {}),
    ...(issue.received !== undefined ? { received: issue.received } : {}),
  };
  const code = issue.reason === 'syntax' ? 'PARSE_ERROR' : 'INVALID_RECORD';
  throw createError(code, `${issue.file}:${issue.line}: ${issue.message}`, location, issue.id !== undefined ? { id: issue.id } : undefined);
}

/**
 * Reads a catalog file as products and issues, in file order.
 * - Format from `options.format` or the extension (`.csv`, `.tsv`, `.json`, `.jsonl`/`.ndjson`, each optionally `.gz`).
 * - A `.gz` file that does not decompress to its end throws PARSE_ERROR before the first record.
 * - Fields through `options.mapping`, then their own names, then common other names (`guessFieldNames`).
 * - Throws FILE_NOT_FOUND, UNSUPPORTED_FORMAT, UNKNOWN_OPTION/INVALID_ARGUMENT for bad options,
 *   PARSE_ERROR when the file as a whole cannot be read (a JSON document that is not an array), and in
 *   `strict` mode INVALID_RECORD (or PARSE_ERROR for unparseable records) at the first bad record.
 * - Duplicate ids are passed through: see `trackCatalogRead`/`loadCatalog` for counting and last-wins.
 */
export async function* readCatalog(path: string, options: Partial<ReadCatalogOptions> = {}): AsyncGenerator<CatalogEntry> {
  const opts = resolveReadCatalogOptions(options);
  const format = opts.format ?? detectCatalogFormat(path);
  const bytes = await openBytes(path);
  const delimiter = opts.delimiter ?? (format === 'tsv' ? '\t' : format === 'csv' ? await sniffCsvDelimiter(path) : ',');
  const conversion: RecordToProductOptions = {
    mapping: opts.mapping,
    guessFieldNames: opts.guessFieldNames ?? true,
    defaultCurrency: opts.defaultCurrency,
    extraFieldsAsAttributes: opts.extraFieldsAsAttributes ?? false,
  };
  const items =
    format === 'jsonl'
      ? readJsonlRecords(bytes)
      : format === 'json'
        ? readJsonRecords(bytes, path)
        : readDelimitedRecords(bytes, path, delimiter, opts.mapping, conversion.guessFieldNames);

  try {
    for await (const item of items) {
      let issue: RecordIssue;
      if (item.kind === 'syntax') {
        issue = {
          file: path,
          line: item.line,
          message: item.message,
          reason: 'syntax',
          ...(item.expected !== undefined ? { expected: item.expected } : {}),
          ...(item.received !== undefined ? { received: item.received } : {}),
        };
      } else if (item.record === null || typeof item.record !== 'object' || Array.isArray(item.record)) {
        issue = {
          file: path,
          line: item.line,
          message: `expected a product object, got ${describeValue(item.record)}`,
          expected: 'a JSON object',
          received: describeValue(item.record),
          reason: 'syntax',
        };
      } else {
        const record = item.record as Record<string, unknown>;
        const result = item.resolved ? recordToProduct(record, conversion, item.resolved) : recordToProduct(record, conversion);
        if (result.ok) {
          yield { kind: 'product', product: result.product, line: item.line };
          continue;
        }
        const first = result.problems[0]!;
        issue = {
          file: path,
          line: item.line,
          ...(result.id !== undefined ? { id: result.id } : {}),
          field: first.field,
          expected: first.expected,
          received: first.received,
          message: result.problems.map((p) => p.message).join('; '),
          reason: 'validation',
        };
      }
      if (opts.strict) throwForIssue(issue);
      yield { kind: 'issue', issue };
    }
  } catch (e) {
    if (isProdsimError(e)) throw e;
    // A stream failure (corrupt gzip, a read error half-way): say which file, keep the cause.
    const cause = e as NodeJS.ErrnoException;
    throw createError('PARSE_ERROR', `${path}: could not read the catalog: ${cause.message}`, { file: path }, cause.code ? { cause: cause.code } : undefined);
  } finally {
    bytes.destroy();
  }
}
