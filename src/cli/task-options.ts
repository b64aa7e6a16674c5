/** Options several task commands share (k, filters, profile), and their conversion to task input. */
import type { Command } from 'commander';
import { createError } from '../errors.ts';

export interface FilterCliOptions {
  category?: string;
  minPrice?: string;
  maxPrice?: string;
  brand?: string;
  inStock?: boolean;
}

export function addFilterOptions(cmd: Command): Command {
  return cmd
    .option('--category <path>', 'only this category (path prefix, e.g. 服装/女装)')
    .option('--min-price <n>', 'lowest price')
    .option('--max-price <n>', 'highest price')
    .option('--brand <name>', 'only this brand (alias-aware: 苹果 = Apple)')
    .option('--in-stock', 'only products in stock');
}

export function parseNumber(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw createError('INVALID_ARGUMENT', `${flag} must be a number, got "${raw}"`, { field: flag, expected: 'a number', received: raw });
  return n;
}

export function parseInteger(raw: string | undefined, flag: string): number | undefined {
  const n = parseNumber(raw, flag);
  if (n !== undefined && !Number.isInteger(n)) throw createError('INVALID_ARGUMENT', `${flag} must be a whole number, got "${raw}"`, { field: flag, expected: 'a whole number', received: raw });
  return n;
}

export function filterFrom(o: FilterCliOptions): Record<string, unknown> | undefined {
  const f: Record<string, unknown> = {};
  if (o.category !== undefined) f['category'] = o.category;
  if (o.minPrice !== undefined) f['minPrice'] = parseNumber(o.minPrice, '--min-price');
  if (o.maxPrice !== undefined) f['maxPrice'] = parseNumber(o.maxPrice, '--max-price');
  if (o.brand !== undefined) f['brand'] = o.brand;
  if (o.inStock) f['inStock'] = true;
  return Object.keys(f).length > 0 ? f : undefined;
}

