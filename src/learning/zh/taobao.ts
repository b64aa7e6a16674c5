/**
 * Loader for the Taobao title-matching pairs (IJCAI-22 / Ember, `../shared/datasets/zh-product-matching/`).
 * Each JSONL line holds `<field>_left`, `<field>_right` and `label`. Only product text becomes a record:
 * title, leaf category, category path and the `pv_pairs` attributes. Ids, image URLs and the
 * `cluster_id_*` fields are left out on purpose: equal cluster ids *are* the label.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createError } from '../../errors.ts';
import type { LabeledPair, PairRecord } from '../pairs.ts';
import type { Product } from '../../catalog/product.ts';
import { textOf } from '../../text-of.ts';

/** Separators of the `pv_pairs` field: `key#:#value#;#key#:#value`. */
export const PV_PAIR_SEPARATOR = '#;#';
export const PV_KEY_SEPARATOR = '#:#';

/**
 * Parses `key#:#value#;#…` into an ordered list of [key, value]. Keys and values are trimmed;
 * pieces without a key separator or with an empty key are skipped; a repeated key keeps every value
 * (joined with '、' by `pvPairsToMap`).
 */
export function parsePvPairs(raw: string | undefined): [string, string][] {
  if (!raw) return [];
  const out: [string, string][] = [];
  for (const piece of raw.split(PV_PAIR_SEPARATOR)) {
    const at = piece.indexOf(PV_KEY_SEPARATOR);
    if (at < 0) continue;
    const key = piece.slice(0, at).trim();
    const value = piece.slice(at + PV_KEY_SEPARATOR.length).trim();
    if (key === '' || value === '') continue;
    out.push([key, value]);
  }
  return out;
}

export function pvPairsToMap(raw: string | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of parsePvPairs(raw)) m.set(k, m.has(k) ? `${m.get(k)}、${v}` : v);
  return m;
}

/** `pv_pairs` as plain text for lexical features: `key value key value …` (separators dropped). */
export function pvPairsText(raw: string | undefined): string {
  return parsePvPairs(raw)
    .map(([k, v]) => `${k} ${v}`)
    .join(' ');
}

/** Record fields of a Taobao product. `pv_pairs` stays raw (the attribute parser reads it); `pv_text` is its text. */
export interface TaobaoRecordFields {
  title: string;
  category: string;
  category_path: string;
  pv_pairs: string;
  pv_text: string;
}

function str(v: unknown): string {
  return v === null || v === undefined ? '' : textOf(v).trim();
}

/** Builds one side's record from a parsed JSON line. */
export function taobaoRecord(row: Record<string, unknown>, side: 'left' | 'right'): PairRecord {
  const pv = str(row[`pv_pairs_${side}`]);
  const rec: TaobaoRecordFields = {
    title: str(row[`title_${side}`]),
    category: str(row[`cate_name_${side}`]),
    category_path: str(row[`cate_level_name_${side}`]),
    pv_pairs: pv,
    pv_text: pvPairsText(pv),
  };
  return { ...rec };
}

/** Parses the JSONL text of a Taobao split. */
export function parseTaobaoPairs(text: string, file = '<input>'): LabeledPair[] {
  const pairs: LabeledPair[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(line) as Record<string, unknown>;
    } catch (e) {
      // Into a catalogue error: JSON.parse's error becomes PARSE_ERROR with the file and line.
      throw createError('PARSE_ERROR', `invalid JSON: ${(e as Error).message}`, { file, line: i + 1 });
    }
    if (typeof row !== 'object' || row === null || !('title_left' in row) || !('title_right' in row)) {
      throw createError('PARSE_ERROR', 'a Taobao pair needs title_left and title_right', { file, line: i + 1 });
    }
    const rawLabel = str(row['label']);
    if (rawLabel !== '' && rawLabel !== '0' && rawLabel !== '1') {
      throw createError('PARSE_ERROR', 'label must be 0 or 1', { file, line: i + 1, field: 'label', expected: '0 or 1', received: rawLabel });
    }
    const pair: LabeledPair = {
      left: taobaoRecord(row, 'left'),
      right: taobaoRecord(row, 'right'),
      leftId: str(row['id_left']) || undefined,
      rightId: str(row['id_right']) || undefined,
    };
    if (rawLabel !== '') pair.label = rawLabel === '1' ? 1 : 0;
    if (pair.leftId === undefined) delete pair.leftId;
    if (pair.rightId === undefined) delete pair.rightId;
    pairs.push(pair);
  });
  return pairs;
}

export function readTaobaoPairs(path: string): LabeledPair[] {
  if (!existsSync(path)) throw createError('FILE_NOT_FOUND', `no such file: ${path}`, { file: path });
  return parseTaobaoPairs(readFileSync(path, 'utf8'), path);
}

export interface TaobaoSplits {
  train: LabeledPair[];
  valid: LabeledPair[];
  test: LabeledPair[];
}

/** Reads `train.jsonl`, `val.jsonl`, `test.jsonl` from a folder. */
export function readTaobaoSplits(dir: string): TaobaoSplits {
  return {
    train: readTaobaoPairs(`${dir}/train.jsonl`),
    valid: readTaobaoPairs(`${dir}/val.jsonl`),
    test: readTaobaoPairs(`${dir}/test.jsonl`),
  };
}

/**
 * Record id → product cluster id of a Taobao split (`id_*`, `cluster_id_*`). Kept apart from the
 * records (equal clusters are the label): for record-disjoint splits and the dedup benchmark only.
 */
export function readTaobaoClusters(path: string): Map<string, string> {
  if (!existsSync(path)) throw createError('FILE_NOT_FOUND', `no such file: ${path}`, { file: path });
  const out = new Map<string, string>();
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      let row: Record<string, unknown>;
      try {
        row = JSON.parse(line) as Record<string, unknown>;
      } catch (e) {
        // Into a catalogue error: JSON.parse's error becomes PARSE_ERROR with the file and line.
        throw createError('PARSE_ERROR', `invalid JSON: ${(e as Error).message}`, { file: path, line: i + 1 });
      }
      for (const side of ['left', 'right'] as const) {
        const id = str(row[`id_${side}`]);
        const cluster = str(row[`cluster_id_${side}`]);
        if (id !== '' && cluster !== '') out.set(id, cluster);
      }
    });
  return out;
}

/** The distinct records of Taobao pairs by record id, each as first met (records without an id are left out). */
export function taobaoRecordsById(pairs: Iterable<LabeledPair>): Map<string, PairRecord> {
  const out = new Map<string, PairRecord>();
  for (const p of pairs) {
    if (p.leftId !== undefined && !out.has(p.leftId)) out.set(p.leftId, p.left);
    if (p.rightId !== undefined && !out.has(p.rightId)) out.set(p.rightId, p.right);
  }
  return out;
}

/**
 * A Taobao record as a catalog product, the way a shop would load it: title, category path, the
 * `pv_pairs` as attributes and the 品牌 attribute as brand.
 */
export function taobaoProduct(record: PairRecord, id: string): Product {
  const attributes = Object.fromEntries(pvPairsToMap(record['pv_pairs']));
  const brand = attributes['品牌'];
  return {
    id,
    title: record['title'] || '(无标题)',
    ...(record['category_path'] ? { category: record['category_path'] } : {}),
    ...(brand ? { brand } : {}),
    tags: [],
    images: [],
    attributes,
  };
}
