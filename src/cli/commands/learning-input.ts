/** Shared by `train`, `apply` and `eval`: reading labelled pairs and the catalogs they refer to. */
import { Option, type Command } from 'commander';
import type { LabeledPair, PairFormat, PairRecord, PairTables } from '../../learning/pairs.ts';
import { readPairs } from '../../learning/pairs.ts';
import { loadCatalog } from '../../catalog/catalog-summary.ts';
import { productToPairRecord } from '../../tasks/learned-matcher.ts';

export interface PairInputOptions {
  left?: string;
  right?: string;
  format?: PairFormat;
}

export const DEFAULT_MATCHER_PATH = './.prodsim/matcher.json';

export function addPairInputOptions(command: Command): Command {
  return command
    .option('--left <table>', 'left catalog (CSV/JSONL with an id column) when pairs give ids (ltable_id)')
    .option('--right <table>', 'right catalog when pairs give ids (rtable_id)')
    .addOption(new Option('--format <format>', 'pair file format (default: from the name and first line)').choices(['csv', 'jsonl', 'ditto']));
}

/**
 * Catalogs are read through the catalog stage (field names guessed or mapped, values coerced) and
 * become the matcher's records the same way `prodsim match --model` turns products into records, so a
 * model trained here reads the same keys when it decides a match.
 */
async function readCatalogRecords(path: string): Promise<Map<string, PairRecord>> {
  const { products } = await loadCatalog(path);
  return new Map(products.map((p) => [p.id, productToPairRecord(p)]));
}

export async function readTables(opts: PairInputOptions): Promise<{ tables: PairTables; records: PairRecord[] | undefined }> {
  const left = opts.left ? await readCatalogRecords(opts.left) : undefined;
  const right = opts.right ? await readCatalogRecords(opts.right) : undefined;
  const records = left || right ? [...(left?.values() ?? []), ...(right?.values() ?? [])] : undefined;
  return { tables: { ...(left ? { left } : {}), ...(right ? { right } : {}) }, records };
}

export function readPairFile(file: string, tables: PairTables, opts: PairInputOptions): LabeledPair[] {
  return readPairs(file, tables, opts.format);
}
