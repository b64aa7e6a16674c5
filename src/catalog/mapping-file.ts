/**
 * A field mapping kept beside a catalog (`sample-catalog.mapping.json`), so a CSV with other column
 * names loads with `readCatalog(path, await readMappingFile(mappingPath))`.
 */
import { readFile } from 'node:fs/promises';
import { createError } from '../errors.ts';
import type { ReadCatalogOptions } from './catalog.ts';
import { resolveReadCatalogOptions } from './read-catalog.ts';

/**
 * Reads either read options (`{"mapping": {"title": "name"}, "defaultCurrency": "CNY", …}`) or a bare
 * mapping (`{"title": "name"}`). Keys starting with `_` (`"_comment"`) are notes and ignored.
 * Unknown keys and fields are rejected, as for `readCatalog`.
 */
export async function readMappingFile(path: string): Promise<Partial<ReadCatalogOptions>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    // Into a catalogue error: an unreadable mapping file is FILE_NOT_FOUND with its path.
    throw createError('FILE_NOT_FOUND', `mapping file not found: ${path}`, { file: path });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    // Into a catalogue error: JSON.parse's error becomes PARSE_ERROR with the file.
    throw createError('PARSE_ERROR', `${path}: not valid JSON: ${(e as Error).message}`, { file: path });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw createError('PARSE_ERROR', `${path}: expected a JSON object`, { file: path, expected: 'a JSON object' });
  }
  const entries = Object.entries(parsed as Record<string, unknown>).filter(([k]) => !k.startsWith('_'));
  const body = Object.fromEntries(entries);
  const options = ('mapping' in body ? body : { mapping: body }) as Partial<ReadCatalogOptions>;
  resolveReadCatalogOptions(options); // validates; throws with the offending key
  return options;
}
