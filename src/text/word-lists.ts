import { readFileSync } from 'node:fs';

/**
 * Word lists ship as plain text files in `dictionaries/` so they can be reviewed and extended
 * without touching code. One entry a line; `#` starts a comment line; blank lines are ignored.
 * Read once per process by the modules that need them (never per call).
 */
export function readWordList(fileName: string): string[] {
  const text = readFileSync(new URL(`./dictionaries/${fileName}`, import.meta.url), 'utf8');
  const entries: string[] = [];
  for (const line of text.split('\n')) {
    const entry = line.trim();
    if (entry.length === 0 || entry.startsWith('#')) continue;
    entries.push(entry);
  }
  return entries;
}
