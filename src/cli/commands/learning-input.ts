/** Shared by `train`, `apply` and `eval`: reading labelled pairs and the catalogs they refer to. */
import { Option, type Command } from 'commander';
import type { LabeledPair, PairFormat, PairRecord, PairTables } from '../../learning/pairs.ts';
import { readPairs, readRecordTable } from '../../learning/pairs.ts';

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

export function readTables(opts: PairInputOptions): { tables: PairTables; records: PairRecord[] | undefined } {
  const left = opts.left ? readRecordTable(opts.left) : undefined;
  const right = opts.right ? readRecordTable(opts.right) : undefined;
  const records = left || right ? [...(left?.values() ?? []), ...(right?.values() ?? [])] : undefined;
  return { tables: { ...(left ? { left } : {}), ...(right ? { right } : {}) }, records };
}

export function readPairFile(file: string, tables: PairTables, opts: PairInputOptions): LabeledPair[] {
  return readPairs(file, tables, opts.format);
}
