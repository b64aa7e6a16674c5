/**
 * Labelled pairs: what training and evaluation read. Three input shapes are accepted:
 * - CSV with `ltable_id,rtable_id,label` (ids into two tables), or `left_<attr>…,right_<attr>…,label`;
 * - JSONL with `{left, right, label}` (records or ids) or WDC-style `<attr>_left`/`<attr>_right`;
 * - the DeepMatcher/Ditto serialised format `COL <attr> VAL <value> …<TAB>…<TAB>label`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseCsv } from 'csv-parse/sync';
import { createError } from '../errors.ts';
import { seededRandom } from '../random.ts';
import { textOf } from '../text-of.ts';

/** A record is a flat map of attribute → text (prices stay text until features parse them). */
export type PairRecord = Record<string, string>;

export interface LabeledPair {
  left: PairRecord;
  right: PairRecord;
  /** 1 = same product, 0 = different; undefined when unlabelled (for `apply`). */
  label?: 0 | 1;
  leftId?: string;
  rightId?: string;
}

export type RecordTable = ReadonlyMap<string, PairRecord>;

function readText(path: string): string {
  if (!existsSync(path)) throw createError('FILE_NOT_FOUND', `no such file: ${path}`, { file: path });
  return readFileSync(path, 'utf8');
}

function parseLabel(raw: unknown, file: string, line: number): 0 | 1 | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const s = textOf(raw).trim().toLowerCase();
  if (s === '1' || s === 'true' || s === '1.0') return 1;
  if (s === '0' || s === 'false' || s === '0.0') return 0;
  throw createError('PARSE_ERROR', `label must be 0 or 1`, { file, line, field: 'label', expected: '0 or 1', received: s });
}

function cleanValue(v: unknown): string {
  if (v === null || v === undefined) return '';
  return textOf(v).trim();
}

// ---------------------------------------------------------------- Ditto / DeepMatcher serialised

const COL_VAL = /(?:^|\s)COL\s+(\S+)\s+VAL(?:\s|$)/g;

/** Parses one serialised record `COL title VAL foo COL price VAL 9.99` into attributes. */
export function parseSerializedRecord(text: string): PairRecord {
  const record: PairRecord = {};
  const marks: { attr: string; start: number; end: number }[] = [];
  for (const m of text.matchAll(COL_VAL)) marks.push({ attr: m[1]!, start: m.index, end: m.index + m[0].length });
  for (let i = 0; i < marks.length; i++) {
    const m = marks[i]!;
    const value = text.slice(m.end, marks[i + 1]?.start ?? text.length).trim();
    record[m.attr] = record[m.attr] ? `${record[m.attr]} ${value}` : value;
  }
  return record;
}

/** Parses one line `COL … VAL …<TAB>COL … VAL …<TAB>label` (label optional). */
export function parseDittoLine(line: string, file = '<input>', lineNo = 1): LabeledPair {
  const parts = line.replace(/\r$/, '').split('\t');
  if (parts.length < 2 || parts.length > 3) {
    throw createError('PARSE_ERROR', `expected "left<TAB>right<TAB>label", found ${parts.length} tab-separated parts`, { file, line: lineNo });
  }
  const left = parseSerializedRecord(parts[0]!);
  const right = parseSerializedRecord(parts[1]!);
  if (Object.keys(left).length === 0 || Object.keys(right).length === 0) {
    throw createError('PARSE_ERROR', 'a record has no "COL <attr> VAL <value>" part', { file, line: lineNo });
  }
  const label = parseLabel(parts[2], file, lineNo);
  return label === undefined ? { left, right } : { left, right, label };
}

export function parseDittoPairs(text: string, file = '<input>'): LabeledPair[] {
  const pairs: LabeledPair[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    pairs.push(parseDittoLine(line, file, i + 1));
  });
  return pairs;
}

// ---------------------------------------------------------------- tables and CSV / JSONL pairs

/** Reads a catalog table (CSV with an `id` column, or JSONL with `id`) keyed by id. */
export function readRecordTable(path: string, idColumn = 'id'): Map<string, PairRecord> {
  const text = readText(path);
  const rows: Record<string, unknown>[] = path.endsWith('.jsonl')
    ? text.split('\n').filter((l) => l.trim() !== '').map((l, i) => parseJsonLine(l, path, i + 1))
    : parseCsv<Record<string, unknown>>(text, { columns: true, skip_empty_lines: true, relax_quotes: true });
  const table = new Map<string, PairRecord>();
  rows.forEach((row, i) => {
    const id = cleanValue(row[idColumn]);
    if (id === '') throw createError('PARSE_ERROR', `row has no "${idColumn}"`, { file: path, line: i + 2, field: idColumn });
    const rec: PairRecord = {};
    for (const [k, v] of Object.entries(row)) if (k !== idColumn) rec[k] = cleanValue(v);
    table.set(id, rec);
  });
  return table;
}

function parseJsonLine(line: string, file: string, lineNo: number): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(line) as unknown;
  } catch (e) {
    // Into a catalogue error: JSON.parse's error becomes PARSE_ERROR with the file and line.
    throw createError('PARSE_ERROR', `invalid JSON object: ${(e as Error).message}`, { file, line: lineNo });
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw createError('PARSE_ERROR', 'invalid JSON object: not an object', { file, line: lineNo });
  return v as Record<string, unknown>;
}

export interface PairTables {
  left?: RecordTable;
  right?: RecordTable;
}

function lookup(table: RecordTable | undefined, id: string, side: string, file: string, line: number): PairRecord {
  if (!table) throw createError('INVALID_ARGUMENT', `pairs refer to ${side} ids but no ${side} table was given`, { file, line });
  const rec = table.get(id);
  if (!rec) throw createError('PRODUCT_NOT_FOUND', `${side} id "${id}" is not in the ${side} table`, { file, line, field: side });
  return rec;
}

/** Turns one row (CSV or JSON object) into a pair, whichever of the accepted shapes it has. */
function rowToPair(row: Record<string, unknown>, tables: PairTables, file: string, line: number): LabeledPair {
  const label = parseLabel(row['label'], file, line);
  const withLabel = (p: LabeledPair): LabeledPair => (label === undefined ? p : { ...p, label });
  // ids into tables
  const lid = row['ltable_id'] ?? row['left_id'] ?? row['id_left'];
  const rid = row['rtable_id'] ?? row['right_id'] ?? row['id_right'];
  // {left, right} objects or ids
  const l = row['left'];
  const r = row['right'];
  if (l !== undefined && r !== undefined) {
    const left = typeof l === 'object' && l !== null ? toRecord(l as Record<string, unknown>) : lookup(tables.left, cleanValue(l), 'left', file, line);
    const right = typeof r === 'object' && r !== null ? toRecord(r as Record<string, unknown>) : lookup(tables.right, cleanValue(r), 'right', file, line);
    return withLabel({ left, right, ...(typeof l !== 'object' ? { leftId: cleanValue(l) } : {}), ...(typeof r !== 'object' ? { rightId: cleanValue(r) } : {}) });
  }
  // attributes inline: left_<attr> / right_<attr> or <attr>_left / <attr>_right
  const left: PairRecord = {};
  const right: PairRecord = {};
  for (const [k, v] of Object.entries(row)) {
    if (k === 'ltable_id' || k === 'rtable_id' || k === 'id_left' || k === 'id_right' || k === 'left_id' || k === 'right_id') continue;
    if (k.startsWith('left_')) left[k.slice(5)] = cleanValue(v);
    else if (k.startsWith('right_')) right[k.slice(6)] = cleanValue(v);
    else if (k.endsWith('_left')) left[k.slice(0, -5)] = cleanValue(v);
    else if (k.endsWith('_right')) right[k.slice(0, -6)] = cleanValue(v);
  }
  const ids = {
    ...(lid !== undefined ? { leftId: cleanValue(lid) } : {}),
    ...(rid !== undefined ? { rightId: cleanValue(rid) } : {}),
  };
  if (Object.keys(left).length > 0 && Object.keys(right).length > 0) return withLabel({ left, right, ...ids });
  if (lid !== undefined && rid !== undefined) {
    return withLabel({ left: lookup(tables.left, cleanValue(lid), 'left', file, line), right: lookup(tables.right, cleanValue(rid), 'right', file, line), ...ids });
  }
  throw createError('PARSE_ERROR', 'row has neither ltable_id/rtable_id, left/right, nor left_*/right_* attributes', { file, line });
}

function toRecord(o: Record<string, unknown>): PairRecord {
  const rec: PairRecord = {};
  for (const [k, v] of Object.entries(o)) rec[k] = cleanValue(v);
  return rec;
}

/** Parses pairs from CSV text (see the module comment for accepted columns). */
export function parseCsvPairs(text: string, tables: PairTables = {}, file = '<input>'): LabeledPair[] {
  const rows = parseCsv<Record<string, unknown>>(text, { columns: true, skip_empty_lines: true, relax_quotes: true });
  return rows.map((row, i) => rowToPair(row, tables, file, i + 2));
}

export function parseJsonlPairs(text: string, tables: PairTables = {}, file = '<input>'): LabeledPair[] {
  const pairs: LabeledPair[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    pairs.push(rowToPair(parseJsonLine(line, file, i + 1), tables, file, i + 1));
  });
  return pairs;
}

export type PairFormat = 'csv' | 'jsonl' | 'ditto';

/** Guesses the format from the name, then from the first line (`COL … VAL` means serialised). */
export function detectPairFormat(path: string, firstLine: string): PairFormat {
  if (/\.jsonl?$/i.test(path)) return 'jsonl';
  if (/^\s*COL\s+\S+\s+VAL/.test(firstLine)) return 'ditto';
  if (/\.csv$/i.test(path)) return 'csv';
  if (firstLine.trim().startsWith('{')) return 'jsonl';
  return 'csv';
}

/** Reads labelled pairs from a file in any accepted format. */
export function readPairs(path: string, tables: PairTables = {}, format?: PairFormat): LabeledPair[] {
  const text = readText(path);
  const firstLine = text.slice(0, text.indexOf('\n') === -1 ? text.length : text.indexOf('\n'));
  const f = format ?? detectPairFormat(path, firstLine);
  if (f === 'ditto') return parseDittoPairs(text, path);
  if (f === 'jsonl') return parseJsonlPairs(text, tables, path);
  return parseCsvPairs(text, tables, path);
}

/**
 * Splits pairs into two parts deterministically (seeded shuffle, stratified by label so both
 * parts keep the match rate): used to hold out validation pairs when none are given.
 */
export function splitPairs(pairs: readonly LabeledPair[], share: number, seed = 1): [LabeledPair[], LabeledPair[]] {
  if (!(share > 0 && share < 1)) throw createError('INVALID_ARGUMENT', `split share must be in (0, 1), got ${share}`, { field: 'share' });
  const rand = seededRandom(seed);
  const keep: LabeledPair[] = [];
  const held: LabeledPair[] = [];
  for (const label of [1, 0, undefined]) {
    const group = pairs.filter((p) => p.label === label);
    for (let i = group.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [group[i], group[j]] = [group[j]!, group[i]!];
    }
    const cut = Math.round(group.length * share);
    held.push(...group.slice(0, cut));
    keep.push(...group.slice(cut));
  }
  return [keep, held];
}

/**
 * Below this many labelled pairs nothing is held out: a validation set of one or two pairs would
 * pick the threshold by chance, so the model keeps 0.5.
 */
export const MIN_PAIRS_TO_HOLD_OUT = 10;

/** Share of labelled pairs held out for the threshold when no validation pairs are given. */
export const DEFAULT_VALID_SHARE = 0.2;

/**
 * The one rule every way of training (CLI `train`, the server's train job) splits labelled pairs by:
 * given validation pairs are used as they are; otherwise `validShare` of each class is held out
 * (seeded), unless there are fewer than MIN_PAIRS_TO_HOLD_OUT pairs.
 */
export function trainingSplit(pairs: readonly LabeledPair[], options: { valid?: readonly LabeledPair[]; validShare: number }): { train: LabeledPair[]; valid: LabeledPair[] } {
  if (options.valid && options.valid.length > 0) return { train: [...pairs], valid: [...options.valid] };
  if (pairs.length < MIN_PAIRS_TO_HOLD_OUT) return { train: [...pairs], valid: [] };
  const [train, valid] = splitPairs(pairs, options.validShare);
  return { train, valid };
}

// ---------------------------------------------------------------- WDC Products

/** The record fields of a WDC Products offer that describe the product (never its cluster id). */
export const WDC_PRODUCT_FIELDS = ['title', 'brand', 'description', 'price', 'priceCurrency'] as const;

export interface ClusteredPairs {
  pairs: LabeledPair[];
  /** Record id → product cluster id (the benchmark's ground truth: equal clusters are the label). */
  clusterOf: Map<string, string>;
}

/**
 * Parses WDC Products JSONL (`<attr>_left` / `<attr>_right`, `label`). Only the product text becomes
 * a record: `cluster_id_*`, `pair_id` and `is_hard_negative` would give the label away, so they are
 * kept apart (cluster ids in `clusterOf`, for record-disjoint splits) or dropped.
 */
export function parseWdcProductPairs(text: string, file = '<input>'): ClusteredPairs {
  const pairs: LabeledPair[] = [];
  const clusterOf = new Map<string, string>();
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const row = parseJsonLine(line, file, i + 1);
    const side = (s: 'left' | 'right'): { record: PairRecord; id: string | undefined } => {
      const record: PairRecord = {};
      for (const f of WDC_PRODUCT_FIELDS) {
        const v = cleanValue(row[`${f}_${s}`]);
        if (v !== '') record[f] = v;
      }
      if (!record['title']) throw createError('PARSE_ERROR', `WDC pair has no title_${s}`, { file, line: i + 1, field: `title_${s}` });
      const id = cleanValue(row[`id_${s}`]) || undefined;
      const cluster = cleanValue(row[`cluster_id_${s}`]);
      if (id !== undefined && cluster !== '') clusterOf.set(id, cluster);
      return { record, id };
    };
    const l = side('left');
    const r = side('right');
    const label = parseLabel(row['label'], file, i + 1);
    pairs.push({
      left: l.record,
      right: r.record,
      ...(label !== undefined ? { label } : {}),
      ...(l.id !== undefined ? { leftId: l.id } : {}),
      ...(r.id !== undefined ? { rightId: r.id } : {}),
    });
  });
  return { pairs, clusterOf };
}

export function readWdcProductPairs(path: string): ClusteredPairs {
  return parseWdcProductPairs(readText(path), path);
}
