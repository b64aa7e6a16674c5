/**
 * Search relevance judgments: which products people judged relevant to which query, as the search
 * evaluation (`npm run eval:search`) and learning to rank read them. Two layouts:
 * - a judgment CSV with a header holding `query,product_id,relevance` (other columns ignored; the
 *   CrowdFlower set adds `relevance_variance,judgments`), relevance a number (a mean is fine);
 * - TREC style: qrels `qid 0 docid rel` (spaces or tabs), queries `qid<TAB>query`, a corpus
 *   `docid<TAB>title`, all without a header (Multi-CPR).
 * Small files read whole; a bad line is a PARSE_ERROR naming file and line.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { createError } from '../errors.ts';

/** One judged (query, product) pair; higher relevance is better (CrowdFlower: 1 irrelevant … 4 perfect). */
export interface RelevanceJudgment {
  query: string;
  productId: string;
  relevance: number;
}

/** One TREC qrels line: `qid 0 docid rel`. */
export interface QrelJudgment {
  queryId: string;
  productId: string;
  relevance: number;
}

export interface QueryText {
  queryId: string;
  query: string;
}

/** One corpus line: a product with a title only. */
export interface CorpusDocument {
  id: string;
  title: string;
}

/** The judgment CSV's required columns. */
export const JUDGMENT_COLUMNS = ['query', 'product_id', 'relevance'] as const;

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch {
    // Into a catalogue error: an unreadable judgments file is FILE_NOT_FOUND with its path.
    throw createError('FILE_NOT_FOUND', `file not found: ${file}`, { file });
  }
}

function parseRelevance(text: string | undefined, file: string, line: number): number {
  const value = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(value)) {
    throw createError('PARSE_ERROR', `${file}:${line}: relevance must be a number`, { file, line, field: 'relevance', expected: 'a number', received: String(text) });
  }
  return value;
}

/** Reads a `query,product_id,relevance` CSV (header required, extra columns ignored). */
export function readRelevanceJudgments(file: string): RelevanceJudgment[] {
  const text = readText(file);
  let rows: string[][];
  try {
    rows = parse(text, { relax_column_count: false, skip_empty_lines: true });
  } catch (e) {
    // Into a catalogue error: csv-parse's error becomes PARSE_ERROR with the file.
    throw createError('PARSE_ERROR', `${file}: not valid CSV: ${(e as Error).message}`, { file });
  }
  const header = (rows[0] ?? []).map((h) => h.trim().toLowerCase());
  const column = Object.fromEntries(JUDGMENT_COLUMNS.map((c) => [c, header.indexOf(c)])) as Record<(typeof JUDGMENT_COLUMNS)[number], number>;
  for (const c of JUDGMENT_COLUMNS) {
    if (column[c] < 0) throw createError('PARSE_ERROR', `${file}: the header has no "${c}" column`, { file, line: 1, field: c, expected: JUDGMENT_COLUMNS.join(','), received: header.join(',') });
  }
  return rows.slice(1).map((row, i) => {
    const line = i + 2;
    const query = row[column.query]?.trim() ?? '';
    const productId = row[column.product_id]?.trim() ?? '';
    if (query === '' || productId === '') throw createError('PARSE_ERROR', `${file}:${line}: query and product_id must not be empty`, { file, line });
    return { query, productId, relevance: parseRelevance(row[column.relevance], file, line) };
  });
}

/** Non-empty lines with their 1-based line numbers. */
function lines(file: string): { text: string; line: number }[] {
  return readText(file)
    .split(/\r?\n/)
    .map((text, i) => ({ text, line: i + 1 }))
    .filter((l) => l.text.trim() !== '');
}

/** Reads TREC qrels: `qid iteration docid relevance`, whitespace separated. */
export function readTrecQrels(file: string): QrelJudgment[] {
  return lines(file).map(({ text, line }) => {
    const parts = text.trim().split(/\s+/);
    if (parts.length !== 4) throw createError('PARSE_ERROR', `${file}:${line}: expected "qid 0 docid relevance"`, { file, line, expected: '4 fields', received: `${parts.length} fields` });
    return { queryId: parts[0]!, productId: parts[2]!, relevance: parseRelevance(parts[3], file, line) };
  });
}

/** Reads `id<TAB>text` lines (no header): the shape of TREC-style query and corpus files. */
function readIdTextTsv(file: string): { id: string; text: string }[] {
  return lines(file).map(({ text, line }) => {
    const tab = text.indexOf('\t');
    const id = tab < 0 ? '' : text.slice(0, tab).trim();
    const value = tab < 0 ? '' : text.slice(tab + 1).trim();
    if (id === '' || value === '') throw createError('PARSE_ERROR', `${file}:${line}: expected "id<TAB>text"`, { file, line, expected: 'id<TAB>text', received: text.slice(0, 80) });
    return { id, text: value };
  });
}

export function readTsvQueries(file: string): QueryText[] {
  return readIdTextTsv(file).map((r) => ({ queryId: r.id, query: r.text }));
}

export function readTsvCorpus(file: string): CorpusDocument[] {
  return readIdTextTsv(file).map((r) => ({ id: r.id, title: r.text }));
}

/** TREC qrels with their query texts as judgments by query text; a qrel whose query id has no text is an error. */
export function judgmentsFromQrels(queries: readonly QueryText[], qrels: readonly QrelJudgment[]): RelevanceJudgment[] {
  const textOf = new Map(queries.map((q) => [q.queryId, q.query]));
  return qrels.map((q) => {
    const query = textOf.get(q.queryId);
    if (query === undefined) throw createError('INVALID_ARGUMENT', `qrels name query ${q.queryId}, which the queries file lacks`, { field: 'queryId', received: q.queryId });
    return { query, productId: q.productId, relevance: q.relevance };
  });
}

/** Judgments grouped by query, in first-seen order: query → (product id → relevance). */
export function judgmentsByQuery(judgments: readonly RelevanceJudgment[]): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const j of judgments) {
    let m = out.get(j.query);
    if (!m) out.set(j.query, (m = new Map<string, number>()));
    m.set(j.productId, j.relevance);
  }
  return out;
}
