/**
 * CSV/TSV rows as records, streamed with csv-parse. csv-parse's own line counter drifts on CRLF files
 * with multi-line quoted fields, so lines are counted here from the bytes: a pass-through stream notes
 * where each `\n` is, and each record's start line is its end line minus the new lines inside its fields.
 */
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { parse, type CsvError, type Options as CsvOptions } from 'csv-parse';
import { createError } from '../errors.ts';

export type CsvItem =
  | { kind: 'header'; columns: string[]; line: number }
  | { kind: 'record'; record: Record<string, string>; line: number }
  | { kind: 'syntax'; line: number; message: string; expected?: string; received?: string };

/**
 * Remembers the byte offsets of line breaks still ahead of the parser; answers "which line is byte b on"
 * for increasing b. A line break is `\n`, `\r\n` (counted once, at its `\n`) or a lone `\r` (old Mac files).
 */
class NewlineIndex extends Transform {
  private positions: number[] = [];
  private head = 0;
  private seen = 0;
  private linesBefore = 0;
  /** The previous chunk ended with `\r`: it is a break of its own unless this chunk starts with `\n`. */
  private pendingCr = -1;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.pendingCr >= 0 && chunk[0] !== 10) this.positions.push(this.pendingCr);
    this.pendingCr = -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (c === 10) this.positions.push(this.seen + i);
      else if (c === 13) {
        if (i + 1 === chunk.length) this.pendingCr = this.seen + i;
        else if (chunk[i + 1] !== 10) this.positions.push(this.seen + i);
      }
    }
    this.seen += chunk.length;
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.pendingCr >= 0) this.positions.push(this.pendingCr);
    done();
  }

  /** 1-based line of byte offset `pos`; calls must come with non-decreasing `pos`. */
  lineOf(pos: number): number {
    while (this.head < this.positions.length && this.positions[this.head]! < pos) {
      this.head++;
      this.linesBefore++;
    }
    if (this.head > 4096 && this.head * 2 > this.positions.length) {
      this.positions = this.positions.slice(this.head);
      this.head = 0;
    }
    return this.linesBefore + 1;
  }
}

/** Line breaks inside field values, counted as NewlineIndex counts them. */
function countNewlines(fields: readonly string[]): number {
  let n = 0;
  for (const f of fields) {
    for (let i = 0; i < f.length; i++) {
      const c = f.charCodeAt(i);
      if (c === 10 || (c === 13 && f.charCodeAt(i + 1) !== 10)) n++;
    }
  }
  return n;
}

const columns = (n: number): string => `${n} column${n === 1 ? '' : 's'}`;

const isBlankRow = (fields: readonly string[]): boolean => fields.every((f) => f.trim() === '');

/**
 * Reads rows as `column → text` records. A row with a different number of fields than the header is
 * reported (trailing empty fields are tolerated); broken quoting is reported and the parser carries on
 * where it can (an unclosed quote swallows the rest of the file, which is said in the message).
 */
export async function* readCsvRecords(bytes: Readable, file: string, delimiter: string): AsyncGenerator<CsvItem> {
  const lines = new NewlineIndex();
  let lastEnd = 0;
  let header: string[] | undefined;

  type Row = { fields: string[]; line: number };
  const csvOptions: CsvOptions<Row, string[]> = {
    bom: true,
    delimiter,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    // Runs in parse order, before any record is consumed, so the line queries stay monotonic.
    on_record: (fields: string[], context): Row => {
      const end = context.bytes;
      const endLine = lines.lineOf(Math.max(end - 1, lastEnd));
      lastEnd = end;
      return { fields, line: endLine - countNewlines(fields) };
    },
    on_skip: (err: CsvError | undefined) => {
      const at = Math.max(parser.info.bytes, lastEnd);
      const line = lines.lineOf(at);
      const unclosed = err?.code === 'CSV_QUOTE_NOT_CLOSED';
      // Pushed into the parser's own output so the issue stays in file order with the records.
      parser.push({
        kind: 'syntax',
        line,
        message: unclosed
          ? `a quoted field in the record starting near line ${line} is never closed; the rest of the file could not be read`
          : `malformed CSV: ${err?.message ?? 'unknown error'}`,
        expected: unclosed ? 'a closing quote (")' : 'well-formed CSV',
      });
      return undefined;
    },
  };
  // csv-parse types on_record only for its own record shape; ours returns Row, which the loop below reads.
  const parser = parse(csvOptions as unknown as CsvOptions);

  bytes.on('error', (e) => parser.destroy(e));
  bytes.pipe(lines).pipe(parser);

  for await (const row of parser as AsyncIterable<{ fields: string[]; line: number } | CsvItem>) {
    if ('kind' in row) {
      yield row;
      continue;
    }
    const { fields, line } = row;
    if (!header) {
      header = fields.map((f) => f.trim());
      const seen = new Set<string>();
      for (const [i, name] of header.entries()) {
        if (name === '') header[i] = `column${i + 1}`;
        if (seen.has(header[i]!)) {
          throw createError('PARSE_ERROR', `${file}:${line}: the header names column "${header[i]}" twice`, { file, line, field: header[i] });
        }
        seen.add(header[i]!);
      }
      yield { kind: 'header', columns: header, line };
      continue;
    }
    if (isBlankRow(fields)) continue;
    let count = fields.length;
    while (count > header.length && fields[count - 1]!.trim() === '') count--;
    if (count !== header.length) {
      yield {
        kind: 'syntax',
        line,
        message: `expected ${columns(header.length)} (as in the header), got ${fields.length}`,
        expected: columns(header.length),
        received: columns(fields.length),
      };
      continue;
    }
    const record: Record<string, string> = {};
    for (let i = 0; i < header.length; i++) record[header[i]!] = fields[i]!;
    yield { kind: 'record', record, line };
  }
}
